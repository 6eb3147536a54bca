"""Media on S3-compatible storage, for real: moto's S3 server on a loopback port, driven through boto3.

Upload a photo in the admin, publish it on a brief, read the page and fetch
its images from the bucket, then delete it: what a site with its media on
AWS S3, Cloudflare R2 or MinIO does. The server is started by the test on a
free port and stopped after it. Where moto is not installed the test is
skipped, saying so; with REQUIRE_S3=1 (CI) it fails instead.
"""

import json
import os
import re
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from briefs.models import Brief, Photo
from config.settings import MEDIA_CACHE_CONTROL, s3_media_storage
from tests.factories import image_bytes, published_brief

pytestmark = pytest.mark.django_db

BUCKET = "w10-briefs-media"


@pytest.fixture
def s3_endpoint():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        reason = "moto is not installed (pip install -r requirements-dev.txt)"
        if os.environ.get("REQUIRE_S3") == "1":
            pytest.fail(f"REQUIRE_S3=1 but {reason}")
        pytest.skip(reason)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_media(settings, s3_endpoint, monkeypatch):
    """The site configured as production would be from its environment, with media in a fresh bucket."""
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "w10-test", "AWS_SECRET_ACCESS_KEY": "w10-test"}.items():
        monkeypatch.setenv(name, value)
    environ = {"AWS_STORAGE_BUCKET_NAME": BUCKET, "AWS_S3_ENDPOINT_URL": s3_endpoint, "AWS_S3_REGION_NAME": "us-east-1"}
    storage, origins = s3_media_storage(environ)
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.SECURE_CSP = {**settings.SECURE_CSP, "img-src": [*settings.SECURE_CSP["img-src"], *origins]}
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    # Readers fetch media anonymously: the bucket policy docs/deployment.md gives.
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public_read_policy(BUCKET)))
    return client


def public_read_policy(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def bucket_keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_photos_live_in_the_bucket_from_upload_to_page_to_deletion(
    s3_media, s3_endpoint, staff_client, client, django_capture_on_commit_callbacks
):
    """An uploaded photo, its thumbnail and renditions land in the bucket; the page loads them from there; deleting
    the photo empties the bucket again."""
    response = staff_client.post(
        reverse("admin:briefs_photo_add"),
        {
            "image": SimpleUploadedFile("summit.jpg", image_bytes(size=(1600, 900)), content_type="image/jpeg"),
            "alt_text": "Ministers at the summit table",
            "credit": "Example Photo Agency",
        },
    )
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.renditions_status == Photo.Renditions.READY
    keys = bucket_keys(s3_media)
    assert keys == {photo.image.name, photo.thumbnail.name, *photo.rendition_names()}
    # Renditions sit beside their original.
    stem = photo.image.name.rsplit(".", 1)[0]
    assert {key for key in keys if key.startswith(stem + ".")} - {photo.image.name} == set(photo.rendition_names())
    head = s3_media.head_object(Bucket=BUCKET, Key=photo.image.name)
    assert head["CacheControl"] == MEDIA_CACHE_CONTROL

    brief = published_brief(header_photo=photo)
    page = client.get(brief.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    urls = set(re.findall(rf"{re.escape(s3_endpoint)}/{BUCKET}/[^\s\"]+", html))
    assert any(url.endswith(".avif") for url in urls) and any(url.endswith(".jpg") for url in urls)
    assert s3_endpoint in page["Content-Security-Policy"]
    for url in urls:
        with urllib.request.urlopen(url, timeout=10) as image:
            assert image.status == 200
            assert image.headers["Cache-Control"] == MEDIA_CACHE_CONTROL
            assert image.read(4)

    Brief.objects.filter(pk=brief.pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        deleted = staff_client.post(reverse("admin:briefs_photo_delete", args=[photo.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert bucket_keys(s3_media) == set()
