"""The subscriber list in the admin: counts, filters, CSV export and CSV import."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from newsletter.models import Subscriber
from newsletter.services import EXPORT_COLUMNS
from tests.factories import SeriesFactory, TopicFactory
from tests.newsletter.smtp import body_text, links_in

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:newsletter_subscriber_changelist")
IMPORT = reverse("admin:newsletter_subscriber_import")
EXPORT = reverse("admin:newsletter_subscriber_export")


def csv_upload(text: str, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def import_csv(client, text: str, **data):
    return client.post(IMPORT, {"file": csv_upload(text), **data})


def content_of(response) -> str:
    return b"".join(response.streaming_content).decode()


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content_of(response))))


@pytest.fixture
def people():
    climate = TopicFactory(name="Climate", slug="climate")
    foreign = SeriesFactory(name="Foreign Policy Brief", slug="foreign-policy")
    ana = Subscriber.objects.create(
        email="ana@example.org",
        status=Subscriber.Status.SUBSCRIBED,
        source=Subscriber.Source.DASHBOARD,
        wants_everything=False,
        confirmed_at=timezone.now(),
        consent_at=timezone.now(),
    )
    ana.topics.set([climate])
    ana.series.set([foreign])
    Subscriber.objects.create(email="ben@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now())
    Subscriber.objects.create(email="cleo@example.org")
    Subscriber.objects.create(
        email="dev@example.org", status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now()
    )
    return ana


# -- the list ------------------------------------------------------------------


def test_the_list_shows_counts_by_status_and_each_subscribers_choices(staff_client, people):
    """Staff see how many people are in each state, and each row's status, source and choices."""
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "4 in total" in html
    assert "Subscribed: <strong>2</strong>" in html
    assert "Pending confirmation: <strong>1</strong>" in html
    assert "Unsubscribed: <strong>1</strong>" in html
    assert "Bounced: <strong>0</strong>" in html
    assert "Foreign Policy Brief, Climate" in html
    assert "Dashboard form" in html
    assert "Everything" in html
    assert "Import CSV" in html and "Export CSV" in html


def test_the_list_can_be_filtered_by_status_and_searched(staff_client, people):
    """Filtering by status and searching by address narrow the list."""
    html = staff_client.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    assert "cleo@example.org" in html and "ana@example.org" not in html
    html = staff_client.get(CHANGELIST, {"q": "BEN@"}).content.decode()
    assert "ben@example.org" in html and "cleo@example.org" not in html


# -- export --------------------------------------------------------------------


def test_csv_export_lists_every_subscriber_with_status_and_choices(staff_client, people):
    """The export button downloads one row per subscriber with their status, choices and consent record."""
    response = staff_client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert [row["email"] for row in rows] == [
        "ana@example.org",
        "ben@example.org",
        "cleo@example.org",
        "dev@example.org",
    ]
    ana = rows[0]
    assert ana["status"] == "subscribed"
    assert ana["series"] == "foreign-policy"
    assert ana["topics"] == "climate"
    assert ana["source"] == "dashboard"
    assert ana["confirmed_at"]
    assert rows[1]["topics"] == rows[1]["series"] == ""


def test_csv_export_follows_the_current_filter(staff_client, people):
    """Exporting from a filtered list exports only what the list shows."""
    rows = rows_of(staff_client.get(EXPORT, {"status__exact": "subscribed"}))
    assert sorted(row["email"] for row in rows) == ["ana@example.org", "ben@example.org"]


def test_csv_export_of_selected_subscribers_as_an_action(staff_client, people):
    """The list's action exports just the ticked subscribers."""
    response = staff_client.post(
        CHANGELIST,
        {"action": "export_selected_csv", "_selected_action": [people.pk]},
    )
    assert [row["email"] for row in rows_of(response)] == ["ana@example.org"]


def test_csv_export_defuses_spreadsheet_formulas(staff_client):
    """An address that starts like a formula is exported as text, so a spreadsheet does not run it."""
    Subscriber.objects.create(email="=cmd@example.org")
    assert rows_of(staff_client.get(EXPORT))[0]["email"] == "'=cmd@example.org"


def test_an_exported_file_can_be_imported_again_without_duplicates(staff_client, people):
    """Re-importing the export adds nobody: every address is already on the list."""
    exported = content_of(staff_client.get(EXPORT))
    response = import_csv(staff_client, exported, consented="on", consent_note="Re-import")
    assert response.status_code == 302
    assert Subscriber.objects.count() == 4


# -- import --------------------------------------------------------------------


def test_import_without_consent_adds_pending_people_and_emails_them(staff_client, smtp_server):
    """Without the consent box, imported people are pending and each gets a confirmation email."""
    climate = TopicFactory(name="Climate", slug="climate")
    response = import_csv(
        staff_client,
        "email,topics\nOne@Example.ORG,climate\ntwo@example.org,\n",
    )
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "2 subscribers added as pending; 2 confirmation email(s) are being sent in the background." in messages[0]

    one = Subscriber.objects.get(email="One@example.org")
    assert one.status == Subscriber.Status.PENDING
    assert one.source == Subscriber.Source.IMPORT
    assert list(one.topics.all()) == [climate]
    assert not one.wants_everything
    assert "Imported by editor" in one.consent_note
    assert Subscriber.objects.get(email="two@example.org").wants_everything

    emails = smtp_server.wait_for(2)
    assert sorted(message["To"] for message in emails) == ["One@example.org", "two@example.org"]
    assert "Topic: Climate" in body_text(smtp_server.messages_to("One@example.org")[0])

    # The emailed link subscribes them.
    link = next(line for line in body_text(emails[0]).split() if "/newsletter/confirm/" in line)
    staff_client.post(link.removeprefix("http://testserver"))
    assert Subscriber.objects.get(email=emails[0]["To"]).status == Subscriber.Status.SUBSCRIBED


def test_import_request_leaves_the_emails_to_the_background_worker(staff_client, smtp_server, settings):
    """The import page answers without waiting for the mail server; the worker sends the links later."""
    from django.tasks import default_task_backend

    from newsletter.tasks import send_import_confirmations

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    response = import_csv(staff_client, "email\nthree@example.org\nfour@example.org\n")

    assert response.status_code == 302
    assert smtp_server.messages == [], "nothing is sent inside the request"
    [queued] = default_task_backend.results
    assert queued.task.name == send_import_confirmations.name
    assert sorted(queued.kwargs["subscriber_ids"]) == sorted(Subscriber.objects.values_list("pk", flat=True))

    # What the worker then does:
    send_import_confirmations.call(**queued.kwargs)
    emails = smtp_server.wait_for(2)
    assert sorted(message["To"] for message in emails) == ["four@example.org", "three@example.org"]


def test_import_with_consent_subscribes_at_once_and_records_who_vouched(staff_client, smtp_server):
    """Ticking "already consented" subscribes people without emails and notes who recorded it and when."""
    response = import_csv(
        staff_client,
        "email\nfan@example.org\n",
        consented="on",
        consent_note="Signed up on paper at the 2026 conference",
    )
    assert response.status_code == 302
    fan = Subscriber.objects.get()
    assert fan.status == Subscriber.Status.SUBSCRIBED
    assert fan.consent_at is not None
    assert "Signed up on paper at the 2026 conference" in fan.consent_note
    assert "recorded by editor" in fan.consent_note
    assert timezone.localdate().isoformat() in fan.consent_note
    assert smtp_server.messages == []


def test_consent_must_say_how_it_was_given(staff_client):
    """Ticking the consent box without saying how is refused and imports nobody."""
    response = import_csv(staff_client, "email\nfan@example.org\n", consented="on")
    assert response.status_code == 200
    assert "Say how these people consented" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_semicolon_separated_files_from_spreadsheets_are_understood(staff_client):
    """A CSV saved with semicolons, as some spreadsheet locales do, imports like a comma-separated one."""
    TopicFactory(name="Climate", slug="climate")
    TopicFactory(name="Trade", slug="trade")
    text = "email;topics\nsemi@example.org;climate|trade\n"
    response = import_csv(staff_client, text, consented="on", consent_note="From a spreadsheet")
    assert response.status_code == 302
    assert sorted(Subscriber.objects.get().topics.values_list("slug", flat=True)) == ["climate", "trade"]


def test_an_invalid_export_filter_is_explained(staff_client):
    """A hand-edited export address with a nonsense filter goes back to the list with a message."""
    response = staff_client.get(EXPORT, {"no_such_field": "1"}, follow=True)
    assert "That filter is not valid" in response.content.decode()


def test_export_writes_a_header_for_an_empty_list(staff_client):
    """With nobody to export, the file still has its header row."""
    assert content_of(staff_client.get(EXPORT)).splitlines() == [",".join(EXPORT_COLUMNS)]


def test_bad_rows_are_reported_by_line_number_and_nothing_is_imported(staff_client, smtp_server):
    """Every bad row is listed with its line, and the good rows wait until the file is fixed."""
    TopicFactory(name="Climate", slug="climate")
    text = (
        "email,series,topics\n"
        "good@example.org,,climate\n"
        "not-an-address,,\n"
        "ok@example.org,,\n"
        ",,climate\n"
        "third@example.org,no-such-series,weather\n"
    )
    response = import_csv(staff_client, text)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "<tr><td>3</td><td>“not-an-address” is not a valid email address.</td></tr>" in html
    assert "<tr><td>5</td><td>The email address is missing.</td></tr>" in html
    assert "<tr><td>6</td><td>There is no series “no-such-series”; there is no topic “weather”.</td></tr>" in html
    assert "<td>2</td>" not in html and "<td>4</td>" not in html
    assert not Subscriber.objects.exists()
    assert smtp_server.messages == []


def test_duplicates_are_skipped_whatever_their_capitals(staff_client, smtp_server):
    """People already on the list, or listed twice, are not added again and get no email."""
    Subscriber.objects.create(email="Known@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=timezone.now())
    text = "Email\nknown@EXAMPLE.org\nnew@example.org\nNEW@example.org\n new@Example.org \n"
    response = import_csv(staff_client, text)
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "1 subscriber added" in messages[0]
    assert "Skipped: 1 already on the list, 2 repeated in the file." in messages[0]
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == ["Known@example.org", "new@example.org"]
    assert [message["To"] for message in smtp_server.wait_for(1)] == ["new@example.org"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"name\nAna\n", "header row with an “email” column"),
        (b"email\n", "The file has no rows to import"),
        ("email\ncafé@example.org\n".encode("latin-1"), "The file is not UTF-8 text"),
    ],
    ids=["no-email-column", "empty", "not-utf8"],
)
def test_unreadable_files_get_a_clear_message(staff_client, content, expected):
    """A file without an email column, without rows or in another encoding is explained, not imported."""
    response = staff_client.post(IMPORT, {"file": SimpleUploadedFile("x.csv", content)})
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not Subscriber.objects.exists()


def test_a_large_import_uses_few_queries(staff_client, django_assert_max_num_queries, settings):
    """Importing a thousand people with consent takes a handful of bulk queries, not one per row."""
    TopicFactory(name="Climate", slug="climate")
    text = "email,topics\n" + "".join(f"person{n}@example.org,climate\n" for n in range(1000))
    with django_assert_max_num_queries(30):
        response = import_csv(staff_client, text, consented="on", consent_note="Conference list")
    assert response.status_code == 302
    assert Subscriber.objects.filter(status=Subscriber.Status.SUBSCRIBED).count() == 1000
    assert Subscriber.topics.through.objects.count() == 1000


def test_the_import_page_needs_a_staff_login(client):
    """Visitors who are not logged in to the admin are sent to the login page."""
    response = client.get(IMPORT)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


# -- changing someone's subscription -------------------------------------------


def change_form_data(subscriber, **changes) -> dict:
    return {
        "email": subscriber.email,
        "source": subscriber.source,
        "wants_everything": "on",
        **changes,
    }


def test_staff_cannot_switch_a_status_by_hand(staff_client):
    """The status is shown, not edited: a pending person is not subscribed without their consent."""
    pending = Subscriber.objects.create(email="pending@example.org")
    url = reverse("admin:newsletter_subscriber_change", args=[pending.pk])
    assert 'name="status"' not in staff_client.get(url).content.decode()

    staff_client.post(url, change_form_data(pending, status="subscribed"))

    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING and pending.consent_at is None


def test_unsubscribing_from_the_admin_is_final_even_for_an_old_confirmation_link(client, staff_client, smtp_server):
    """The 'Unsubscribe' action records when; a confirmation link sent earlier no longer subscribes them."""
    client.post(reverse("newsletter:subscribe"), {"email": "leaver@example.org"})
    [message] = smtp_server.wait_for(1)
    link = next(link for link in links_in(message) if "/newsletter/confirm/" in link).removeprefix("http://testserver")
    client.post(link)
    leaver = Subscriber.objects.get(email="leaver@example.org")
    assert leaver.status == Subscriber.Status.SUBSCRIBED

    response = staff_client.post(
        CHANGELIST, {"action": "unsubscribe_selected", "_selected_action": [leaver.pk]}, follow=True
    )
    assert "1 subscriber unsubscribed." in [str(m) for m in response.context["messages"]]
    leaver.refresh_from_db()
    assert leaver.status == Subscriber.Status.UNSUBSCRIBED and leaver.unsubscribed_at is not None

    client.post(link)
    leaver.refresh_from_db()
    assert leaver.status == Subscriber.Status.UNSUBSCRIBED


def test_staff_add_someone_who_consented_and_the_consent_is_recorded(staff_client, staff_user, smtp_server):
    """Adding a person with 'They agreed' subscribes them, with when and who recorded it; no email is sent."""
    response = staff_client.post(
        reverse("admin:newsletter_subscriber_add"),
        {
            "email": "new@Example.org",
            "source": "admin",
            "wants_everything": "on",
            "consented": "on",
            "consent_note": "Signed up on paper at the March conference",
        },
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    added = Subscriber.objects.get()
    assert added.email == "new@example.org" and added.status == Subscriber.Status.SUBSCRIBED
    assert added.consent_at is not None and added.confirmed_at is not None
    assert "March conference" in added.consent_note and "editor" in added.consent_note
    assert smtp_server.messages == []


def test_staff_add_someone_without_recorded_consent_and_they_are_asked_to_confirm(staff_client, smtp_server):
    """Without consent the person is pending and gets a confirmation email; a claimed consent needs a note."""
    add = reverse("admin:newsletter_subscriber_add")
    response = staff_client.post(add, {"email": "vague@example.org", "source": "admin", "consented": "on"})
    assert response.status_code == 200 and not Subscriber.objects.exists()
    assert "Say how and when they agreed" in response.content.decode()

    response = staff_client.post(add, {"email": "maybe@example.org", "source": "admin", "wants_everything": "on"})
    assert response.status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "maybe@example.org"
