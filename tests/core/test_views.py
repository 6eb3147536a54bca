"""The health check and the friendly CSRF failure page."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_health_check_says_ok_when_the_database_answers(client):
    """Load balancers get 200 "ok" while the site can reach its database."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_the_health_check_reports_503_when_the_database_is_down(client, unreachable_database):
    """When the database cannot be reached, the health check says so with 503 instead of crashing."""
    response = client.get("/healthz")

    assert response.status_code == 503
    assert b"database" in response.content
    assert "no-cache" in response["Cache-Control"]


def test_health_checks_over_plain_http_are_not_redirected(client, settings):
    """With HTTPS enforced, pages redirect to https but /healthz still answers a load balancer's plain check."""
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/").status_code == 301
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


def test_a_form_sent_without_its_security_token_gets_a_friendly_page(settings):
    """An expired form shows the site's own page explaining what to do, not Django's bare 403."""
    from django.utils import timezone

    from newsletter.models import Subscriber

    # A subscriber's preferences form carries a token (the subscribe box checks origins instead: core/csrf.py).
    subscriber = Subscriber.objects.create(
        email="reader@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now()
    )
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/newsletter/preferences/{subscriber.token}/", {"series": []})

    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body
    assert settings.SITE_NAME in body
