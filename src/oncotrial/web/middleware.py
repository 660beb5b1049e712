"""Security headers Django 5 does not set by itself."""

from __future__ import annotations

from oncotrial.web.views.errors import error_response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no inline script), Permissions-Policy, and no caching of pages
    that show clinical data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class NulCharacterMiddleware:
    """A NUL character anywhere in the path or the query string is a 400 in the one error shape.

    PostgreSQL text cannot hold NUL (0x00), so a lookup such as ``/studies/%00`` would otherwise end
    as a database error (a 500) instead of a refusal; SQLite would store it and break exports later.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.GET.lists()
        if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in values)
                                         for key, values in query):
            return error_response(request, "the address holds a NUL character (0x00), which no field may "
                                  "hold; remove it", 400)
        return self.get_response(request)


def client_address(request) -> str:
    """The client's address: ``REMOTE_ADDR``, unless that is a proxy named in
    ``ONCOTRIAL_TRUSTED_PROXIES``; then the right-most ``X-Forwarded-For`` entry that is not itself a
    trusted proxy (entries left of it were written by the client and can be forged). Used by the
    login lockout (django-axes) and the audit trail."""
    from django.conf import settings

    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    trusted = set(getattr(settings, "ONCOTRIAL_TRUSTED_PROXIES", ()))
    if remote not in trusted:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if address not in trusted:
            return address[:64]
    return remote
