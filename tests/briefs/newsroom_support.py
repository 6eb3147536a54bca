"""People and briefs for the newsroom tests: an Author with a profile, another Author, an Editor, a superuser."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse

from briefs.models import Author, Brief
from tests.factories import BriefFactory, published_brief

STATES = {
    "draft": Brief.Status.DRAFT,
    "in_review": Brief.Status.IN_REVIEW,
    "changes_requested": Brief.Status.CHANGES_REQUESTED,
    "scheduled": Brief.Status.SCHEDULED,
    "published": Brief.Status.PUBLISHED,
    "archived": Brief.Status.ARCHIVED,
}


def roles_ensure() -> None:
    """The Authors and Editors groups, as the data migration makes them (a transactional test's flush removes them)."""
    if Group.objects.filter(name__in=["Authors", "Editors"]).count() < 2:
        roles = importlib.import_module("briefs.migrations.0014_newsroom_roles")
        roles.roles_sync(apps, None)


def staff_member(django_user_model, username: str, group: str | None = None, *, superuser: bool = False):
    roles_ensure()
    if superuser:
        return django_user_model.objects.create_superuser(
            username=username, email=f"{username}@example.org", password="pw"
        )
    user = django_user_model.objects.create_user(username=username, password="pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def people(django_user_model):
    """Everyone who may try something: two Authors (each with a profile), an Editor, a superuser."""
    own = staff_member(django_user_model, "amara", "Authors")
    other = staff_member(django_user_model, "lena", "Authors")
    return {
        "own_author": own,
        "other_author": other,
        "editor": staff_member(django_user_model, "chief", "Editors"),
        "superuser": staff_member(django_user_model, "root", superuser=True),
        "own_profile": Author.objects.create(name="Amara Okafor", slug="amara-okafor", user=own),
        "other_profile": Author.objects.create(name="Lena Fischer", slug="lena-fischer", user=other),
    }


def brief_in_state(state: str, *, author: Author, **kwargs) -> Brief:
    """A brief by ``author`` moved into ``state`` the way the workflow would (by the system itself)."""
    if state == "published":
        return published_brief(authors=[author], **kwargs)
    brief = BriefFactory(**kwargs)
    brief.brief_authors.create(author=author, sort_order=0)
    brief.sections.create(heading="Policy Summary", body="<p>First words.</p>", sort_order=0)
    status = STATES[state]
    if status == Brief.Status.SCHEDULED:
        import datetime

        from django.utils import timezone

        brief.schedule(by=None, at=timezone.now() + datetime.timedelta(days=2))
    elif status != Brief.Status.DRAFT:
        Brief.objects.filter(pk=brief.pk).update(status=status)
        brief.refresh_from_db()
    return brief


def change_url(brief) -> str:
    return reverse("admin:briefs_brief_change", args=[brief.pk])


def change_form_data(brief: Brief, **changes) -> dict:
    """What the change form posts for ``brief`` as stored, with ``changes`` on top (an editor's edits)."""
    brief.refresh_from_db()
    data = {
        "title": brief.title,
        "slug": brief.slug,
        "series": str(brief.series_id),
        "summary": brief.summary,
        "header_photo": str(brief.header_photo_id or ""),
        "correction_note": brief.correction_note,
        "base_version": str(brief.version),
        "_continue": "Save and continue editing",
    }
    if brief.published_at:
        from django.utils import timezone

        local = timezone.localtime(brief.published_at)
        data |= {"published_at_0": local.strftime("%Y-%m-%d"), "published_at_1": local.strftime("%H:%M:%S")}
    for prefix, rows, fields in [
        ("brief_authors", brief.brief_authors.all(), ["author", "sort_order"]),
        ("sections", brief.sections.all(), ["heading", "body", "sort_order"]),
        ("brief_resources", brief.brief_resources.all(), ["resource", "sort_order"]),
    ]:
        rows = list(rows)
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": str(len(rows)),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(rows):
            data[f"{prefix}-{index}-id"] = str(row.pk)
            data[f"{prefix}-{index}-brief"] = str(brief.pk)
            for field in fields:
                value = getattr(row, f"{field}_id", None) if field in {"author", "resource"} else getattr(row, field)
                data[f"{prefix}-{index}-{field}"] = str(value)
    data.update(changes)
    return data
