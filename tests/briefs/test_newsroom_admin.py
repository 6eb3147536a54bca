"""The newsroom in the admin, by direct requests: every role against every URL and button.

What is forbidden is refused on the server (not merely hidden), with a
message in the form; what the person typed is still there, and nothing in
the database changed.
"""

import datetime
import re

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from briefs.models import Brief, BriefRevision, EngagementResource, Photo, Section
from tests.briefs.newsroom_support import brief_in_state, change_form_data, change_url
from tests.briefs.test_workflow import MATRIX
from tests.factories import EngagementResourceFactory, PhotoFactory, TopicFactory, image_bytes

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "own_author", "other_author", "editor", "superuser"]


def client_for(people, actor) -> Client:
    client = Client()
    if actor != "anonymous":
        client.force_login(people[actor])
    return client


def snapshot(brief) -> dict:
    """Everything stored about a brief and its rows, to show a refused request changed nothing."""
    return {
        "brief": Brief.objects.values().get(pk=brief.pk),
        "sections": list(Section.objects.filter(brief=brief).values()),
        "transitions": brief.transitions.count(),
        "revisions": BriefRevision.objects.filter(brief=brief).count(),
    }


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(MATRIX))
def test_every_workflow_button_is_checked_on_the_server(people, name, actor):
    """A workflow button posted by someone who may not press it changes nothing, whatever the page showed."""
    source, target, allowed = MATRIX[name]
    brief = brief_in_state(source, author=people["own_profile"])
    before = snapshot(brief)
    when = timezone.localtime() + datetime.timedelta(days=2)
    data = change_form_data(
        brief,
        title="A title typed before pressing",
        **{
            "workflow-transition": name,
            "workflow-comment": "Please add the 2021 figures.",
            "workflow-schedule_at": when.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    response = client_for(people, actor).post(change_url(brief), data)

    stored = Brief.objects.get(pk=brief.pk)
    if actor in allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert stored.status == target
        return
    assert stored.status == source
    assert snapshot(brief)["brief"]["status"] == before["brief"]["status"]
    assert snapshot(brief)["transitions"] == before["transitions"]
    if actor == "anonymous":
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
        assert snapshot(brief) == before
    elif actor == "other_author":
        # Someone else's brief does not exist for them.
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")
        assert snapshot(brief) == before
    else:
        # Their own brief: the form (or the read-only page) again, with the reason.
        assert response.status_code == 200
        page = response.content.decode()
        assert "Only editors can" in page or "Only the brief" in page
        assert snapshot(brief) == before
        if 'name="title"' in page:  # the editable form keeps what was typed
            assert 'value="A title typed before pressing"' in page


def admin_urls(brief, other_brief, revision):
    """(name, method, url) for every admin page of the newsroom."""
    photo = PhotoFactory()
    series = brief.series
    topic = TopicFactory()
    resource = EngagementResourceFactory()
    return [
        ("brief list", "get", reverse("admin:briefs_brief_changelist")),
        ("add brief", "get", reverse("admin:briefs_brief_add")),
        ("own brief", "get", change_url(brief)),
        ("someone else's brief", "get", change_url(other_brief)),
        ("preview", "get", reverse("admin:briefs_brief_preview", args=[brief.pk])),
        ("someone else's preview", "get", reverse("admin:briefs_brief_preview", args=[other_brief.pk])),
        ("revisions", "get", reverse("admin:briefs_brief_revisions", args=[brief.pk])),
        ("someone else's revisions", "get", reverse("admin:briefs_brief_revisions", args=[other_brief.pk])),
        ("restore", "post", reverse("admin:briefs_brief_restore", args=[brief.pk, revision.pk])),
        ("autosave", "post", reverse("admin:briefs_brief_autosave", args=[brief.pk])),
        ("someone else's autosave", "post", reverse("admin:briefs_brief_autosave", args=[other_brief.pk])),
        ("delete own draft", "get", reverse("admin:briefs_brief_delete", args=[brief.pk])),
        ("history", "get", reverse("admin:briefs_brief_history", args=[brief.pk])),
        ("photo library", "get", reverse("admin:briefs_photo_library")),
        ("photo upload", "post", reverse("admin:briefs_photo_upload")),
        ("photo list", "get", reverse("admin:briefs_photo_changelist")),
        ("delete photo", "get", reverse("admin:briefs_photo_delete", args=[photo.pk])),
        ("series list", "get", reverse("admin:briefs_series_changelist")),
        ("add series", "get", reverse("admin:briefs_series_add")),
        ("change series", "post", reverse("admin:briefs_series_change", args=[series.pk])),
        ("add topic", "get", reverse("admin:briefs_topic_add")),
        ("delete topic", "get", reverse("admin:briefs_topic_delete", args=[topic.pk])),
        ("add author", "get", reverse("admin:briefs_author_add")),
        ("change author", "post", reverse("admin:briefs_author_change", args=[people_profile_pk(brief)])),
        ("add resource", "get", reverse("admin:briefs_engagementresource_add")),
        ("change resource", "post", reverse("admin:briefs_engagementresource_change", args=[resource.pk])),
        ("campaigns", "get", reverse("admin:newsletter_campaign_changelist")),
        ("add campaign", "get", reverse("admin:newsletter_campaign_add")),
    ]


def people_profile_pk(brief):
    return brief.brief_authors.first().author_id


OK, REFUSED, GONE, LOGIN = "ok", "refused", "gone", "login"
AUTHOR_ANSWERS = {
    "brief list": OK, "add brief": OK, "own brief": OK, "someone else's brief": GONE, "preview": OK,
    "someone else's preview": GONE, "revisions": OK, "someone else's revisions": GONE, "restore": OK, "autosave": OK,
    "someone else's autosave": REFUSED, "delete own draft": OK, "history": OK, "photo library": OK,
    "photo upload": OK, "photo list": OK, "delete photo": REFUSED, "series list": OK, "add series": REFUSED,
    "change series": REFUSED, "add topic": REFUSED, "delete topic": REFUSED, "add author": OK,
    "change author": REFUSED, "add resource": OK, "change resource": REFUSED, "campaigns": REFUSED,
    "add campaign": REFUSED,
}  # fmt: skip
EDITOR_ANSWERS = {name: OK for name in AUTHOR_ANSWERS} | {"campaigns": REFUSED, "add campaign": REFUSED}


def answer(response) -> str:
    if response.status_code in (200, 201, 400) or (
        response.status_code == 302 and "login" not in response["Location"] and response["Location"] != "/admin/"
    ):
        return OK
    if response.status_code == 302 and reverse("admin:login") in response["Location"]:
        return LOGIN
    if response.status_code == 302 or response.status_code == 404:
        return GONE
    if response.status_code == 403:
        return REFUSED
    return f"unexpected {response.status_code}"


@pytest.mark.parametrize("actor", ACTORS)
def test_every_admin_url_answers_each_role_as_it_should(people, actor):
    """Anonymous visitors log in first; Authors reach their own briefs and the library; Editors reach everything."""
    brief = brief_in_state("draft", author=people["own_profile"])
    other_brief = brief_in_state("draft", author=people["other_profile"])
    client = client_for(people, "superuser")
    client.post(change_url(brief), change_form_data(brief))  # one revision to restore
    revision = BriefRevision.objects.get(brief=brief)
    expected = {
        "anonymous": dict.fromkeys(AUTHOR_ANSWERS, LOGIN),
        "own_author": AUTHOR_ANSWERS,
        "other_author": AUTHOR_ANSWERS,  # (the same rules; "own" is then the other author's brief)
        "editor": EDITOR_ANSWERS,
        "superuser": dict.fromkeys(AUTHOR_ANSWERS, OK),
    }[actor]
    if actor == "other_author":
        brief, other_brief = other_brief, brief
        revision = BriefRevision.objects.create(
            revision=type(revision.revision).objects.create(date_created=timezone.now()),
            brief=brief,
            version=brief.version,
        )
    client = client_for(people, actor)

    answers = {}
    for name, method, url in admin_urls(brief, other_brief, revision):
        response = getattr(client, method)(url, {} if method == "get" else {"nothing": "posted"})
        answers[name] = answer(response)
    assert answers == expected


def test_an_author_sees_only_their_own_briefs_in_the_list(people):
    mine = brief_in_state("draft", author=people["own_profile"], title="Mine")
    brief_in_state("draft", author=people["other_profile"], title="Theirs")
    response = client_for(people, "own_author").get(reverse("admin:briefs_brief_changelist"))
    assert list(response.context["cl"].result_list) == [mine]


def test_an_author_cannot_edit_their_brief_once_it_is_in_review(people):
    """In review, the Author's own brief opens read-only; a posted edit is refused and changes nothing."""
    brief = brief_in_state("in_review", author=people["own_profile"])
    client = client_for(people, "own_author")
    page = client.get(change_url(brief)).content.decode()
    assert 'name="title"' not in page
    assert 'value="return_to_draft"' in page

    before = snapshot(brief)
    response = client.post(change_url(brief), change_form_data(brief, title="Sneaky edit"))
    assert response.status_code == 200
    assert "You cannot change this brief now." in response.content.decode()
    assert snapshot(brief) == before


def test_an_author_must_stay_on_the_byline(people):
    """An Author cannot hand their brief to someone else's byline (and so lose it)."""
    brief = brief_in_state("draft", author=people["own_profile"])
    data = change_form_data(brief, **{"brief_authors-0-author": str(people["other_profile"].pk)})
    response = client_for(people, "own_author").post(change_url(brief), data)
    assert response.status_code == 200
    assert "Keep yourself on the byline" in response.content.decode()
    assert brief.authors == [people["own_profile"]]


class TestStaleSaves:
    def test_a_save_from_an_older_version_is_refused_and_keeps_the_editors_text(self, people):
        """Two people opened version 1; the second to save is told, sees a link to the newer revision, loses nothing."""
        brief = brief_in_state("draft", author=people["own_profile"])
        first = change_form_data(brief, title="The first editor's title")
        second = change_form_data(brief, title="The second editor's title", summary="A summary they worked on.")
        editor = client_for(people, "editor")

        assert editor.post(change_url(brief), first).status_code == 302
        response = client_for(people, "own_author").post(change_url(brief), second)

        assert response.status_code == 200
        page = response.content.decode()
        assert "after you opened it" in page
        assert 'value="The second editor&#x27;s title"' in page
        assert "A summary they worked on." in page
        newer = BriefRevision.objects.get(brief=brief, version=2)
        assert f"{reverse('admin:briefs_brief_revisions', args=[brief.pk])}?b={newer.pk}" in page
        stored = Brief.objects.get(pk=brief.pk)
        assert (stored.title, stored.version) == ("The first editor's title", 2)

    def test_saving_from_the_newest_version_works_and_counts_on(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        client = client_for(people, "own_author")
        assert client.post(change_url(brief), change_form_data(brief, title="One")).status_code == 302
        assert client.post(change_url(brief), change_form_data(brief, title="Two")).status_code == 302
        assert Brief.objects.get(pk=brief.pk).version == 3


class TestRefusalsInTheForm:
    def test_scheduling_in_the_past_is_refused_with_the_text_kept(self, people):
        brief = brief_in_state("in_review", author=people["own_profile"])
        before = snapshot(brief)
        past = timezone.localtime() - datetime.timedelta(hours=1)
        data = change_form_data(
            brief,
            summary="A summary typed just now.",
            **{"workflow-transition": "schedule", "workflow-schedule_at": past.strftime("%Y-%m-%dT%H:%M")},
        )
        response = client_for(people, "editor").post(change_url(brief), data)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Choose a time in the future" in page
        assert "A summary typed just now." in page
        assert snapshot(brief) == before

    def test_a_header_photo_upload_without_alt_text_is_refused(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        before = snapshot(brief)
        data = change_form_data(brief, title="Kept title", header_photo_credit="The New York Times")
        data["header_photo_file"] = SimpleUploadedFile("talks.jpg", image_bytes(size=(320, 200)), "image/jpeg")
        response = client_for(people, "own_author").post(change_url(brief), data)
        assert response.status_code == 200
        page = response.content.decode()
        assert "alt text is required" in page
        assert 'value="Kept title"' in page and 'value="The New York Times"' in page
        assert snapshot(brief) == before
        assert not Photo.objects.exists()

    def test_a_header_photo_that_is_not_an_image_is_refused(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        data = change_form_data(brief, header_photo_alt="A photo")
        data["header_photo_file"] = SimpleUploadedFile("talks.jpg", b"not an image at all", "image/jpeg")
        response = client_for(people, "own_author").post(change_url(brief), data)
        assert response.status_code == 200
        assert "not an image we can read" in response.content.decode()
        assert not Photo.objects.exists()

    def test_a_header_photo_uploaded_on_the_form_joins_the_library(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        data = change_form_data(
            brief, header_photo_alt="Delegates at a table", header_photo_credit="The New York Times"
        )
        data["header_photo_file"] = SimpleUploadedFile("talks.jpg", image_bytes(size=(320, 200)), "image/jpeg")
        assert client_for(people, "own_author").post(change_url(brief), data).status_code == 302
        photo = Photo.objects.get()
        assert (photo.alt_text, photo.credit) == ("Delegates at a table", "The New York Times")
        assert Brief.objects.get(pk=brief.pk).header_photo == photo

    def test_resources_and_authors_are_created_on_the_brief_form(self, people):
        """A new organisation (with its logo) and a co-author are typed into the form and saved with the brief."""
        brief = brief_in_state("draft", author=people["own_profile"])
        data = change_form_data(brief)
        data |= {
            "brief_resources-TOTAL_FORMS": "1",
            "brief_resources-0-new_name": "NATO",
            "brief_resources-0-new_url": "https://www.nato.int/",
            "brief_resources-0-new_description": "A political and military alliance.",
            "brief_resources-0-new_logo": SimpleUploadedFile("nato.png", image_bytes(format="PNG"), "image/png"),
            "brief_resources-0-sort_order": "0",
            "brief_authors-TOTAL_FORMS": "2",
            "brief_authors-1-new_author_name": "Samir Haddad",
            "brief_authors-1-sort_order": "1",
        }
        response = client_for(people, "own_author").post(change_url(brief), data)
        assert response.status_code == 302, response.context and response.context["errors"]
        nato = EngagementResource.objects.get(name="NATO")
        assert nato.logo and nato.url == "https://www.nato.int/"
        assert [a.name for a in Brief.objects.get(pk=brief.pk).authors] == ["Amara Okafor", "Samir Haddad"]

    def test_a_resource_already_in_the_list_is_not_created_twice(self, people):
        EngagementResourceFactory(name="NATO")
        brief = brief_in_state("draft", author=people["own_profile"])
        data = change_form_data(brief) | {
            "brief_resources-TOTAL_FORMS": "1",
            "brief_resources-0-new_name": "nato",
            "brief_resources-0-new_url": "https://www.nato.int/",
            "brief_resources-0-new_description": "An alliance.",
            "brief_resources-0-sort_order": "0",
        }
        response = client_for(people, "own_author").post(change_url(brief), data)
        assert response.status_code == 200
        assert "already in the list" in response.content.decode()
        assert EngagementResource.objects.count() == 1


class TestPhotoUpload:
    URL = reverse("admin:briefs_photo_upload")

    def test_a_photo_dropped_into_the_text_is_uploaded_with_its_alt_text_and_credit(self, people):
        response = client_for(people, "own_author").post(
            self.URL,
            {
                "image": SimpleUploadedFile("podium.jpg", image_bytes(size=(640, 400)), "image/jpeg"),
                "alt_text": "A spokesperson at a podium",
                "caption": "“We remain ready to talk.”",
                "credit": "The Sun",
            },
        )
        assert response.status_code == 201
        photo = Photo.objects.get()
        assert response.json()["photo"] == {
            "id": photo.pk,
            "thumbnail": photo.card_image.url,
            "alt": "A spokesperson at a podium",
            "caption": "“We remain ready to talk.”",
            "credit": "The Sun",
        }

    @pytest.mark.parametrize(
        "upload, alt_text, message",
        [
            (("podium.jpg", b"GIF89a broken", "image/jpeg"), "Alt", "not an image we can read"),
            (("podium.jpg", image_bytes(), "image/jpeg"), "", "alt text is required"),
            (None, "Alt", "Choose an image file"),
        ],
    )
    def test_a_refused_upload_answers_a_clear_json_error_and_stores_nothing(self, people, upload, alt_text, message):
        data = {"alt_text": alt_text}
        if upload:
            data["image"] = SimpleUploadedFile(*upload)
        response = client_for(people, "own_author").post(self.URL, data)
        assert response.status_code == 400
        assert message in response.json()["message"]
        assert not Photo.objects.exists()

    def test_the_library_answers_placed_photos_by_id_and_searches(self, people):
        wanted = PhotoFactory(alt_text="Wind turbines off the coast", credit="Coastal Desk")
        PhotoFactory(alt_text="Parliament in session")
        client = client_for(people, "own_author")
        library = reverse("admin:briefs_photo_library")
        assert [r["id"] for r in client.get(library, {"ids": f"{wanted.pk},nonsense"}).json()["results"]] == [wanted.pk]
        assert [r["alt"] for r in client.get(library, {"q": "turbines"}).json()["results"]] == [wanted.alt_text]


class TestPreviewLinks:
    def test_staff_preview_every_state_from_the_admin(self, people):
        for state in ["draft", "in_review", "scheduled", "published", "archived"]:
            brief = brief_in_state(state, author=people["own_profile"])
            response = client_for(people, "editor").get(reverse("admin:briefs_brief_preview", args=[brief.pk]))
            assert response.status_code == 200, state
            assert response["Cache-Control"] == "private, no-store"
            page = response.content.decode()
            assert "Preview." in page and 'content="noindex' in page
            assert brief.title in page

    def test_a_reviewer_without_an_account_opens_a_valid_link(self, people):
        brief = brief_in_state("in_review", author=people["own_profile"], title="Water rights upstream")
        response = Client().get(reverse("briefs:preview", args=[brief.preview_token()]))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        page = response.content.decode()
        assert "Water rights upstream" in page and "Preview." in page
        assert "Edit in the admin" not in page

    def test_the_change_form_offers_the_link_to_copy(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        page = client_for(people, "own_author").get(change_url(brief)).content.decode()
        link = re.search(r'id="newsroom-preview-link" value="([^"]+)"', page).group(1)
        assert Client().get(link).status_code == 200
        assert "Copy preview link" in page

    def test_an_expired_link_is_not_found_and_says_nothing(self, people, time_machine):
        time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=False)
        brief = brief_in_state("draft", author=people["own_profile"], title="Secret title")
        url = reverse("briefs:preview", args=[brief.preview_token()])
        time_machine.move_to(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC), tick=False)
        assert Client().get(url).status_code == 200  # six days on: still valid
        time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 1, tzinfo=datetime.UTC), tick=False)
        response = Client().get(url)
        assert response.status_code == 404
        assert "Secret title" not in response.content.decode()

    def test_a_tampered_link_is_not_found_and_says_nothing(self, people):
        brief = brief_in_state("draft", author=people["own_profile"], title="Secret title")
        other = brief_in_state("draft", author=people["own_profile"], title="Other secret")
        token = brief.preview_token()
        _, signed = token.split(":", 1)
        other_payload = other.preview_token().split(":", 1)[0]
        wrong_key = signing.TimestampSigner(key="not-the-site-key", salt="briefs.preview-link")
        for bad in [
            f"{other_payload}:{signed}",  # another brief's id under this brief's signature
            wrong_key.sign_object({"brief": other.pk}),  # signed with a key that is not the site's
            token[:-1] + ("A" if token[-1] != "A" else "B"),
            "nonsense",
            token + "x",
        ]:
            response = Client().get(reverse("briefs:preview", args=[bad]))
            assert response.status_code == 404, bad
            assert "secret" not in response.content.decode().lower()

    def test_after_publishing_the_link_leads_to_the_public_page(self, people):
        brief = brief_in_state("in_review", author=people["own_profile"])
        url = reverse("briefs:preview", args=[brief.preview_token()])
        brief.publish(by=people["editor"])
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"] == brief.get_absolute_url()


class TestRevisions:
    def test_every_save_keeps_a_revision_with_who_and_when(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        client = client_for(people, "own_author")
        client.post(change_url(brief), change_form_data(brief, title="First"))
        client.post(change_url(brief), change_form_data(brief, title="Second"))
        response = client.get(reverse("admin:briefs_brief_revisions", args=[brief.pk]))
        revisions = response.context["revisions"]
        assert [(r.version, r.revision.user) for r in revisions] == [
            (3, people["own_author"]),
            (2, people["own_author"]),
        ]

    def test_two_revisions_compare_word_by_word(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        client = client_for(people, "own_author")
        client.post(
            change_url(brief),
            change_form_data(brief, title="Talks on the crisis", **{"sections-0-body": "<p>The talks went well.</p>"}),
        )
        client.post(
            change_url(brief),
            change_form_data(
                brief, title="Talks on the Ukraine crisis", **{"sections-0-body": "<p>The talks went badly.</p>"}
            ),
        )
        older, newer = BriefRevision.objects.filter(brief=brief).order_by("version")
        response = client.get(reverse("admin:briefs_brief_revisions", args=[brief.pk]), {"a": older.pk, "b": newer.pk})
        page = response.content.decode()
        assert "Talks on the <ins>Ukraine </ins>crisis" in page
        assert "The talks went <del>well</del><ins>badly</ins>." in page

    def test_restoring_makes_a_new_revision_and_never_publishes(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        client = client_for(people, "own_author")
        client.post(change_url(brief), change_form_data(brief, title="The good title"))
        client.post(
            change_url(brief), change_form_data(brief, title="A worse title", **{"sections-0-heading": "Renamed"})
        )
        good = BriefRevision.objects.get(brief=brief, version=2)

        response = client.post(reverse("admin:briefs_brief_restore", args=[brief.pk, good.pk]))

        assert response.status_code == 302
        stored = Brief.objects.get(pk=brief.pk)
        assert (stored.title, stored.status, stored.version) == ("The good title", Brief.Status.DRAFT, 4)
        assert [s.heading for s in stored.sections.all()] == ["Policy Summary"]
        newest = BriefRevision.objects.filter(brief=brief).order_by("-version").first()
        assert (newest.kind, newest.version) == (BriefRevision.Kind.RESTORED, 4)

    def test_a_live_brief_is_not_restored_behind_the_readers_back(self, people):
        brief = brief_in_state("published", author=people["own_profile"])
        editor = client_for(people, "editor")
        editor.post(change_url(brief), change_form_data(brief, title="Edited live"))
        revision = BriefRevision.objects.get(brief=brief)
        response = editor.post(reverse("admin:briefs_brief_restore", args=[brief.pk, revision.pk]), follow=True)
        assert "Unpublish it first" in response.content.decode()

    def test_autosave_keeps_the_forms_text_without_changing_the_brief(self, people):
        brief = brief_in_state("draft", author=people["own_profile"])
        data = change_form_data(brief, title="Half-written title", **{"sections-0-body": "<p>Half a thought</p>"})
        response = client_for(people, "own_author").post(reverse("admin:briefs_brief_autosave", args=[brief.pk]), data)
        assert response.status_code == 200 and "Autosaved" in response.json()["message"]
        stored = Brief.objects.get(pk=brief.pk)
        assert stored.title != "Half-written title" and stored.version == 1
        autosave = BriefRevision.objects.get(brief=brief)
        assert autosave.kind == BriefRevision.Kind.AUTOSAVE
        page = client_for(people, "own_author").get(change_url(brief)).content.decode()
        assert "There is an autosave from" in page

        client_for(people, "own_author").post(reverse("admin:briefs_brief_restore", args=[brief.pk, autosave.pk]))
        stored = Brief.objects.get(pk=brief.pk)
        assert stored.title == "Half-written title"
        assert stored.sections.get().body == "<p>Half a thought</p>"


class TestCorrectionsInTheAdmin:
    def test_changing_a_live_brief_shows_updated_and_the_note_to_readers(self, people, time_machine):
        time_machine.move_to(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC), tick=True)
        brief = brief_in_state("published", author=people["own_profile"])
        time_machine.move_to(datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC), tick=True)
        data = change_form_data(
            brief,
            summary="A corrected summary.",
            correction_note="An earlier version gave the wrong date for the talks.",
        )
        assert client_for(people, "editor").post(change_url(brief), data).status_code == 302
        page = Client().get(brief.get_absolute_url()).content.decode()
        assert "Updated <time" in page and "3 Dec 2026" in page
        assert "An earlier version gave the wrong date for the talks." in page
        assert Brief.objects.get(pk=brief.pk).number == brief.number

    def test_saving_a_live_brief_without_changing_its_text_is_not_a_correction(self, people):
        brief = brief_in_state("published", author=people["own_profile"])
        client_for(people, "editor").post(change_url(brief), change_form_data(brief))
        assert "Updated <time" not in Client().get(brief.get_absolute_url()).content.decode()


class TestQueryBudgets:
    def _grow(self, brief, people, *, sections, saves):
        for position in range(sections):
            brief.sections.create(
                heading=f"Part {position}",
                body=f'<p>Text.</p><figure data-photo-id="{PhotoFactory().pk}"></figure>',
                sort_order=position + 1,
            )
        client = client_for(people, "editor")
        for _ in range(saves):
            client.post(change_url(brief), change_form_data(brief))
        brief.transition("submit_for_review", by=people["editor"])
        brief.transition("return_to_draft", by=people["editor"])

    @pytest.mark.parametrize("actor", ["editor", "own_author"])
    def test_the_change_form_needs_the_same_queries_for_few_or_many_revisions_and_sections(self, people, actor):
        """Two sections and one revision, or thirteen sections and sixteen revisions: the same few queries."""
        small = brief_in_state("draft", author=people["own_profile"])
        big = brief_in_state("draft", author=people["own_profile"])
        self._grow(small, people, sections=1, saves=1)
        self._grow(big, people, sections=12, saves=15)
        client = client_for(people, actor)

        counts = []
        for brief in (small, big):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(change_url(brief)).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1], counts
        assert counts[0] <= 24, counts

    def test_the_public_page_of_a_corrected_brief_stays_within_the_brief_page_budget(
        self, people, django_assert_max_num_queries
    ):
        brief = brief_in_state("published", author=people["own_profile"])
        self._grow_live(brief, people)
        with django_assert_max_num_queries(11):
            assert Client().get(brief.get_absolute_url()).status_code == 200

    def _grow_live(self, brief, people):
        for position in range(10):
            brief.sections.create(heading=f"Part {position}", body="<p>More.</p>", sort_order=position + 1)
        client = client_for(people, "editor")
        for number in range(5):
            client.post(change_url(brief), change_form_data(brief, summary=f"Summary {number}."))


class TestDeleting:
    def test_an_author_deletes_their_own_draft_but_nothing_else(self, people):
        own = brief_in_state("draft", author=people["own_profile"])
        theirs = brief_in_state("draft", author=people["other_profile"])
        live = brief_in_state("published", author=people["own_profile"])
        client = client_for(people, "own_author")
        for brief in (theirs, live):
            client.post(reverse("admin:briefs_brief_delete", args=[brief.pk]), {"post": "yes"})
        assert Brief.objects.filter(pk__in=[theirs.pk, live.pk]).count() == 2

        response = client.post(reverse("admin:briefs_brief_delete", args=[own.pk]), {"post": "yes"})
        assert response.status_code == 302
        assert not Brief.objects.filter(pk=own.pk).exists()

    def test_a_live_brief_is_unpublished_or_archived_rather_than_deleted(self, people):
        live = brief_in_state("published", author=people["own_profile"])
        response = client_for(people, "editor").post(
            reverse("admin:briefs_brief_delete", args=[live.pk]), {"post": "yes"}
        )
        assert response.status_code == 403
        assert Brief.objects.filter(pk=live.pk).exists()
