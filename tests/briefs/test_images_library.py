"""The photo library in the admin: find a photo, see where it is used, set its focal point, and never break a brief."""

import re

import pytest
from django.urls import reverse

from briefs.models import Photo
from tests.factories import PhotoFactory, image_file, published_brief
from tests.newsletter.campaign_support import make_campaign

pytestmark = pytest.mark.django_db

LIBRARY_URL = reverse("admin:briefs_photo_changelist")


def library_alts(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<span class="photo-library-alt">([^<]*)</span>', html)


@pytest.fixture
def library():
    """Three photos: one a published brief's header, one placed in a draft's text, one unused."""
    header = PhotoFactory(alt_text="Harbour cranes at dawn", credit="Harbour Photo Desk", caption="Cranes idle.")
    in_text = PhotoFactory(alt_text="Delegates at a long table", credit="Meridian Image Desk", caption="Talks resume.")
    spare = PhotoFactory(alt_text="Wind turbines on a ridge", credit="Meridian Image Desk", caption="Quiet hills.")
    brief = published_brief(title="Winter shipping lanes", header_photo=header)
    draft = published_brief(title="Grid links", sections=1)
    draft.unpublish(by=None)
    section = draft.sections.get()
    section.body = f'<p>Before.</p><figure data-photo-id="{in_text.pk}"></figure>'
    section.save()
    return {"header": header, "in_text": in_text, "spare": spare, "brief": brief, "draft": draft}


def test_the_library_is_a_grid_of_thumbnails(staff_client, library):
    """Staff see every photo as a thumbnail card with its alt text, credit and whether it is in use."""
    response = staff_client.get(LIBRARY_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<ul class="photo-library"' in html
    assert sorted(library_alts(response)) == sorted(
        ["Harbour cranes at dawn", "Delegates at a long table", "Wind turbines on a ridge"]
    )
    for photo in (library["header"], library["in_text"], library["spare"]):
        assert photo.thumbnail.url in html
    assert html.count("<strong>In use</strong>") == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cranes", ["Harbour cranes at dawn"]),  # alt text
        ("talks resume", ["Delegates at a long table"]),  # caption
        ("image desk", ["Delegates at a long table", "Wind turbines on a ridge"]),  # credit
    ],
)
def test_search_finds_photos_by_alt_text_caption_and_credit(staff_client, library, query, expected):
    """The search box looks through what editors remember about a photo."""
    assert sorted(library_alts(staff_client.get(LIBRARY_URL, {"q": query}))) == sorted(expected)


def test_filters_show_unused_photos_and_photos_by_credit(staff_client, library):
    """ "Unused" lists what no brief shows; a credit narrows to one agency's photos."""
    assert library_alts(staff_client.get(LIBRARY_URL, {"use": "unused"})) == ["Wind turbines on a ridge"]
    assert sorted(library_alts(staff_client.get(LIBRARY_URL, {"use": "used"}))) == sorted(
        ["Harbour cranes at dawn", "Delegates at a long table"]
    )
    by_credit = staff_client.get(LIBRARY_URL, {"credit": "Harbour Photo Desk"})
    assert library_alts(by_credit) == ["Harbour cranes at dawn"]


def test_a_photos_page_lists_every_brief_and_campaign_that_uses_it(staff_client, library):
    """Header photo, photo in the text and newsletter campaign are each named with a link."""
    photo = library["header"]
    other = published_brief(title="Port power")
    section = other.sections.first()
    section.body = f'<figure data-photo-id="{photo.pk}"></figure>'
    section.save()
    campaign = make_campaign(briefs=[library["brief"]], subject="Winter digest")

    html = staff_client.get(reverse("admin:briefs_photo_change", args=[photo.pk])).content.decode()

    used = html[html.index('<ul class="photo-usages">') :]
    used = used[: used.index("</ul>")]
    assert "Header photo" in used and "Winter shipping lanes (published)" in used
    assert f"In the text of “{section.heading}”" in used and "Port power (published)" in used
    assert "Newsletter campaign" in used and "Winter digest (draft)" in used
    assert reverse("admin:newsletter_campaign_change", args=[campaign.pk]) in used
    assert reverse("admin:briefs_brief_change", args=[library["brief"].pk]) in used


def test_an_unused_photo_says_so(staff_client, library):
    html = staff_client.get(reverse("admin:briefs_photo_change", args=[library["spare"].pk])).content.decode()
    assert "Not used by any brief or campaign." in html


def test_deleting_a_photo_in_use_is_refused_with_the_briefs_that_use_it(staff_client, library):
    """The delete page names the briefs instead of offering to delete; posting anyway deletes nothing."""
    photo = library["header"]
    url = reverse("admin:briefs_photo_delete", args=[photo.pk])

    page = staff_client.get(url).content.decode()
    assert "This photo cannot be deleted because it is in use." in page
    assert "Winter shipping lanes (published)" in page
    assert 'type="submit"' not in page.split('id="content"')[1]

    staff_client.post(url, {"post": "yes"})
    assert Photo.objects.filter(pk=photo.pk).exists()
    library["brief"].refresh_from_db()
    assert library["brief"].header_photo_id == photo.pk


def test_deleting_several_photos_is_refused_while_one_is_in_use(staff_client, library):
    """The bulk action lists which selected photo is used where, and deletes none of them."""
    selected = [library["in_text"].pk, library["spare"].pk]
    response = staff_client.post(LIBRARY_URL, {"action": "delete_selected", "_selected_action": selected})

    html = response.content.decode()
    assert "These photos cannot be deleted because some are in use." in html
    assert "Grid links (draft)" in html
    staff_client.post(LIBRARY_URL, {"action": "delete_selected", "_selected_action": selected, "post": "yes"})
    assert Photo.objects.filter(pk__in=selected).count() == 2


def test_an_unused_photo_can_be_deleted(staff_client, library):
    response = staff_client.post(reverse("admin:briefs_photo_delete", args=[library["spare"].pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Photo.objects.filter(pk=library["spare"].pk).exists()


def test_the_database_refuses_to_delete_a_photo_a_brief_shows():
    """Outside the admin too (a script, the shell), a header or in-text photo cannot be deleted from under a brief."""
    from django.db.models import ProtectedError

    header, section_photo = PhotoFactory(), PhotoFactory()
    brief = published_brief(header_photo=header)
    section = brief.sections.first()
    section.body += f'<figure data-photo-id="{section_photo.pk}"></figure>'
    section.save()

    for photo in (header, section_photo):
        with pytest.raises(ProtectedError):
            photo.delete()


def test_the_focal_point_is_set_on_the_photos_page(staff_client):
    """The picture is shown with a marker where the focal point is; saving new values moves it."""
    photo = PhotoFactory(image=image_file(size=(1600, 900)), alt_text="Skyline")
    url = reverse("admin:briefs_photo_change", args=[photo.pk])

    html = staff_client.get(url).content.decode()
    assert "data-focal-picker" in html and 'style="left: 50.0%; top: 50.0%"' in html
    assert "admin/js/focal-point.js" in html

    form = {"alt_text": "Skyline", "caption": "", "credit": "", "source_url": "", "licence": "", "licence_url": ""}
    response = staff_client.post(url, form | {"focal_x": "0.15", "focal_y": "0.85"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.focal_x, photo.focal_y) == (0.15, 0.85)

    refused = staff_client.post(url, form | {"focal_x": "1.5", "focal_y": "0.5"})
    assert refused.status_code == 200
    assert "focal_x" in refused.context["adminform"].form.errors
