"""The REST API (django-ninja; OpenAPI at ``/api/docs``): a JSON twin of every page.

Every error has one shape: ``{"ok": false, "error": "...", "errors": [{"field", "message"}], "status": N}``.
Authentication is the browser session (with its CSRF token for writes) or an API token
(``Authorization: Bearer onc_...``, from ``oncotrial token create``).
"""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from oncotrial import __version__
from oncotrial.errors import OncotrialError
from oncotrial.web.api import manage, public, results, studies, subjects
from oncotrial.web.api.responses import ERROR_STATUSES, ErrorOut
from oncotrial.web.views.errors import error_body


class TokenAuth(HttpBearer):
    """``Authorization: Bearer onc_...``: a token from ``oncotrial token create`` (no CSRF needed)."""

    def authenticate(self, request, token):
        from oncotrial.web.services.tokens import authenticate_api_token

        user = authenticate_api_token(token)
        if user is not None:
            request.user = user
        return user


class BrowserSessionAuth(SessionAuth):
    """The browser session; a request with no logged-in user is answered 401 (not logged in) before
    the CSRF check, whose 403 is for a logged-in session without the token."""

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


class OncotrialAPI(NinjaAPI):
    """The API whose schema declares the one error shape for 400 / 401 / 403 / 404 / 409 on every
    operation, including those a later router adds without saying so."""

    def get_openapi_schema(self, *args, **kwargs):
        declare_error_shape(self)
        return super().get_openapi_schema(*args, **kwargs)


def declare_error_shape(ninja_api: NinjaAPI) -> None:
    for bound in ninja_api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                for status in ERROR_STATUSES:
                    if status not in operation.response_models:
                        operation.response_models[status] = operation._create_response_model(ErrorOut)


api = OncotrialAPI(title="oncotrial", version=__version__, auth=[TokenAuth(), BrowserSessionAuth()],
                   urls_namespace="api",
                   description="EDC core: studies, subjects, screening to randomization, calendars, audit. "
                               "Every error has one shape (ErrorOut).")


def _reply(request, message: str, status: int, errors=()):
    return api.create_response(request, error_body(message, status, errors), status=status)


@api.exception_handler(OncotrialError)
def on_oncotrial_error(request, error: OncotrialError):
    body = error.to_dict()
    return _reply(request, body["error"], body["status"], body["errors"])


@api.exception_handler(ValidationError)
def on_validation_error(request, error: ValidationError):
    errors = [{"field": ".".join(str(p) for p in item.get("loc", ())[1:]) or "body",
               "message": item.get("msg", "invalid")} for item in error.errors]
    listing = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return _reply(request, f"invalid input: {listing}", 400, errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, error):
    return _reply(request, "not logged in: log in at /accounts/login/ first", 401)


@api.exception_handler(Http404)
def on_not_found(request, error):
    return _reply(request, str(error) or "not found", 404)


@api.exception_handler(HttpError)
def on_http_error(request, error: HttpError):
    return _reply(request, str(error), error.status_code)


api.add_router("/public", public.router)
api.add_router("/manage", manage.router)
api.add_router("/studies", studies.router)
api.add_router("/studies", subjects.router)
api.add_router("/studies", results.router)
