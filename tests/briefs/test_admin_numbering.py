"""Saving and publishing a brief in the admin never loses or wastes a number, even when two requests overlap."""

import datetime
from types import SimpleNamespace

import pytest
import reversion
from django.contrib.admin.sites import site
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from briefs.admin_forms import WorkflowForm
from briefs.models import Brief
from tests.briefs.test_admin import admin_date, brief_form_data
from tests.factories import AuthorFactory, BriefFactory

pytestmark = pytest.mark.django_db


def admin_request(user, **post):
    request = RequestFactory().post("/admin/briefs/brief/", post)
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def admin_save(brief, *, user, button="_save"):
    """What the Brief admin does when a change form is saved (the request loaded ``brief`` earlier)."""
    request = admin_request(user, **{button: "1"})
    form = SimpleNamespace(
        instance=brief, save_m2m=lambda: None, new_header_photo=None, cleaned_data={}, workflow=WorkflowForm()
    )
    admin = site._registry[Brief]
    with reversion.create_revision():
        admin.save_model(request, brief, form, change=True)
        admin.save_related(request, form, formsets=[], change=True)
    return [str(message) for message in get_messages(request)]


@pytest.mark.parametrize("dated", [False, True])
def test_a_double_clicked_publish_keeps_the_first_number_and_leaves_no_gap(staff_client, staff_user, dated):
    """The second of two "Save and publish" clicks neither renumbers the brief nor uses up a number, and says why."""
    draft = BriefFactory()
    author = AuthorFactory()
    date = admin_date(timezone.now() - datetime.timedelta(hours=1)) if dated else {}
    data = brief_form_data(
        title=draft.title, slug=draft.slug, series=draft.series, summary=draft.summary, authors=[author], **date
    )
    data["workflow-transition"] = "publish"
    change_url = reverse("admin:briefs_brief_change", args=[draft.pk])

    assert staff_client.post(change_url, data).status_code == 302
    # The second click posts the same form again, byline row and all.
    data.update({"brief_authors-INITIAL_FORMS": "1", "brief_authors-0-id": str(draft.brief_authors.get().pk)})
    second = staff_client.post(change_url, data, follow=True)

    page = second.content.decode()
    assert "is published, so “Publish now” does not apply to it" in page
    brief = Brief.objects.get(pk=draft.pk)
    assert (brief.number, brief.status, brief.series.last_number) == (1, Brief.Status.PUBLISHED, 1)
    assert brief.published_by == staff_user


def test_saving_an_edit_loaded_before_a_colleague_published_keeps_the_number(staff_user):
    """An editor's save of a draft loaded before a colleague published it keeps the brief published and numbered."""
    draft = BriefFactory(published_at=timezone.now() - datetime.timedelta(days=1))
    editors_copy = Brief.objects.get(pk=draft.pk)  # still a draft with no number, as the form showed it
    Brief.objects.get(pk=draft.pk).publish(by=staff_user)

    editors_copy.title = "A sharper title"
    admin_save(editors_copy, user=staff_user)

    brief = Brief.objects.get(pk=draft.pk)
    assert (brief.title, brief.number, brief.status) == ("A sharper title", 1, Brief.Status.PUBLISHED)


def test_saving_an_edit_loaded_before_a_colleague_unpublished_keeps_it_hidden(staff_user):
    """An edit saved from a form opened while the brief was live does not put it back on the site."""
    draft = BriefFactory()
    draft.publish(by=staff_user)
    editors_copy = Brief.objects.get(pk=draft.pk)
    Brief.objects.get(pk=draft.pk).unpublish(by=staff_user)

    editors_copy.summary = "A clearer summary."
    admin_save(editors_copy, user=staff_user)

    brief = Brief.objects.get(pk=draft.pk)
    assert (brief.summary, brief.status, brief.number) == ("A clearer summary.", Brief.Status.DRAFT, 1)
