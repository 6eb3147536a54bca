"""Security posture a reader's browser and an editor notice: Permissions-Policy, HSTS preload, bombs, media."""

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from briefs.models import Photo
from tests.factories import published_brief

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DENIED = (
    "camera=()",
    "microphone=()",
    "geolocation=()",
    "payment=()",
    "usb=()",
    "browsing-topics=()",
    "interest-cohort=()",
)


def assert_permissions_policy(response):
    policy = response["Permissions-Policy"]
    for feature in DENIED:
        assert feature in policy


def test_every_kind_of_answer_carries_the_permissions_policy(client, settings, staff_client):
    """Pages, cached pages, feeds, 404s, refusals and the admin all deny camera, microphone, location and the rest."""
    settings.PAGE_CACHE = True
    published_brief(title="Ports and power")
    anonymous = Client(raise_request_exception=False)
    first, cached = anonymous.get("/"), anonymous.get("/")
    assert cached["X-Page-Cache"] == "hit"
    for response in (
        first,
        cached,
        anonymous.get("/feed/"),
        anonymous.get("/no-such-page/"),
        anonymous.get("/?q=%00"),
        anonymous.get("/healthz"),
        staff_client.get(reverse("admin:index")),
    ):
        assert_permissions_policy(response)


def settings_in_a_fresh_process(**environ) -> dict:
    """Settings as production reads them at start-up, from a clean environment plus ``environ``."""
    env = {"PATH": os.environ["PATH"], "SECRET_KEY": "x" * 50, **environ}
    code = (
        "import json, config.settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS]))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    seconds, preload, subdomains = json.loads(result.stdout)
    return {"seconds": seconds, "preload": preload, "subdomains": subdomains}


def test_hsts_preload_is_only_sent_when_the_operator_asks_for_it():
    """Preloading is a promise browsers keep for months: HTTPS gives HSTS, but preload needs SECURE_HSTS_PRELOAD=1."""
    https = settings_in_a_fresh_process(SITE_URL="https://briefs.example.org")
    assert https == {"seconds": 31536000, "preload": False, "subdomains": True}
    asked = settings_in_a_fresh_process(SITE_URL="https://briefs.example.org", SECURE_HSTS_PRELOAD="1")
    assert asked["preload"] is True


def test_a_production_setup_without_preload_passes_check_deploy():
    """Leaving preload off is the default, so ``check --deploy --fail-level WARNING`` (as CI runs it) stays clean."""
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "briefs.example.org",
        "SITE_URL": "https://briefs.example.org",
        "EMAIL_HOST": "smtp.example.org",
        "DATABASE_URL": "postgres://briefs@127.0.0.1:5432/briefs",  # the checks do not connect
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    clean = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    flagged = subprocess.run(
        command, cwd=ROOT, env={**env, "SOCIAL_LINKS": "X=javascript:alert(1)"}, capture_output=True, text=True
    )
    assert flagged.returncode != 0
    assert "core.W001" in flagged.stderr


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels: a few dozen bytes that would take gigabytes to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def upload_error(staff_client, content: bytes, name: str) -> str:
    response = staff_client.post(
        reverse("admin:briefs_photo_add"),
        {"image": SimpleUploadedFile(name, content, "image/png"), "alt_text": "A map", "credit": "Agency"},
    )
    assert response.status_code == 200
    return " ".join(response.context["adminform"].form.errors["image"])


def test_a_900_megapixel_image_bomb_is_refused_naming_its_size(staff_client):
    """Pillow refuses to open it at all; the editor is still told how big it is and what we accept."""
    bomb = png_header_only(30_000, 30_000)
    assert len(bomb) < 100

    message = upload_error(staff_client, bomb, "map.png")

    assert "This image is 30,000 × 30,000 pixels (900 megapixels)" in message
    assert "the most we accept is 40 megapixels" in message
    assert Photo.objects.count() == 0


def test_an_image_just_over_the_limit_gets_the_same_message(staff_client):
    message = upload_error(staff_client, png_header_only(9000, 5000), "poster.png")
    assert "This image is 9000 × 5000 pixels (45 megapixels); the most we accept is 40 megapixels" in message


def test_a_media_address_too_long_for_the_file_system_is_a_404(settings):
    """/media/ and 300 characters made the operating system raise ENAMETOOLONG, which was a 500."""
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    client = Client(raise_request_exception=False)
    assert client.get("/media/" + "a" * 300).status_code == 404
    assert client.get("/media/" + "/".join(["b" * 255] * 20)).status_code == 404


def test_media_files_are_still_served_with_a_year_of_caching(settings):
    folder = Path(settings.MEDIA_ROOT) / "photos"
    folder.mkdir(parents=True)
    (folder / "map.png").write_bytes(png_header_only(1, 1))
    response = Client().get("/media/photos/map.png")
    assert response.status_code == 200
    assert response["Cache-Control"] == settings.MEDIA_CACHE_CONTROL
