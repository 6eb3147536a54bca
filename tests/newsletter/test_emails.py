"""The HTML emails: one frame for all of them, readable on a phone and in dark mode."""

import re

import pytest

from newsletter.delivery import CampaignEmail
from newsletter.emails import render_email
from tests.newsletter.campaign_support import make_campaign

pytestmark = pytest.mark.django_db


def confirmation_html() -> str:
    context = {
        "email": "ana@example.org",
        "confirm_url": "https://briefs.example.org/newsletter/confirm/abc/",
        "wants_everything": True,
        "valid_days": 7,
        "consent_wording": "We will email you new briefs.",
    }
    return render_email("confirm_subscription", context).html


def test_every_email_has_the_same_masthead_footer_and_phone_and_dark_mode_rules(settings):
    """Confirmation and campaign emails look like one family, fit a phone screen and have a dark variant."""
    campaign_html = CampaignEmail(make_campaign()).sample()[1]
    for html in (confirmation_html(), campaign_html):
        assert '<td class="masthead"' in html and settings.SITE_NAME in html
        assert '<td class="footer"' in html and settings.POSTAL_ADDRESS in html
        assert "@media (max-width: 620px)" in html
        assert "@media (prefers-color-scheme: dark)" in html


def test_the_confirm_button_can_turn_dark_on_light_in_dark_mode():
    """The button's inlined colours carry no !important, so the dark-mode rule can make its text readable."""
    [button] = re.findall(r'<a class="button[^"]*"[^>]*style="([^"]*)"', confirmation_html())
    assert "color: #ffffff" in button and "!important" not in button
