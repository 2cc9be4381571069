"""Domain errors. Services raise these; one mapping turns them into HTTP, page and CLI answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause; `message` is shown to users (Chinese)."""

    code = "error"
    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    exit_code = 4


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403
    exit_code = 3


class Unauthenticated(DomainError):
    code = "unauthenticated"
    http_status = 401
    exit_code = 3


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 422
    exit_code = 2


class InvalidTransition(DomainError):
    code = "invalid_transition"
    http_status = 409
    exit_code = 5


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    exit_code = 5


class MissingCalendarYear(InvalidInput):
    """A deadline falls in a year whose State Council holiday notice has not been loaded."""

    code = "calendar_year_missing"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"工作日历缺少 {year} 年的数据：请先用 `govdata calendar load` 载入国务院办公厅"
            f"关于 {year} 年部分节假日安排的通知",
            details={"year": year},
        )
        self.year = year
