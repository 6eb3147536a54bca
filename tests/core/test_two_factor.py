"""Two-factor sign-in for staff: enrolling an authenticator app, signing in with its code, and the superuser rule."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ENROL = "/admin/two-factor/"


def code_for(device: TOTPDevice) -> str:
    """The code the person's authenticator app shows now."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def clock():
    """Time that moves only when told, so that each sign-in uses the next 30-second code."""
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def enrolled_user(staff_user):
    return staff_user, TOTPDevice.objects.create(user=staff_user, name="Phone", confirmed=True)


def test_staff_enrol_an_authenticator_app_from_the_admin(staff_client, staff_user, clock):
    """The page shows a QR code and the key, with a labelled code box; the current code turns two-factor on."""
    assert 'href="/admin/two-factor/">Two-factor sign-in</a>' in staff_client.get("/admin/").content.decode()
    page = staff_client.get(ENROL).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page and 'alt="QR code' in page
    assert re.search(r'<label for="id_code">Code from your app:</label>', page)
    assert 'autocomplete="one-time-code"' in page and 'aria-describedby="id_code_helptext"' in page
    device = TOTPDevice.objects.get(user=staff_user)
    assert not device.confirmed
    assert device.config_url.startswith("otpauth://totp/Meridian%20Policy%20Forum%3Aeditor?secret=")
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert len(secret) == 32
    assert staff_client.get(ENROL).content.decode().count(secret) == 2, "reloading shows the same key"

    wrong = staff_client.post(ENROL, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    clock.shift(30)
    response = staff_client.post(ENROL, {"code": code_for(device)})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert "Two-factor sign-in is <strong>on</strong>" in staff_client.get(ENROL).content.decode()
    assert staff_client.get("/admin/").status_code == 200, "the session that enrolled is verified"


def test_with_an_app_enrolled_signing_in_needs_its_current_code(client, enrolled_user, clock):
    """Password alone, or with a wrong code, is refused; with the code from the app, the admin opens."""
    _, device = enrolled_user
    form = client.get(LOGIN).content.decode()
    assert '<label for="id_otp_token">Authentication code:</label>' in form
    assert 'autocomplete="one-time-code"' in form
    without = client.post(LOGIN, {"username": "editor", "password": "pw"})
    assert without.status_code == 200 and "Enter the 6-digit code" in without.content.decode()
    assert SESSION_KEY not in client.session
    not_current = f"{(int(code_for(device)) + 1) % 10**6:06d}"
    wrong = client.post(LOGIN, {"username": "editor", "password": "pw", "otp_token": not_current})
    assert "That authentication code is not right" in wrong.content.decode()
    assert SESSION_KEY not in client.session

    clock.shift(30)  # a wrong code slows the device down for a second or two; the next code is a fresh one
    code = code_for(device)
    response = client.post(LOGIN, {"username": "editor", "password": "pw", "otp_token": f"{code[:3]} {code[3:]}"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_used_code_cannot_sign_in_twice(client, enrolled_user, clock):
    """Someone who saw a code over a shoulder cannot reuse it once it has signed in."""
    _, device = enrolled_user
    code = code_for(device)
    assert client.post(LOGIN, {"username": "editor", "password": "pw", "otp_token": code}).status_code == 302
    client.post("/admin/logout/")

    again = client.post(LOGIN, {"username": "editor", "password": "pw", "otp_token": code})

    assert again.status_code == 200 and SESSION_KEY not in client.session


def test_wrong_codes_count_towards_the_sign_in_pause(client, enrolled_user, clock):
    """Guessing codes with a known password is paused like guessing passwords."""
    for _ in range(5):
        client.post(LOGIN, {"username": "editor", "password": "pw", "otp_token": "123456"})
        clock.shift(30)

    response = client.post(LOGIN, {"username": "editor", "password": "pw", "otp_token": code_for(enrolled_user[1])})

    assert response.status_code == 429 and SESSION_KEY not in client.session


def test_a_session_without_the_code_cannot_open_the_admin(client, enrolled_user):
    """A session signed in on the password alone (here forced) is sent back to sign in with the code."""
    client.force_login(enrolled_user[0])

    response = client.get("/admin/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert "authentication code" in client.get(response["Location"]).content.decode().lower()


def test_when_required_a_superuser_without_an_app_is_sent_to_enrol_first(staff_client, staff_user, settings, clock):
    """With STAFF_2FA_REQUIRED, every admin page leads to enrolment until it is done; then the admin opens."""
    settings.STAFF_2FA_REQUIRED = True
    for address in ("/admin/", "/admin/briefs/brief/", "/admin/auth/user/add/"):
        response = staff_client.get(address)
        assert response.status_code == 302 and response["Location"] == ENROL, address
    page = staff_client.get(ENROL)
    assert page.status_code == 200 and "it is required here" in page.content.decode()
    assert staff_client.post("/admin/logout/").status_code == 200, "signing out stays possible"
    staff_client.force_login(staff_user)

    staff_client.get(ENROL)
    clock.shift(30)
    device = TOTPDevice.objects.get(user=staff_user)
    staff_client.post(ENROL, {"code": code_for(device)})

    assert staff_client.get("/admin/briefs/brief/").status_code == 200


def test_when_required_other_staff_may_still_choose(client, django_user_model, settings):
    """The rule is for superusers; other staff keep working and may enrol when they like."""
    settings.STAFF_2FA_REQUIRED = True
    editor = django_user_model.objects.create_user(username="writer", password="pw", is_staff=True)
    client.force_login(editor)

    assert client.get("/admin/").status_code == 200


def test_a_lost_phone_is_handled_by_another_superuser_deleting_the_device(client, enrolled_user, django_user_model):
    """An administrator removes a colleague's device under "TOTP devices"; the colleague then signs in and re-enrols."""
    _, device = enrolled_user
    admin_user = django_user_model.objects.create_superuser(username="chief", password="pw")
    client.force_login(admin_user)
    listing = client.get("/admin/otp_totp/totpdevice/")
    assert listing.status_code == 200 and "Phone" in listing.content.decode()

    client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    client.logout()

    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert client.post(LOGIN, {"username": "editor", "password": "pw"}).status_code == 302
