"""Free text from users: reject markup, script and SQL-injection shapes instead of storing them.

Everything is also escaped on output and bound as parameters; refusing hostile shapes up front keeps the
records clean and tells the sender at once (the issue asks hostile input to get a 4xx).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKUP = re.compile(
    r"<\s*/?\s*[a-zA-Z!?][^>]*>|<\s*/?\s*(script|iframe|img|svg|style)\b|javascript:|on\w+\s*=", re.I
)
_SQL = re.compile(
    r"(;\s*(drop|delete|insert|update|alter|create|truncate|exec)\b)"
    r"|(\bunion\b\s+(all\s+)?\bselect\b)"
    r"|('\s*(or|and)\s+'?\w+'?\s*=\s*'?\w+)"
    r"|(--\s*$)|(/\*.*\*/)"
    r"|(\bdrop\s+table\b)",
    re.I | re.M,
)


def check_text(value: str) -> str:
    """Normalise and vet one free-text value; raises ValueError with a Chinese reason."""
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(value):
        raise ValueError("含有不可见的控制字符")
    if _MARKUP.search(value):
        raise ValueError("含有 HTML 标签或脚本，请只填写纯文本")
    if _SQL.search(value):
        raise ValueError("含有疑似 SQL 注入的内容，请只填写纯文本")
    return value


def check_optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    value = check_text(value)
    return value or None


SafeText = Annotated[str, AfterValidator(check_text)]
OptionalSafeText = Annotated[str | None, AfterValidator(check_optional_text)]
