"""Security headers Django 5 does not set by itself."""

from __future__ import annotations

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
