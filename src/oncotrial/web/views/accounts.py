"""Login (password, then a TOTP code for users who set one up) and logout."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login

from oncotrial.web.middleware import client_address
from oncotrial.web.services.audit import record_audit


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    otp_token = forms.CharField(label=_("Authenticator code (if set up)"), required=False, max_length=12)


def _confirmed_device(user, token: str):
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return None, True
    for device in devices:
        if token and device.verify_token(token):
            return device, True
    return None, False


@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = authenticate(request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "oncotrial/login.html", {"form": form}, status=429)
        if user is None:
            form.add_error(None, _("Username or password is not correct."))
        else:
            device, ok = _confirmed_device(user, data["otp_token"].strip())
            if not ok:
                record_audit(user=user, action="login_failed", how="page", reason="two-factor code",
                             remote_addr=client_address(request))
                form.add_error("otp_token", _("The authenticator code is missing or not correct."))
            else:
                auth_login(request, user)
                if device is not None:
                    otp_login(request, device)
                return redirect(_next_url(request))
    status = 400 if request.method == "POST" else 200
    return render(request, "oncotrial/login.html", {"form": form}, status=status)


def _next_url(request) -> str:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return "/"


@require_POST
def logout_view(request):
    auth_logout(request)
    return redirect("login")
