"""A brief's sections as readers navigate them."""

import pytest

from briefs.models import Section
from tests.factories import published_brief

pytestmark = pytest.mark.django_db


def test_two_sections_with_the_same_heading_get_separate_links(client):
    """The contents list jumps to each of two same-named sections, not twice to the first."""
    brief = published_brief(sections=0)
    for position, heading in enumerate(["Background", "Options", "Background"]):
        Section.objects.create(brief=brief, heading=heading, body="<p>Text.</p>", sort_order=position)

    page = client.get(brief.get_absolute_url()).content.decode()

    assert page.count('id="s-background"') == 1
    assert page.count('id="s-background-2"') == 1
    assert 'href="#s-background"' in page and 'href="#s-background-2"' in page


def test_a_section_named_like_part_of_the_page_does_not_take_its_id(client):
    """A section headed "Main" gets its own anchor, so the skip link still jumps to the main content."""
    brief = published_brief(sections=0)
    Section.objects.create(brief=brief, heading="Main", body="<p>Text.</p>")

    page = client.get(brief.get_absolute_url()).content.decode()

    assert page.count('id="main"') == 1
    assert 'href="#s-main"' in page and 'id="s-main"' in page
