"""The one error shape, for pages (rendered) and for the API and JSON clients
(``{"ok": false, "error": "...", "errors": [...], "status": 400}``)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from oncotrial.errors import OncotrialError


def error_body(message: str, status: int, errors=()) -> dict:
    return {"ok": False, "error": str(message), "errors": list(errors), "status": status}


def wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def error_response(request, message: str, status: int, errors=(), hint: str = ""):
    if wants_json(request):
        return JsonResponse(error_body(message, status, errors), status=status)
    context = {"message": message, "status": status, "errors": list(errors), "hint": hint}
    return render(request, "oncotrial/error.html", context, status=status)


def oncotrial_error_response(request, error: OncotrialError):
    body = error.to_dict()
    return error_response(request, body["error"], body["status"], body["errors"], error.hint)


def locked_out(request, response=None, credentials=None, *args, **kwargs):
    """django-axes calls this when an account is locked after repeated failed logins."""
    message = _("This account is locked after too many failed logins. Try again later or ask an administrator.")
    return error_response(request, message, 429)


def bad_request(request, exception=None):
    return error_response(request, _("Bad request."), 400)


def permission_denied(request, exception=None):
    return error_response(request, str(exception) if exception and str(exception) else _("Permission denied."), 403)


def page_not_found(request, exception=None):
    return error_response(request, _("Not found: %(path)s") % {"path": request.path}, 404)


def server_error(request):
    return error_response(request, _("Server error; the failure was logged."), 500)


def csrf_failure(request, reason=""):
    return error_response(request, _("The form expired or was sent from elsewhere (CSRF check failed). "
                                     "Reload the page and try again."), 403)
