"""Addresses our SMTP backend cannot encode are refused where they are typed, and never stop anyone else's email."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.email_address import sendable_email_problem
from newsletter.models import Subscriber
from newsletter.services import subscribers_send_confirmations

pytestmark = pytest.mark.django_db

SUBSCRIBE = reverse("newsletter:subscribe")
IMPORT = reverse("admin:newsletter_subscriber_import")


@pytest.mark.parametrize(
    ("address", "named"),
    [
        ("a@b.c\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("a@b.c\u200e", "U+200E LEFT-TO-RIGHT MARK"),
        ("reader@example.org\u00ad", "U+00AD SOFT HYPHEN"),
        ("read\u200ber@example.org", "U+200B ZERO WIDTH SPACE"),
    ],
)
def test_an_address_with_an_invisible_character_gets_a_form_error_naming_it(client, smtp_server, address, named):
    """The reader is told which hidden character is in the way; the page is the form again, and no email goes."""
    response = client.post(SUBSCRIBE, {"email": address})

    assert response.status_code == 200
    html = response.content.decode()
    assert named in html
    assert "cannot be sent by email" in html
    assert 'name="email"' in html
    assert smtp_server.messages == []


def test_an_international_domain_is_still_welcome(client, smtp_server):
    """Refusing what SMTP cannot encode does not refuse what it can: the domain is sent as punycode."""
    response = client.post(SUBSCRIBE, {"email": "leser@bücher.example"})

    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ("leser@xn--bcher-kva.example",)


@pytest.mark.parametrize(
    "address",
    ["reader@example.org", "first.last+briefs@sub.example.co.uk", '"a@b"@example.org', "x@exämple.org"],
)
def test_ordinary_addresses_have_no_sending_problem(address):
    assert sendable_email_problem(address) == ""


def test_the_csv_import_reports_an_unsendable_address_on_its_line(staff_client, smtp_server):
    """A direction mark after one address: its line is reported, the mark shown as its code; the rest are checked."""
    text = "email\nfirst@example.org\na@b.c\u202e\nlast@example.org\n"
    response = staff_client.post(IMPORT, {"file": SimpleUploadedFile("people.csv", text.encode(), "text/csv")})

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "<tr><td>3</td><td>“a@b.c[U+202E]” contains U+202E RIGHT-TO-LEFT OVERRIDE, which cannot be sent by email."
        "</td></tr>"
    ) in html
    assert "\u202e" not in html, "shown as it is, the mark would turn the rest of the line around"
    assert "<td>2</td>" not in html and "<td>4</td>" not in html
    assert not Subscriber.objects.exists()
    assert smtp_server.messages == []

    # Without the bad line, the rest are imported and confirmed.
    fixed = text.replace("a@b.c\u202e\n", "")
    response = staff_client.post(IMPORT, {"file": SimpleUploadedFile("people.csv", fixed.encode(), "text/csv")})
    assert response.status_code == 302
    assert sorted(message["To"] for message in smtp_server.wait_for(2)) == ["first@example.org", "last@example.org"]


def test_one_unsendable_stored_address_does_not_stop_the_other_confirmations(smtp_server):
    """An address stored before these checks existed fails on its own; everyone after it still gets their link."""
    first = Subscriber.objects.create(email="first@example.org")
    broken = Subscriber.objects.create(email="a@b.c\u202e")
    last = Subscriber.objects.create(email="last@example.org")

    sent, failed = subscribers_send_confirmations(subscriber_ids=[first.pk, broken.pk, last.pk])

    assert sent == 2
    assert len(failed) == 1 and failed[0].startswith("a@b.c\u202e:")
    assert sorted(message["To"] for message in smtp_server.wait_for(2)) == ["first@example.org", "last@example.org"]


def test_staff_adding_one_subscriber_are_told_too(staff_client, smtp_server):
    """The admin's "Add subscriber" form refuses the same addresses, with the same explanation."""
    response = staff_client.post(
        reverse("admin:newsletter_subscriber_add"),
        {"email": "a@b.c\u200e", "source": Subscriber.Source.ADMIN, "wants_everything": "on"},
    )

    assert response.status_code == 200
    assert "U+200E LEFT-TO-RIGHT MARK" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert smtp_server.messages == []


def test_staff_changing_an_address_to_an_unsendable_one_are_told_too(staff_client):
    subscriber = Subscriber.objects.create(email="reader@example.org")
    url = reverse("admin:newsletter_subscriber_change", args=[subscriber.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(email="reader@example.org\u202e", series=[], topics=[])

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email == "reader@example.org"
