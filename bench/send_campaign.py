"""How fast one worker sends a campaign, compared with the fastest a plain SMTP loop can go.

    .venv/bin/python bench/send_campaign.py                      # 20,000 subscribers, temp SQLite
    .venv/bin/python bench/send_campaign.py --subscribers 100000
    createdb -h 127.0.0.1 -U postgres briefs_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/briefs_bench .venv/bin/python bench/send_campaign.py

Starts an SMTP sink (aiosmtpd in a subprocess, discarding every message),
fills a throwaway database with subscribers and one campaign, then in the
same run measures:

1. the plain loop: one prebuilt campaign message sent N times with smtplib
   over one connection (no database, no rendering): the ceiling;
2. addressing the campaign (one Delivery row per subscriber);
3. the real delivery loop (``campaign_deliver``) sending it to everyone.

and prints messages per second and the ratio of 3 to 1. The database is a
temporary SQLite file unless DATABASE_URL is set; a PostgreSQL database named
there must exist (createdb, as above), is migrated by the run and left with
the data, so use a throwaway one.
"""

import argparse
import cProfile
import os
import pstats
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email import policy as email_policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SINK = """
import asyncio, signal, sys
from aiosmtpd.controller import Controller

class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 Message accepted"

controller = Controller(Discard(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True)
    if sink.stdout.readline().strip() != "ready":
        sink.kill()
        raise SystemExit("The SMTP sink did not start.")
    return sink


def configure(*, port: int, workdir: str, batch_size: int = 0) -> None:
    """Environment for Django before it starts: throwaway database, SMTP pointed at the sink."""
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "bench-only-secret-key",
            "DEBUG": "0",  # DEBUG would keep every SQL query in memory
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "SITE_URL": "https://briefs.example.org",
            "DEFAULT_FROM_EMAIL": "Meridian Policy Forum <briefs@briefs.example.org>",
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": f"{workdir}/media",
        }
    )
    if batch_size:
        os.environ["NEWSLETTER_BATCH_SIZE"] = str(batch_size)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def make_campaign(count: int):
    from django.core.management import call_command
    from django.utils import timezone

    from briefs.models import Author, Brief, BriefAuthor, Section, Series
    from newsletter.models import Campaign, CampaignBrief, Subscriber

    call_command("migrate", verbosity=0)
    now = timezone.now()
    Subscriber.objects.bulk_create(
        (
            Subscriber(email=f"reader{n}@example.org", status=Subscriber.Status.SUBSCRIBED, consent_at=now)
            for n in range(count)
        ),
        batch_size=5000,
    )
    series = Series.objects.create(name="Bench Policy Brief", slug="bench")
    author = Author.objects.create(name="Ada Example", slug="ada-example")
    campaign = Campaign.objects.create(
        subject="This week: three new policy briefs",
        intro="<p>Three briefs on trade, water and energy, written for busy readers.</p>",
        status=Campaign.Status.SENDING,
        started_at=now,
    )
    for position, title in enumerate(["Ports and power", "Water across borders", "The grid after coal"]):
        brief = Brief.objects.create(
            title=title,
            slug=f"bench-{position}",
            series=series,
            summary="A short, plain summary of what the brief argues and what it asks of policy makers.",
        )
        BriefAuthor.objects.create(brief=brief, author=author)
        Section.objects.create(brief=brief, heading="Policy Summary", body="<p>Analysis.</p>")
        brief.publish(by=None)
        CampaignBrief.objects.create(campaign=campaign, brief=brief, sort_order=position)
    return campaign


def plain_loop(port: int, raw: bytes, count: int) -> float:
    """Seconds for ``count`` sends of one prebuilt message over one smtplib connection."""
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        started = time.perf_counter()
        for n in range(count):
            smtp.sendmail("briefs@briefs.example.org", [f"reader{n}@example.org"], raw)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=20_000, help="how many subscribers (default 20,000)")
    parser.add_argument("--batch-size", type=int, default=0, help="deliveries per claim (default: the setting)")
    parser.add_argument("--profile", action="store_true", help="print where the delivery loop spends its time")
    args = parser.parse_args()

    port = free_port()
    sink = start_sink(port)
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as workdir:
        try:
            configure(port=port, workdir=workdir, batch_size=args.batch_size)
            run(args, port)
        finally:
            sink.terminate()
            sink.wait(timeout=10)


def run(args, port: int) -> None:
    from django.conf import settings
    from django.db import connection

    from newsletter.campaigns import deliveries_create
    from newsletter.delivery import CampaignEmail, campaign_deliver
    from newsletter.models import Campaign, Delivery, Subscriber

    count = args.subscribers
    print(f"Database: {connection.vendor}; {count:,} subscribers; batch size {settings.NEWSLETTER_BATCH_SIZE}")
    campaign = make_campaign(count)

    # 1. The ceiling: the same message, prebuilt once, over one connection.
    sample = Subscriber.objects.first()
    email = CampaignEmail(campaign)
    message = email.message_for(sample, message_id=email.new_message_id())
    raw = message.message(policy=email_policy.SMTP).as_bytes()
    plain_seconds = plain_loop(port, raw, count)
    plain_rate = count / plain_seconds
    print(f"Plain smtplib loop:   {plain_rate:8.0f} messages/s  ({plain_seconds:.1f} s, {len(raw):,} bytes each)")

    # 2. Addressing.
    started = time.perf_counter()
    deliveries_create(campaign=campaign)
    print(f"Addressing:           {count:8,} deliveries in {time.perf_counter() - started:.2f} s")

    # 3. The delivery loop, as one worker runs it.
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = campaign_deliver(campaign_id=campaign.pk)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    rate = result.sent / seconds
    campaign.refresh_from_db()
    sent = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENT).count()
    print(f"Campaign delivery:    {rate:8.0f} messages/s  ({seconds:.1f} s, {result.sent:,} sent)")
    print(f"Ratio to plain loop:  {rate / plain_rate:8.2f}")
    print(f"Campaign status: {campaign.status}; deliveries marked sent: {sent:,} of {count:,}")
    if sent != count or campaign.status != Campaign.Status.SENT:
        raise SystemExit("Not every subscriber was sent to.")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
