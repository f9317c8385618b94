"""Domain errors raised by crud and services; ``api.app`` turns them into HTTP answers.

Each carries a stable ``code`` for clients and the HTTP status it maps to, so
the translation at the edge is one table and the inside never speaks HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the api expects; anything else is a bug (500)."""

    status: int = 400
    code: str = "error"

    def __init__(self, message: str, *, detail: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ApprovalRequired(Conflict):
    """Publishing a version nobody but its author has looked at (two-person rule)."""

    code = "approval_required"


class SelfApproval(Forbidden):
    """An author approving their own version: the second pair of eyes must be someone else."""

    code = "self_approval"


class ValidationFailed(DomainError):
    """The document parsed but breaks a rule; ``detail`` lists problems with their paths."""

    status = 422
    code = "validation_failed"
