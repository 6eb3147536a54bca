"""Will mail arrive? DNS records checked against a real DNS server on loopback; DKIM signatures checked by dkimpy."""

import html
import re

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.utils.html import strip_tags

from newsletter.campaigns import campaign_send_test
from newsletter.services import subscription_request
from tests.newsletter.campaign_support import make_campaign, make_subscribers

pytestmark = pytest.mark.django_db

DOMAIN = "briefs.example.org"
SELECTOR = "briefs2026"


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def signing(settings, private_key_pem):
    settings.DEFAULT_FROM_EMAIL = f"Meridian Policy Forum <news@{DOMAIN}>"
    settings.DKIM_SELECTOR = SELECTOR
    settings.DKIM_PRIVATE_KEY = private_key_pem.replace("\n", "\\n")  # as one environment variable line
    from newsletter.dkim import dkim_signer

    return dkim_signer()


def campaign_page(staff_client, campaign) -> str:
    """The campaign page's text, as staff read it."""
    page = staff_client.get(f"/admin/newsletter/campaign/{campaign.pk}/change/").content.decode()
    return " ".join(html.unescape(strip_tags(page)).split())


def test_a_domain_with_spf_dmarc_and_our_dkim_key_passes_every_check(staff_client, dns_server, signing):
    """SPF, DMARC and the DKIM key matching the app's own are shown as in order."""
    dns_server.txt[DOMAIN] = ["v=spf1 include:mail.example.net ~all", "google-site-verification=abc"]
    dns_server.txt[f"_dmarc.{DOMAIN}"] = ["v=DMARC1; p=quarantine; rua=mailto:dmarc@briefs.example.org"]
    dns_server.txt[f"{SELECTOR}._domainkey.{DOMAIN}"] = [f"v=DKIM1; k=rsa; p={signing.public_key}"]
    page = campaign_page(staff_client, make_campaign())
    assert f"✓ SPF: {DOMAIN} says which servers may send its mail: v=spf1 include:mail.example.net ~all" in page
    assert f"✓ DMARC: _dmarc.{DOMAIN} has a DMARC policy (p=quarantine)." in page
    assert "✓ DKIM: A DKIM key is published at briefs2026._domainkey.briefs.example.org and this app signs" in page
    assert "✓ One-click unsubscribe" in page
    assert "⚠" not in page and "?" not in page.partition("Will it arrive?")[2].partition("Warnings do not")[0]


def test_missing_records_are_warnings_that_name_the_fix_and_block_nothing(
    staff_client, dns_server, signing, smtp_server
):
    """No SPF, no DMARC, no DKIM key: each warning says what to publish where; the campaign still goes."""
    page = campaign_page(staff_client, campaign := make_campaign())
    assert f"⚠ SPF: {DOMAIN} has no SPF record" in page and f"Add a TXT record at {DOMAIN}: v=spf1" in page
    assert "⚠ DMARC:" in page and f"Add a TXT record at _dmarc.{DOMAIN}: v=DMARC1; p=none" in page
    assert f"Add a TXT record at {SELECTOR}._domainkey.{DOMAIN}: v=DKIM1; k=rsa; p={signing.public_key}" in page

    make_subscribers(2)
    staff_client.post(f"/admin/newsletter/campaign/{campaign.pk}/send-now/", {"confirm_recipients": "2"})
    assert len(smtp_server.messages) == 2


def test_a_dkim_key_in_dns_that_is_not_ours_is_flagged(staff_client, dns_server, signing):
    """Someone published an older key: the page says signatures will fail and gives the right record."""
    dns_server.txt[f"{SELECTOR}._domainkey.{DOMAIN}"] = [
        "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAold"
    ]
    page = campaign_page(staff_client, make_campaign())
    assert "is not the one this app signs with, so signatures will fail" in page


def test_answers_are_cached_for_an_hour_and_an_unanswering_dns_is_reported(staff_client, dns_server, signing):
    """A second look asks the DNS nothing; with the DNS down the page says it could not check, and still works."""
    dns_server.txt[DOMAIN] = ["v=spf1 -all"]
    campaign = make_campaign()
    campaign_page(staff_client, campaign)
    asked = len(dns_server.queries)
    assert asked >= 3
    assert "✓ SPF" in campaign_page(staff_client, campaign)
    assert len(dns_server.queries) == asked

    from django.core.cache import cache

    cache.clear()
    dns_server.stop()
    from newsletter import deliverability

    deliverability.LOOKUP_SECONDS, previous = 0.5, deliverability.LOOKUP_SECONDS
    try:
        page = campaign_page(staff_client, campaign)
    finally:
        deliverability.LOOKUP_SECONDS = previous
    assert "? SPF: Could not check SPF: the DNS did not answer" in page


def test_a_from_address_at_localhost_is_a_warning_without_any_lookup(staff_client, dns_server, settings):
    """The default sender (briefs@localhost) cannot be trusted by anyone: the page says to set a real one."""
    settings.DEFAULT_FROM_EMAIL = "Policy Briefs <briefs@localhost>"
    page = campaign_page(staff_client, make_campaign())
    assert "DEFAULT_FROM_EMAIL uses localhost, which is not a domain on the internet" in page
    assert dns_server.queries == []


def verify(raw: bytes, public_key: str) -> bool:
    """dkimpy's verifier, with our public key where it would look it up in DNS."""
    record = f"v=DKIM1; k=rsa; p={public_key}".encode()

    def lookup(name, timeout=5):
        assert name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode()
        return record

    return dkim.verify(raw, dnsfunc=lookup)


def test_campaigns_test_emails_and_confirmations_carry_a_valid_dkim_signature(signing, smtp_server, staff_user):
    """Signed with the configured key; dkimpy verifies each; a changed body no longer verifies."""
    make_subscribers(1, prefix="signed-reader")
    campaign = make_campaign(subject="Grain, ports and power — the week in briefs")  # a non-ASCII subject too
    staff_client = Client()
    staff_client.force_login(staff_user)
    staff_client.post(f"/admin/newsletter/campaign/{campaign.pk}/send-now/", {"confirm_recipients": "1"})
    campaign_send_test(campaign=campaign, to="editor@example.org")
    subscription_request(email="new.reader@example.org")
    smtp_server.wait_for(3)

    for raw in smtp_server.raw_messages:
        assert raw.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=briefs.example.org; s=")
        assert verify(raw, signing.public_key), raw[:400]
    header = smtp_server.messages[0]["DKIM-Signature"]
    assert "list-unsubscribe" in re.search(r"h=([^;]+)", header)[1]
    tampered = smtp_server.raw_messages[0].replace(b"Ports and power", b"Ports and profit", 1)
    assert not verify(tampered, signing.public_key)


def test_without_dkim_settings_nothing_is_signed(smtp_server):
    """No key configured: the emails carry no signature (the provider may sign them)."""
    subscription_request(email="plain@example.org")
    [message] = smtp_server.wait_for(1)
    assert message["DKIM-Signature"] is None
