"""Errors of file handling. Codes are stable: the mini-program switches on them."""

from __future__ import annotations

from app.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"
    zh, en = "文件过大", "The file is too large"


class ImageTooLarge(FileTooLarge):
    code = "image_too_large"
    zh, en = "图片像素过多，请压缩后再上传", "The image has too many pixels; shrink it and retry"


class UnsupportedFile(UnsupportedMediaType):
    code = "unsupported_file_type"
    zh = "仅支持 JPEG、PNG、WebP 图片和 PDF 文件"
    en = "Only JPEG, PNG and WebP images and PDF files are accepted"


class CorruptFile(UnsupportedFile):
    code = "file_corrupt"
    zh, en = "图片已损坏或不完整，请重新上传", "The image is damaged or incomplete; upload it again"


class FileMissing(NotFound):
    code = "file_not_found"
    zh, en = "文件不存在", "File not found"


class InvalidKey(ValueError):
    """A storage key outside the allowed form: a bug in the caller, never user input."""
