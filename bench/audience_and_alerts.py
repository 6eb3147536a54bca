"""How long counting a campaign's audience and addressing a new brief's alert take, on a large list.

    .venv/bin/python bench/audience_and_alerts.py                  # 125,000 subscribers, temp SQLite
    dropdb --if-exists -h 127.0.0.1 -U postgres briefs_bench; createdb -h 127.0.0.1 -U postgres briefs_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/briefs_bench .venv/bin/python bench/audience_and_alerts.py

Fills a throwaway database with subscribers (a fifth want everything, the
rest follow one of five series and one of eight topics; a tenth have left
and a tenth bounced, so 100,000 of the default 125,000 are subscribed),
then measures in the same run:

1. a plain ``SELECT COUNT(*)`` of the subscriber table: the baseline;
2. ``campaign_audience_count`` (what the send confirmation shows) for a
   campaign to everyone (100,000) and for one to a series and a topic:
   the issue asks for under 200 ms on PostgreSQL;
3. a brief going live with every subscribed person matching it: from
   ``alert_for_brief`` until every delivery row of the alert exists (what
   the task does before its first email): under 10 s asked.

Medians of five runs for the counts, one run for the alert. A PostgreSQL
database named in DATABASE_URL must exist, is migrated by the run and left
with the data, so use a new, empty one each time.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def configure(workdir: str) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "bench-only-secret-key",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "SITE_URL": "https://briefs.example.org",
            "MEDIA_ROOT": f"{workdir}/media",
            # The alert's sending task is queued, not run: this measures addressing only.
            "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(count: int):
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from briefs.models import Series, Topic
    from newsletter.models import Subscriber

    call_command("migrate", verbosity=0)
    series = [Series.objects.create(name=f"Bench Series {n}", slug=f"bench-series-{n}") for n in range(5)]
    topics = [Topic.objects.create(name=f"Bench Topic {n}", slug=f"bench-topic-{n}") for n in range(8)]
    now = timezone.now()

    def subscriber(n):
        status = Subscriber.Status.SUBSCRIBED
        if n % 10 == 3:
            status = Subscriber.Status.UNSUBSCRIBED
        elif n % 10 == 7:
            status = Subscriber.Status.BOUNCED
        return Subscriber(
            email=f"reader{n}@example.org",
            status=status,
            consent_at=now,
            unsubscribed_at=now if status == Subscriber.Status.UNSUBSCRIBED else None,
            wants_everything=n % 5 == 0,
        )

    Subscriber.objects.bulk_create((subscriber(n) for n in range(count)), batch_size=5000)
    ids = list(Subscriber.objects.filter(wants_everything=False).values_list("pk", flat=True))
    Subscriber.series.through.objects.bulk_create(
        (Subscriber.series.through(subscriber_id=pk, series_id=series[pk % 5].pk) for pk in ids), batch_size=5000
    )
    Subscriber.topics.through.objects.bulk_create(
        (Subscriber.topics.through(subscriber_id=pk, topic_id=topics[pk % 8].pk) for pk in ids), batch_size=5000
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have done on a live site
    return series, topics


def timed(function, runs: int = 5) -> float:
    """Median seconds of ``runs`` calls, after one warm-up call."""
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(count: int) -> None:
    from django.db import connection

    from briefs.models import Brief, Section
    from newsletter.alerts import alert_for_brief
    from newsletter.campaigns import campaign_audience_count, campaign_start, deliveries_create
    from newsletter.models import Campaign, Subscriber

    print(f"Database: {connection.vendor}; {count:,} subscribers")
    series, topics = seed(count)

    def plain_count():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {Subscriber._meta.db_table}")
            cursor.fetchall()

    baseline = timed(plain_count)
    print(f"Plain COUNT(*) of subscribers:        {baseline * 1000:7.1f} ms")

    everyone = Campaign.objects.create(subject="To everyone")
    segment = Campaign.objects.create(subject="To a segment", audience=Campaign.Audience.SEGMENT)
    segment.audience_series.set(series[:1])
    segment.audience_topics.set(topics[:1])
    for campaign in (everyone, segment):
        seconds = timed(lambda campaign=campaign: campaign_audience_count(campaign=campaign))
        reach = campaign_audience_count(campaign=campaign).reach
        print(
            f"Audience count, {campaign.subject:<12} {seconds * 1000:7.1f} ms  ({reach:,} reached; "
            f"{seconds / baseline:.1f}x the plain count) {'OK' if seconds < 0.2 else 'OVER 200 ms'}"
        )

    # A brief in the first series with every topic: everyone subscribed who asked for each brief matches.
    brief = Brief.objects.create(title="Bench brief", slug="bench-brief", series=series[0], summary="A summary.")
    brief.topics.set(topics)
    Section.objects.create(brief=brief, heading="Policy Summary", body="<p>Analysis.</p>")
    started = time.perf_counter()
    brief.publish(by=None)  # brief_went_live fires after commit (autocommit here): the receiver makes the alert
    alert = Campaign.objects.filter(kind=Campaign.Kind.ALERT, alert_brief=brief).first() or alert_for_brief(
        brief_id=brief.pk
    )
    made = time.perf_counter()
    campaign_start(campaign_id=alert.pk)
    alert.refresh_from_db()
    addressed = deliveries_create(campaign=alert)
    seconds = time.perf_counter() - started
    print(
        f"Alert for a brief going live:        {seconds:7.2f} s  ({addressed:,} deliveries queued; alert made in "
        f"{(made - started) * 1000:.0f} ms) {'OK' if seconds < 10 else 'OVER 10 s'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=125_000, help="how many subscribers (default 125,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audience-") as workdir:
        configure(workdir)
        run(args.subscribers)


if __name__ == "__main__":
    main()
