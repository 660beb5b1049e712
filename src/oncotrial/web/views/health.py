"""Liveness and readiness for load balancers, orchestrators and systemd (issue 14), unauthenticated.

``/healthz``: the process answers (200), without touching the database. ``/readyz``: the database
answers and every migration this code ships is applied (200), else 503. Neither says more than
``ok`` or which of the two checks failed: no versions, names or counts leave the server.
"""

from __future__ import annotations

from functools import cache

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"ok": True})


@never_cache
@require_safe
def readyz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    except DatabaseError:
        return JsonResponse({"ok": False, "error": "database unavailable", "status": 503}, status=503)
    if not shipped_migrations() <= applied:
        return JsonResponse({"ok": False, "error": "migrations pending", "status": 503}, status=503)
    return JsonResponse({"ok": True})


@cache
def shipped_migrations() -> frozenset[tuple[str, str]]:
    """Every migration on disk (read once per process: the code does not change under it)."""
    from django.db.migrations.loader import MigrationLoader

    return frozenset(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
