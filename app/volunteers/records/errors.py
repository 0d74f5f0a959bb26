"""The errors of the service records and the certificate register."""

from __future__ import annotations

from app.core.errors import Forbidden, NotFound


class CertificateNotFound(NotFound):
    code, zh, en = "certificate_not_found", "证明不存在", "Certificate not found"


class NotIssuer(Forbidden):
    code = "certificate_not_issuer"
    zh = "只有党员报到社区的工作人员可以出具证明"
    en = "Only the staff of the community the member is registered with issue certificates"
