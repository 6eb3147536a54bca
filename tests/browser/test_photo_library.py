"""The photo library in Chromium, as staff use it: find a photo in the grid, click its focal point, try to delete it."""

import pytest
from playwright.sync_api import expect

from briefs.models import Photo
from tests.factories import PhotoFactory, image_file, published_brief

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, live_server, staff_user, next_url: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill(staff_user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()


def test_staff_pick_a_focal_point_by_clicking_the_picture(live_server, page, screenshot, staff_user):
    """A click on the lower left of the picture sets the focal point there; after saving, the header crop follows."""
    photo = PhotoFactory(image=image_file(size=(2400, 1000), color=(30, 90, 120)), alt_text="Harbour at dusk")
    published_brief(header_photo=photo, title="Winter lanes")
    PhotoFactory(alt_text="Wind turbines on a ridge", credit="Meridian Image Desk")

    log_in(page, live_server, staff_user, "/admin/briefs/photo/")
    expect(page.locator(".photo-library-item")).to_have_count(2)
    screenshot(page, "admin-photo-library")
    page.get_by_role("link", name="Harbour at dusk").click()

    picture = page.locator("[data-focal-picker] img")
    box = picture.bounding_box()
    picture.click(position={"x": box["width"] * 0.2, "y": box["height"] * 0.8})
    assert abs(float(page.locator("#id_focal_x").input_value()) - 0.2) < 0.01
    assert abs(float(page.locator("#id_focal_y").input_value()) - 0.8) < 0.01
    marker = page.locator(".focal-picker-marker").evaluate("marker => marker.style.left")
    assert marker.startswith("20")
    expect(page.get_by_text("Header photo:")).to_be_visible()
    screenshot(page, "admin-photo-focal-point")
    page.get_by_role("button", name="Save", exact=True).click()

    photo.refresh_from_db()
    assert abs(photo.focal_x - 0.2) < 0.01 and abs(photo.focal_y - 0.8) < 0.01


def test_deleting_a_photo_in_use_shows_where_it_is_used(live_server, page, screenshot, staff_user):
    """The delete page lists the brief using the photo and offers only a way back."""
    photo = PhotoFactory(alt_text="Harbour cranes at dawn")
    published_brief(header_photo=photo, title="Winter shipping lanes")

    log_in(page, live_server, staff_user, f"/admin/briefs/photo/{photo.pk}/delete/")

    expect(page.get_by_text("This photo cannot be deleted because it is in use.")).to_be_visible()
    expect(page.get_by_role("link", name="Winter shipping lanes (published)")).to_be_visible()
    expect(page.get_by_role("button", name="Yes, I’m sure")).to_have_count(0)
    screenshot(page, "admin-photo-delete-refused")
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_the_library_works_on_a_phone(live_server, chromium, screenshot, staff_user):
    """At 375 px the grid becomes one or two columns with nothing scrolling sideways."""
    for index in range(3):
        PhotoFactory(alt_text=f"Photo number {index}", credit="Meridian Image Desk")
    context = chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, live_server, staff_user, "/admin/briefs/photo/")
        expect(page.locator(".photo-library-item")).to_have_count(3)
        screenshot(page, "admin-photo-library-mobile")
        overflow = page.locator(".photo-library").evaluate("grid => grid.scrollWidth - grid.clientWidth")
        assert overflow <= 0
    finally:
        context.close()
