"""One hierarchy of errors for the whole platform.

Every error carries an HTTP status (used by the web app's single error shape), a message that names
the field, the subject and the allowed values, and an optional hint that says what to check.
"""

from __future__ import annotations


class OncotrialError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    status = 400

    def __init__(self, message: str, *, hint: str = "", field: str = "", errors=None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field
        self.errors = list(errors or [])

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nHint: {self.hint}"

    def to_dict(self) -> dict:
        """The platform's one error shape, as the API returns it."""
        errors = self.errors or ([{"field": self.field, "message": self.message}] if self.field else [])
        return {"ok": False, "error": self.message, "errors": errors, "status": self.status}


class InvalidInput(OncotrialError):
    """Input that breaks a rule: a wrong type, a value out of range, dates out of order."""

    status = 400


class PermissionDenied(OncotrialError):
    """The user's role or site membership does not allow the action."""

    status = 403


class NotFound(OncotrialError):
    """A named protocol, study, subject or record does not exist (or is not visible to the user)."""

    status = 404


class Conflict(OncotrialError):
    """The action clashes with stored state: a locked form, a duplicate id, a stale edit."""

    status = 409


class ConvergenceError(OncotrialError):
    """An iterative estimate (Cox, design search) did not converge or has no solution."""

    status = 422
