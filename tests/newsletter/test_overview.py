"""The staff overview of the newsletter: charts drawn on the server, with their numbers in tables."""

import datetime
import html
import re

import pytest
from django.utils import timezone

from newsletter.models import Campaign, Delivery, Subscriber
from newsletter.stats import subscriber_weeks
from tests.factories import SeriesFactory, TopicFactory
from tests.newsletter.campaign_support import make_campaign, make_subscribers

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/newsletter/subscriber/overview/"


@pytest.fixture
def history(time_machine):
    """Monday 7 Dec 2026: 3 confirmed two weeks ago, 2 last week, one of those left this week, one bounced."""
    monday = datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC)
    time_machine.move_to(monday, tick=False)
    make_subscribers(3, prefix="early", consent_at=monday - datetime.timedelta(days=10))
    later = make_subscribers(2, prefix="later", consent_at=monday - datetime.timedelta(days=5))
    Subscriber.objects.filter(pk=later[0].pk).update(
        status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=monday - datetime.timedelta(hours=1)
    )
    Subscriber.objects.filter(email__startswith="early").filter(
        pk=Subscriber.objects.filter(email__startswith="early").first().pk
    ).update(status=Subscriber.Status.BOUNCED, bounced_at=monday - datetime.timedelta(days=2))
    trade = SeriesFactory(name="Trade Policy Brief", slug="trade")
    ports = TopicFactory(name="Ports", slug="ports")
    followers = make_subscribers(2, prefix="follower", wants_everything=False, consent_at=monday)
    followers[0].series.add(trade)
    followers[1].topics.add(ports)
    campaign = make_campaign(subject="November briefs")
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SENT, started_at=monday, finished_at=monday, recipients_count=3
    )
    subscribers = list(Subscriber.objects.order_by("pk")[:3])
    Delivery.objects.bulk_create(
        [
            Delivery(campaign=campaign, subscriber=subscribers[0], status="sent", sent_at=monday),
            Delivery(campaign=campaign, subscriber=subscribers[1], status="sent", sent_at=monday),
            Delivery(campaign=campaign, subscriber=subscribers[2], status="failed", last_error="550"),
        ]
    )
    return monday


def test_weekly_figures_count_who_joined_left_and_stayed(history):
    """Week by week: confirmed, unsubscribed, bounced, and how many were subscribed at the end of the week."""
    weeks = subscriber_weeks(now=timezone.now())
    assert len(weeks) == 52
    this, last, before = weeks[-1], weeks[-2], weeks[-3]
    assert (before.start, before.confirmed, before.subscribed_at_end) == (datetime.date(2026, 11, 23), 3, 3)
    assert (last.confirmed, last.bounced, last.subscribed_at_end) == (2, 1, 4)
    assert (this.confirmed, this.unsubscribed, this.subscribed_at_end) == (2, 1, 5)


def test_the_overview_draws_its_charts_and_gives_every_number_in_a_table(staff_client, history):
    """Four SVG charts (no script, nothing from elsewhere), and tables with the same figures for screen readers."""
    response = staff_client.get(OVERVIEW)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert page.count('<svg class="chart"') == 4
    assert 'role="img" aria-label="Subscribed people at the end of each week, last 12 months' in page
    assert "<title>week of 30 Nov 2026: 2 confirmed</title>" in page
    assert "<title>week of 30 Nov 2026: 1 bounced</title>" in page
    assert '<th scope="row">30 Nov 2026</th><td>2</td><td>0</td><td>1</td><td>4</td>' in page
    assert '<th scope="row">Series: Trade Policy Brief</th><td>1</td>' in page
    assert '<th scope="row">Topic: Ports</th><td>1</td>' in page
    assert "November briefs</a></th>" in page and "<td>2</td><td>1</td><td>0</td>" in page
    assert "<script" not in page.partition('<div class="newsletter-overview">')[2]
    charts = re.findall(r'<svg class="chart".*?</svg>', page, flags=re.DOTALL)
    assert len(charts) == 4 and not any("http" in chart or "href" in chart for chart in charts)


def test_the_overview_is_for_staff_only(client):
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_overview_costs_a_fixed_number_of_queries(staff_client, history, django_assert_max_num_queries):
    """However long the list, the page is a handful of aggregate queries."""
    make_subscribers(50, prefix="more")
    with django_assert_max_num_queries(16):
        staff_client.get(OVERVIEW)
