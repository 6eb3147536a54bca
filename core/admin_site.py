"""The admin site staff sign in to: throttled logins and optional TOTP two-factor sign-in.

* The login form (``StaffLoginForm``) refuses attempts while an account or a
  client address is locked (core/login_throttle.py), with a 429 saying when to
  try again, and counts every wrong password or code.
* Staff with a confirmed authenticator device (django-otp's TOTP plugin) give
  its 6-digit code with their password; a session signed in without the code
  (or before the device was added) is not let into the admin until it is.
* Staff enrol a device at ``admin:two_factor`` (the "Two-factor sign-in" link
  in the admin's header). With ``STAFF_2FA_REQUIRED`` on, a superuser without
  a confirmed device is sent there from every admin page until enrolled.

Sessions made with ``Client.force_login`` in tests carry no device; users without
one are let in as before, so tests of other admin pages are unaffected.
"""

import base64
import io
from functools import wraps

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .login_throttle import login_failure_record, login_refused_until, login_success_record
from .ratelimit import client_ip

CODE_WIDGET = forms.TextInput(
    # No pattern attribute: "123 456", as some apps show it, is accepted (the spaces are dropped).
    attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
)


def has_confirmed_device(user) -> bool:
    """Whether ``user`` has enrolled an authenticator (asked once per request: admin pages ask often)."""
    if not hasattr(user, "_has_confirmed_device"):
        user._has_confirmed_device = user_has_device(user, confirmed=True)
    return user._has_confirmed_device


def two_factor_enrolment_required(user) -> bool:
    """True for a superuser without a confirmed device while ``STAFF_2FA_REQUIRED`` is on."""
    return settings.STAFF_2FA_REQUIRED and user.is_superuser and not has_confirmed_device(user)


def six_digits(code: str) -> str | None:
    """A typed code as its six digits ("123 456" as apps show it gives "123456"), or None if it is not one."""
    code = code.strip().replace(" ", "")
    return code if code.isdigit() and len(code) == 6 else None


def verified_device(user, code: str):
    """The user's confirmed device that accepts ``code``, or None (each wrong code slows that device down)."""
    code = six_digits(code)
    if code is None:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


class StaffLoginForm(AdminAuthenticationForm):
    """Account, password and, for staff who have enrolled a device, the code it shows."""

    otp_token = forms.CharField(
        label="Authentication code",
        required=False,
        max_length=12,
        widget=CODE_WIDGET,
        help_text="The 6-digit code from your authenticator app, if you have set up two-factor sign-in.",
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "code_required": "Enter the 6-digit code from your authenticator app.",
        "code_invalid": "That authentication code is not right, or has already been used. Enter the current one.",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_ip(self.request)
        until = login_refused_until(username=username, address=address)
        if until is not None:
            self.request.login_refused_until = until
            minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
            raise ValidationError(
                "Too many failed sign-in attempts. Sign-in is paused for this account or network "
                f"until {timezone.localtime(until):%H:%M} ({timezone.localtime(until):%Z}), in about "
                f"{minutes} minute{'s' if minutes != 1 else ''}. Try again then.",
                code="throttled",
            )
        try:
            super().clean()
            if self.user_cache is None:
                # A blank field (its own error) is not an attempt: nothing to count, and no success either.
                return self.cleaned_data
            # Django's admin login view makes no use of a form's extras: the site's login() reads it from here.
            self.request.login_device = self.checked_device(self.user_cache)
        except ValidationError:
            login_failure_record(username=username, address=address)
            raise
        login_success_record(username=username)
        return self.cleaned_data

    def checked_device(self, user):
        if not has_confirmed_device(user):
            return None
        code = self.cleaned_data.get("otp_token") or ""
        if not code:
            raise ValidationError(self.error_messages["code_required"], code="code_required")
        device = verified_device(user, code)
        if device is None:
            raise ValidationError(self.error_messages["code_invalid"], code="code_invalid")
        return device


class TwoFactorEnrolmentForm(forms.Form):
    code = forms.CharField(
        label="Code from your app",
        max_length=12,
        widget=CODE_WIDGET,
        help_text="After adding the account to your app, type the 6-digit code it shows now.",
    )


class StaffAdminSite(admin.AdminSite):
    """Django's admin site with throttled logins and two-factor sign-in (see the module docstring)."""

    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"

    def has_permission(self, request):
        # A user with a device must have proved it in this session; one without is let in on the password.
        user = request.user
        if not super().has_permission(request):
            return False
        verified = getattr(user, "is_verified", None)  # set by django_otp's middleware
        return (verified is not None and verified()) or not has_confirmed_device(user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def enrolment_first(request, *args, **kwargs):
            if (
                request.user.is_authenticated
                and getattr(request.resolver_match, "url_name", None) not in ("two_factor", "logout", "jsi18n")
                and self.has_permission(request)
                and two_factor_enrolment_required(request.user)
            ):
                messages.warning(request, "Set up two-factor sign-in before using the admin: it is required here.")
                return redirect("admin:two_factor")
            return inner(request, *args, **kwargs)

        return enrolment_first

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        device = getattr(request, "login_device", None)
        if device is not None and request.user.is_authenticated:
            otp_login(request, device)
        until = getattr(request, "login_refused_until", None)
        if until is not None:
            response.status_code = 429
            response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds())))
        return response

    def get_urls(self):
        return [path("two-factor/", self.admin_view(self.two_factor_view), name="two_factor"), *super().get_urls()]

    def two_factor_view(self, request):
        """Shows whether two-factor sign-in is on; without a device, a QR code and secret to add one, and a code box."""
        user = request.user
        confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        context = {**self.each_context(request), "title": "Two-factor sign-in", "device": confirmed}
        if confirmed is not None:
            return TemplateResponse(request, "admin/two_factor/enrol.html", context)
        # One pending device per person, kept until confirmed, so reloading the page shows the same QR code.
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
        form = TwoFactorEnrolmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            code = six_digits(form.cleaned_data["code"])
            if code is not None and pending.verify_token(code):
                pending.confirmed = True
                pending.save(update_fields=["confirmed"])
                otp_login(request, pending)
                messages.success(request, "Two-factor sign-in is on. From now on, sign in with a code from your app.")
                return redirect("admin:index")
            form.add_error("code", "That code is not right. Check the app shows this account, then type the code now.")
        context.update(
            form=form,
            secret=base64.b32encode(pending.bin_key).decode(),
            config_url=pending.config_url,
            qr_data_uri=qr_svg_data_uri(pending.config_url),
        )
        return TemplateResponse(request, "admin/two_factor/enrol.html", context)


def qr_svg_data_uri(text: str) -> str:
    """``text`` as a QR code in an SVG data URI (no image libraries; the CSP allows data: images).

    On a white ground with the standard quiet zone, so that it scans in the admin's dark theme too.
    """
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
