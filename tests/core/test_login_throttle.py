"""Staff sign-in resists guessing: wrong passwords are counted per account and per address, then refused for a while."""

import datetime
import logging

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def sign_in(client, *, username="editor", password="pw", address="203.0.113.7", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_five_wrong_passwords_pause_the_account_even_for_the_right_one(client, staff_user, caplog):
    """After five wrong passwords the right one is refused too, with a 429 that says when to try again."""
    caplog.set_level(logging.INFO, logger="core.login_throttle")
    for _ in range(5):
        response = sign_in(client, password="guess")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()

    response = sign_in(client, password="pw")

    assert response.status_code == 429
    assert 890 <= int(response["Retry-After"]) <= 900
    body = response.content.decode()
    assert "Too many failed sign-in attempts" in body
    assert "Try again then" in body and "in about 15 minutes" in body
    assert not signed_in(client)
    assert "Staff login for account 'editor' locked until" in caplog.text
    assert "after 5 failures (last from 203.0.113.7)" in caplog.text
    assert "Refused staff login for account 'editor' from 203.0.113.7" in caplog.text


def test_the_account_pause_holds_from_any_address(client, staff_user):
    """Spreading the guesses over five addresses does not help: the account itself is paused."""
    for number in range(5):
        sign_in(client, password="guess", address=f"198.51.100.{number}")

    assert sign_in(client, address="192.0.2.99").status_code == 429
    assert not signed_in(client)


def test_one_address_guessing_many_accounts_is_paused(client, staff_user, django_user_model):
    """Twenty wrong passwords from one address, a few per account, pause that address but not others."""
    for number in range(20):
        sign_in(client, username=f"someone{number % 5}", password="guess", address="203.0.113.50")

    assert sign_in(client, address="203.0.113.50").status_code == 429, "the right password from the same address"
    assert not signed_in(client)
    response = sign_in(client, address="203.0.113.51")
    assert response.status_code == 302 and signed_in(client), "a colleague elsewhere still signs in"


def test_signing_in_forgets_the_accounts_earlier_mistakes(client, staff_user):
    """Four typos, a success, four more typos: still allowed, because the success reset the count."""
    for _ in range(4):
        sign_in(client, password="typo")
    assert sign_in(client).status_code == 302
    client.post("/admin/logout/")

    for _ in range(4):
        sign_in(client, password="typo")
    response = sign_in(client)

    assert response.status_code == 302 and signed_in(client)


def test_a_blank_password_neither_counts_nor_forgets_earlier_failures(client, staff_user):
    """Sending the form without a password is not a way to wipe an account's count of wrong guesses."""
    for _ in range(4):
        sign_in(client, password="guess")
    blank = sign_in(client, password="")
    assert blank.status_code == 200 and "This field is required" in blank.content.decode()
    sign_in(client, password="guess")

    assert sign_in(client).status_code == 429


def test_the_pause_ends_after_the_lockout_period(client, staff_user, settings):
    """Once LOGIN_LOCKOUT_SECONDS have passed, the right password works again."""
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(5):
            sign_in(client, password="guess")
        assert sign_in(client).status_code == 429
        traveller.shift(settings.LOGIN_LOCKOUT_SECONDS - 60)
        assert sign_in(client).status_code == 429
        traveller.shift(61)

        response = sign_in(client)

        assert response.status_code == 302 and signed_in(client)


def test_a_forged_forwarded_for_header_does_not_reset_the_address_count(client, staff_user, settings):
    """Without BEHIND_PROXY the address is the connection's own, whatever X-Forwarded-For claims."""
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for number in range(3):
        sign_in(client, username=f"x{number}", password="guess", HTTP_X_FORWARDED_FOR=f"10.9.9.{number}")

    assert sign_in(client, HTTP_X_FORWARDED_FOR="10.9.9.200").status_code == 429


def test_behind_the_proxy_each_address_is_counted_as_the_proxy_saw_it(client, staff_user, settings):
    """With BEHIND_PROXY the last X-Forwarded-For entry is the client: one office's guesses do not pause another's."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for number in range(3):
        sign_in(client, username=f"x{number}", password="guess", address="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert sign_in(client, address="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    assert sign_in(client, address="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 192.0.2.2").status_code == 302


@pytest.mark.parametrize("next_value", [None, "", "https://evil.example.org/", "//evil.example.org/admin/"])
def test_after_signing_in_a_missing_or_foreign_next_leads_to_the_admin(client, staff_user, next_value):
    """Signing in with no ?next=, an empty one, or one pointing at another site lands on the admin, not a 404."""
    extra = {} if next_value is None else {"next": next_value}
    query = "" if next_value is None else f"?next={next_value}"
    response = client.post(LOGIN + query, {"username": "editor", "password": "pw", **extra})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(response["Location"]).status_code == 200
