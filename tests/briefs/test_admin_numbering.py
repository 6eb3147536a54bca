"""Saving a brief in the admin never loses or wastes a number, even when two saves overlap."""

from types import SimpleNamespace

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from briefs.models import Brief
from tests.factories import BriefFactory

pytestmark = pytest.mark.django_db


def admin_save(brief, *, user, changed):
    """What the Brief admin does when a change form is saved (the request loaded ``brief`` earlier)."""
    request = RequestFactory().post("/admin/briefs/brief/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    site._registry[Brief].save_model(request, brief, SimpleNamespace(changed_data=changed), change=True)


def test_a_double_clicked_publish_keeps_the_first_number_and_leaves_no_gap(staff_user):
    """The second of two overlapping "Publish" saves neither renumbers the brief nor uses up a number."""
    draft = BriefFactory()
    second_click = Brief.objects.get(pk=draft.pk)  # loaded before the first click committed
    second_click.status = Brief.Status.PUBLISHED

    first_click = Brief.objects.get(pk=draft.pk)
    first_click.status = Brief.Status.PUBLISHED
    admin_save(first_click, user=staff_user, changed=["status"])
    admin_save(second_click, user=staff_user, changed=["status"])

    brief = Brief.objects.get(pk=draft.pk)
    assert brief.number == 1
    assert brief.status == Brief.Status.PUBLISHED
    assert brief.series.last_number == 1
    assert brief.published_by == staff_user


def test_saving_an_edit_loaded_before_a_colleague_published_keeps_the_number(staff_user):
    """An editor's save of a draft loaded before a colleague published it does not wipe the brief's number."""
    draft = BriefFactory()
    editors_copy = Brief.objects.get(pk=draft.pk)  # still a draft with no number, as the form showed it
    Brief.objects.get(pk=draft.pk).publish(by=staff_user)

    editors_copy.title = "A sharper title"
    admin_save(editors_copy, user=staff_user, changed=["title"])
    brief = Brief.objects.get(pk=draft.pk)
    assert (brief.title, brief.number) == ("A sharper title", 1)

    brief.publish(by=staff_user)
    assert (brief.number, brief.series.last_number) == (1, 1), "publishing again reuses #1 and takes no new number"
