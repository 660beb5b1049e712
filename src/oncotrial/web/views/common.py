"""What every page shares: login, the one error shape, and putting service errors onto form fields."""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from oncotrial.errors import InvalidInput, OncotrialError
from oncotrial.web.services.queries import find_visible_study
from oncotrial.web.views.errors import oncotrial_error_response


def page(view):
    """Login required; an OncotrialError becomes the error page (or JSON) with its status."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except OncotrialError as error:
            return oncotrial_error_response(request, error)

    return wrapper


def study_for(request, code: str):
    return find_visible_study(request.user, code)


def call_service(form, service, *args, **kwargs):
    """Call a service; an InvalidInput naming a form field is shown on that field (returns None)."""
    try:
        return service(*args, **kwargs)
    except InvalidInput as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)
        return None


def render_form(request, template: str, context: dict, form):
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, template, {**context, "form": form}, status=status)


def today() -> dt.date:
    return timezone.now().date()
