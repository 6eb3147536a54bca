"""Requests no page can answer sensibly get a 400 or 413 with a plain reason, and ordinary ones pass untouched."""

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
import timeit
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from PIL import Image

from briefs.models import Photo
from core.hostile_input import request_problem
from tests.varnish import free_port

pytestmark = pytest.mark.django_db

SUBSCRIBE = reverse("newsletter:subscribe")


def anonymous() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("series=%00", "NUL character"),
        ("topics=a%00", "NUL character"),
        ("series=%E4", "not UTF-8"),  # "ä" as Latin-1, from an old site's link
        ("q=%C0%AF", "not UTF-8"),
        ("q=" + "x" * 40_000, "longer than 32768 bytes"),
    ],
)
def test_a_query_string_no_page_can_read_is_a_400_that_says_why(query, reason):
    """What broke the subscribe page on PostgreSQL (a NUL where a series is expected) is now a plain 400."""
    response = anonymous().get(f"{SUBSCRIBE}?{query}")

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert response["Cache-Control"] == "no-store"


def test_ordinary_addresses_and_words_pass():
    """Accented words, spaces as +, tracking parameters and an empty value are all fine."""
    client = anonymous()
    assert client.get("/search/?q=%C3%84rzte+und+Pflege&utm_source=x&page=").status_code == 200
    assert client.get(f"{SUBSCRIBE}?series=foreign-policy&topics=climate").status_code == 200


def test_a_nul_in_the_address_a_header_or_a_cookie_is_a_400():
    client = anonymous()
    assert client.get("/briefs/a%00b/").status_code == 400
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en\x00").status_code == 400
    # Cookie values may spell the NUL as an escape, which Django's cookie parser turns into the character.
    response = client.get("/", HTTP_COOKIE='sessionid="abcdefgh\\000"')
    assert response.status_code == 400
    assert b"cookie" in response.content


def test_bytes_that_are_not_utf8_in_the_address_are_the_404_page():
    """An old Latin-1 link (café as %E9) names no page: the 404 page, never a 500."""
    response = anonymous().get("/series/caf%E9/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


def test_form_fields_with_a_nul_are_a_400_as_urlencoded_and_as_multipart(smtp_server):
    client = anonymous()
    raw = client.generic("POST", SUBSCRIBE, b"email=a%00@example.org", content_type="application/x-www-form-urlencoded")
    assert raw.status_code == 400
    assert client.post(SUBSCRIBE, {"email": "reader@example.org", "source": "a\x00"}).status_code == 400
    latin1 = client.generic(
        "POST", SUBSCRIBE, b"email=caf%E9@example.org", content_type="application/x-www-form-urlencoded"
    )
    assert latin1.status_code == 400
    assert smtp_server.messages == []


@pytest.mark.postgres_only
def test_the_staff_photo_autocomplete_with_a_nul_is_a_400_not_a_500(staff_client):
    """The photo picker's search box (term=%00) used to reach PostgreSQL, which refuses NUL in text."""
    staff_client.raise_request_exception = False
    response = staff_client.get(
        reverse("admin:briefs_photo_autocomplete")
        + "?term=%00&app_label=briefs&model_name=brief&field_name=header_photo"
    )
    assert response.status_code == 400


def test_the_guard_costs_microseconds_per_request():
    """Public pages are on a CPU budget: checking a typical request's address, headers and cookies is cheap."""
    request = RequestFactory().get(
        "/search/?q=%C3%84rzte+und+Pflege&series=foreign-policy&page=2",
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9",
        HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 100,
        HTTP_COOKIE="csrftoken=abc; other=1",
    )
    assert request_problem(request) == ""
    per_request = min(timeit.repeat(lambda: request_problem(request), number=2000, repeat=3)) / 2000
    print(f"\nRequest guard: {per_request * 1e6:.1f} µs per request")
    assert per_request < 100e-6


# -- body size limits ---------------------------------------------------------


class CountingBody(io.RawIOBase):
    """A request body of ``size`` bytes that is never held in memory, and that counts what is read of it."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"\0" * count
        self.read_bytes += count
        return count


def test_an_anonymous_200_mb_upload_is_refused_with_413_before_a_byte_is_read():
    body = CountingBody(200 * 1024 * 1024)
    response = anonymous().generic(
        "POST",
        SUBSCRIBE,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )

    assert response.status_code == 413
    assert "209,715,200 bytes" in response.content.decode()
    assert "65,536" in response.content.decode()
    assert body.read_bytes == 0


def test_an_anonymous_form_above_the_visitor_limit_is_refused_but_an_ordinary_one_is_not(settings, smtp_server):
    client = anonymous()
    big = client.post(SUBSCRIBE, {"email": "reader@example.org", "website": "x" * 70_000})
    assert big.status_code == 413
    ordinary = client.post(SUBSCRIBE, {"email": "reader@example.org"})
    assert ordinary.status_code == 200


def large_photo() -> bytes:
    """A real JPEG of about 9.5 MB: random pixels at top quality do not compress."""
    side = 1560
    noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="JPEG", quality=100, subsampling=0)
    return buffer.getvalue()


def test_staff_can_still_upload_a_photo_of_nearly_10_mb(staff_client):
    """The visitors' limit does not touch staff: a 9.5 MB photo goes through the admin's form into the library."""
    photo = large_photo()
    assert 9 * 1024 * 1024 < len(photo) <= 10 * 1024 * 1024
    response = staff_client.post(
        reverse("admin:briefs_photo_add"),
        {
            "image": SimpleUploadedFile("summit.jpg", photo, content_type="image/jpeg"),
            "alt_text": "Ministers at the summit table",
            "credit": "Example Photo Agency",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Photo.objects.count() == 1


def test_staff_requests_above_the_request_limit_are_refused_too(staff_client, settings):
    body = CountingBody(settings.REQUEST_BODY_MAX_BYTES + 1)
    staff_client.raise_request_exception = False
    response = staff_client.generic(
        "POST",
        reverse("admin:briefs_photo_add"),
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert body.read_bytes == 0


def test_a_content_length_that_is_not_a_number_is_a_400():
    assert anonymous().generic("POST", SUBSCRIBE, b"", CONTENT_LENGTH="lots").status_code == 400


def test_gunicorn_answers_413_to_a_200_mb_upload_before_it_is_sent(tmp_path):
    """Through the real server: the 413 arrives after the headers and a first 64 KB, not after 200 MB."""
    port = free_port()
    environment = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",  # an anonymous refusal reads no database
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.1)
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(
                b"POST /newsletter/subscribe/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=xyz\r\n"
                b"Content-Length: 209715200\r\n\r\n"
                b'--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\n' + b"a" * 65536
            )
            answer = connection.recv(65536)
            elapsed = time.monotonic() - started
            # The rest of the answer, until gunicorn closes the connection (it may reset it instead, having
            # left the body unread).
            with contextlib.suppress(OSError):
                while chunk := connection.recv(65536):
                    answer += chunk
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert elapsed < 5
