"""User-facing text: Chinese by default, English when the client asks for it."""

from __future__ import annotations

from contextvars import ContextVar

_lang: ContextVar[str] = ContextVar("lang", default="zh")


def pick_language(accept_language: str | None) -> str:
    """Return "en" when English is preferred over Chinese in Accept-Language, else "zh"."""
    if not accept_language:
        return "zh"
    best_lang, best_q = "zh", -1.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang and q > best_q:
            best_lang, best_q = lang, q
    return best_lang


def set_language(lang: str) -> None:
    _lang.set(lang)


def current_language() -> str:
    return _lang.get()


def t(zh: str, en: str) -> str:
    """Choose the text for the current request's language."""
    return en if _lang.get() == "en" else zh
