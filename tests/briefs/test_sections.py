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

    assert page.count('id="background"') == 1
    assert page.count('id="background-2"') == 1
    assert 'href="#background"' in page and 'href="#background-2"' in page
