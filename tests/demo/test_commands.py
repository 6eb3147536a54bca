"""The start-up commands: demo content and the local superuser, as a developer sees them after `make run`."""

import io
import re
from collections import defaultdict
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max, Min
from django.test import override_settings
from PIL import Image

from briefs.models import (
    Author,
    Brief,
    BriefAuthor,
    BriefResource,
    EngagementResource,
    Photo,
    Section,
    Series,
    Topic,
)
from core.richtext import photo_ids_in, sanitise_html
from demo import brief140
from demo.artwork import CAPTION_FOCAL_POINT
from demo.content import SERIES

pytestmark = pytest.mark.django_db

STARTING_NUMBERS = {spec.slug: spec.starting_number for spec in SERIES}


def run(command, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def catalogue_counts() -> dict[str, int]:
    models = (Series, Topic, Author, EngagementResource, Photo, Brief, Section, BriefAuthor, BriefResource)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["topic links"] = Brief.topics.through.objects.count()
    return counts


def numbers_by_series() -> dict[str, list[int]]:
    numbers = defaultdict(list)
    for slug, number in Brief.objects.values_list("series__slug", "number"):
        numbers[slug].append(number)
    return {slug: sorted(values) for slug, values in numbers.items()}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The default demo catalogue, seeded once for this module (drawing pictures takes a moment)."""
    media = tmp_path_factory.mktemp("demo-media")
    # Renditions are queued for the worker, as `make run` does; making them here would only slow the module down.
    queue = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, TASKS=queue):
        from django.tasks import default_task_backend

        output = run("seed_demo")
        queued = [result.kwargs["photo_id"] for result in default_task_backend.results]
        try:
            yield SimpleNamespace(output=output, media=media, queued=queued)
        finally:
            # Leave the database as empty as the other test modules expect it.
            Brief.objects.all().delete()
            for model in (Photo, Author, EngagementResource, Topic, Series):
                model.objects.all().delete()


def test_demo_catalogue_has_every_kind_of_content(seeded):
    """After seeding there are series, topics, authors with portraits and partner organisations with logos."""
    assert Series.objects.count() >= 3
    assert Topic.objects.count() >= 8
    assert Brief.objects.count() == 25
    assert "Briefs: 25 created" in seeded.output

    authors = list(Author.objects.all())
    assert len(authors) >= 5
    assert all(author.portrait and author.role and author.bio for author in authors)
    assert sum(1 for author in authors if author.links) >= 3

    resources = list(EngagementResource.objects.all())
    assert len(resources) >= 6
    for resource in resources:
        assert resource.logo
        assert re.match(r"https://[a-z.]+\.example\.(org|net)/$", resource.url)
        assert resource.description.endswith(".")


def test_every_demo_brief_is_complete_and_published(seeded):
    """Each brief is live, with a credited header photo, a byline, topics, two sections and resources."""
    briefs = list(Brief.objects.for_detail().exclude(slug=brief140.SLUG))
    assert len(briefs) == 24
    for brief in briefs:
        assert brief.is_live, brief
        assert brief.header_photo and brief.header_photo.credit and brief.header_photo.source_url
        assert (brief.header_photo.width, brief.header_photo.height) == (1600, 900)
        assert 1 <= len(brief.authors) <= 3
        assert 1 <= len(brief.topics.all()) <= 3
        assert 2 <= len(brief.brief_resources.all()) <= 3
        assert len(brief.summary) <= 400

        summary, analysis = brief.sections.all()
        assert (summary.heading, analysis.heading) == ("Policy Summary", "Policy Analysis")
        assert summary.body.count("<p>") >= 2
        assert analysis.body.count("<p>") >= 4
        [placed] = analysis.text_photos.all()
        assert placed.photo.caption.startswith("“") and placed.photo.credit
        # The photo sits inside the text, after the third paragraph, as in the group's own briefs.
        assert analysis.body.split("<figure")[0].count("</p>") == 3


def test_demo_briefs_read_differently(seeded):
    """No two demo briefs share a title, a summary or an analysis."""
    analyses = Section.objects.filter(heading="Policy Analysis").values_list("body", flat=True)
    assert len(set(analyses)) == 25
    assert len(set(Brief.objects.values_list("title", flat=True))) == 25
    assert len(set(Brief.objects.values_list("summary", flat=True))) == 25


def test_the_demo_has_a_brief_shaped_like_foreign_policy_brief_140(seeded):
    """The newest foreign-policy brief is #140, laid out like the group's page: credited header with its caption
    kept in view, a summary of two paragraphs with a photo, an analysis of five with a library photo between the
    third and fourth, and two organisations with logos."""
    brief = Brief.objects.for_detail().get(slug=brief140.SLUG)

    assert brief.label == "Foreign Policy Brief #140"
    assert [author.slug for author in brief.authors] == [brief140.AUTHOR]
    header = brief.header_photo
    assert header.credit == "The Harbour Courier" and header.source_url and header.licence
    assert (header.width, header.height) == (2400, 1000)
    assert (header.focal_x, header.focal_y) == CAPTION_FOCAL_POINT != (0.5, 0.5)
    assert brief140.HEADER_CAPTION in header.alt_text

    summary, analysis = brief.page_sections
    assert (summary.heading, analysis.heading) == ("Policy Summary", "Policy Analysis")
    assert summary.body.count("<p>") == 2
    # The first photo opens the summary, above its text.
    assert summary.body.startswith("<figure data-photo-id=")
    [opening] = [placement.photo for placement in summary.text_photos.all()]
    assert opening.credit == "Northgate Press Agency"
    assert opening.licence == "CC BY 4.0" and opening.licence_url
    paragraphs = analysis.body.split("</p>")
    assert analysis.body.count("<p>") == 5
    assert paragraphs[3].startswith("<figure data-photo-id=")
    [photo_id] = photo_ids_in(analysis.body)
    # Written with bulk_create, the section still records the photo in its text (so it cannot be deleted).
    assert [placement.photo_id for placement in analysis.text_photos.all()] == [photo_id]
    assert Photo.objects.get(pk=photo_id).credit == "The Morning Ledger"

    resources = [link.resource for link in brief.brief_resources.all()]
    assert [resource.name for resource in resources] == list(brief140.RESOURCES)
    assert all(resource.logo for resource in resources)


def test_seeding_queues_renditions_for_every_picture_it_draws(seeded):
    """The worker makes the page sizes of each demo photo after seeding, as it does after an upload."""
    assert sorted(seeded.queued) == sorted(Photo.objects.values_list("pk", flat=True))


def test_demo_briefs_are_numbered_on_from_each_series_history(seeded):
    """Each series continues its old numbering (Foreign Policy Brief #132 onwards), without gaps or repeats."""
    for slug, numbers in numbers_by_series().items():
        start = STARTING_NUMBERS[slug] + 1
        assert numbers == list(range(start, start + len(numbers)))
        assert Series.objects.get(slug=slug).last_number == numbers[-1]
    first_foreign = Brief.objects.filter(series__slug="foreign-policy").order_by("number").first()
    assert first_foreign.label == "Foreign Policy Brief #132"


def test_demo_briefs_are_spread_over_three_years(seeded):
    """Publication dates cover at least three calendar years, so the year filter narrows the list."""
    years = sorted({brief.published_at.year for brief in Brief.objects.published()})
    assert len(years) >= 3
    assert 0 < Brief.objects.published().filter_by(year=years[1]).count() < 24


def test_every_demo_picture_is_a_real_image_with_alt_text(seeded, settings):
    """Photos, portraits and logos are real pictures Pillow opens; every photo says what it shows."""
    settings.MEDIA_ROOT = seeded.media
    photos = list(Photo.objects.all())
    assert len(photos) == 51
    files = [photo.image for photo in photos]
    files += [author.portrait for author in Author.objects.all()]
    files += [resource.logo for resource in EngagementResource.objects.all()]
    for file in files:
        with Image.open(file.path) as image:
            image.load()
            assert image.format in {"JPEG", "PNG"}
    for photo in photos:
        assert photo.alt_text.startswith("Illustration "), photo.alt_text
        assert len(photo.alt_text) <= 250


def test_section_text_is_stored_already_sanitised(seeded):
    """Bulk-written section text passes the rich-text sanitiser unchanged, with no script or styling."""
    for body in Section.objects.values_list("body", flat=True):
        assert sanitise_html(body) == body
        assert "<script" not in body and "style=" not in body


def test_running_seed_demo_again_changes_nothing(seeded):
    """A second `make run` finds the demo content and adds, renumbers and redraws nothing."""
    before = catalogue_counts()
    numbers = numbers_by_series()
    counters = dict(Series.objects.values_list("slug", "last_number"))

    output = run("seed_demo")

    assert catalogue_counts() == before
    assert numbers_by_series() == numbers
    assert dict(Series.objects.values_list("slug", "last_number")) == counters
    assert "Briefs: 0 created, 25 already there." in output


def test_seed_demo_with_a_brief_count_makes_that_many_numbered_briefs(seeded):
    """`--briefs 50` leaves 50 published briefs, numbered on from the demo ones, reusing the demo pictures."""
    photos = Photo.objects.count()

    output = run("seed_demo", "--briefs", "50")

    assert Brief.objects.count() == 50
    assert Brief.objects.published().count() == 50
    assert Section.objects.count() == 100
    assert Photo.objects.count() == photos
    assert "Briefs: 25 created, 25 already there." in output
    for slug, numbers in numbers_by_series().items():
        start = STARTING_NUMBERS[slug] + 1
        assert numbers == list(range(start, start + len(numbers))), slug
    # Generated briefs sit in the same three years as the demo ones.
    span = Brief.objects.aggregate(first=Min("published_at"), last=Max("published_at"))
    assert (span["last"] - span["first"]).days > 700

    assert run("seed_demo", "--briefs", "50").count("0 created") >= 5
    assert Brief.objects.count() == 50


def test_seed_demo_never_reuses_a_number_even_if_the_counter_was_lowered(seeded):
    """If someone lowers a series counter by hand, new briefs still get numbers no other brief has."""
    Series.objects.filter(slug="foreign-policy").update(last_number=100)
    highest = Brief.objects.filter(series__slug="foreign-policy").aggregate(Max("number"))["number__max"]

    run("seed_demo", "--briefs", "30")

    foreign = numbers_by_series()["foreign-policy"]
    assert len(foreign) == len(set(foreign))
    assert foreign[-1] > highest


def test_seed_demo_refuses_a_negative_brief_count(seeded):
    """A mistyped count gets a clear message and changes nothing."""
    before = catalogue_counts()
    with pytest.raises(CommandError, match="--briefs must be between 0"):
        run("seed_demo", "--briefs", "-5")
    assert catalogue_counts() == before


def test_ensure_local_superuser_creates_the_admin_once_and_prints_a_working_password(settings, django_user_model):
    """The first run prints a user name and a password that logs in; later runs only say the user exists."""
    settings.DEBUG = True

    output = run("ensure_local_superuser")

    password = re.search(r"Password:\s+(\S+)", output).group(1)
    user = django_user_model.objects.get(username="admin")
    assert user.is_superuser and user.is_staff
    assert user.check_password(password)
    assert len(password) >= 20

    again = run("ensure_local_superuser")

    assert "already exists" in again
    assert "manage.py changepassword admin" in again
    assert "Password:" not in again
    assert django_user_model.objects.count() == 1
    user.refresh_from_db()
    assert user.check_password(password)


def test_ensure_local_superuser_refuses_to_run_without_debug(settings, django_user_model):
    """With DEBUG off (as in production) the command explains itself and creates nobody."""
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        run("ensure_local_superuser")

    assert not django_user_model.objects.exists()
