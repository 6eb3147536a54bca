"""How fast campaign messages are built: our hand-built MIME path against Django's own, in one run.

    .venv/bin/python bench/message_build.py                  # 5,000 messages each way
    .venv/bin/python bench/message_build.py --messages 20000

Builds N personalised campaign messages the way the SMTP backend does just
before sending (``message(policy=email.policy.SMTP).as_bytes()``), twice
over the same ``CampaignMessage`` objects:

1. ours: ``CampaignMessage.message()``, the compat32 classes with
   quoted-printable from ``binascii`` and a plain join of the parts;
2. Django's: ``EmailMultiAlternatives.message()``, through the email
   package's header registry and generator (with headers kept on one line,
   as ours does, so that List-Unsubscribe is not turned into encoded words);

with an ASCII subject and again with a non-ASCII one, and checks that both
paths give the same message once parsed. Then it sends one prebuilt message
N times with smtplib to a local SMTP sink, the per-message cost of the SMTP
dialogue that ``bench/send_campaign.py`` uses as its ceiling, and prints what
each build path leaves of that ceiling: the share of the whole send that the
choice between them can change. The database is a temporary SQLite file.
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from email import policy as email_policy
from email.parser import BytesParser

from send_campaign import configure, free_port, make_campaign, plain_loop, start_sink

SUBJECTS = {
    "ASCII subject": "This week: three new policy briefs",
    "non-ASCII subject": "Cette semaine : trois notes — l’énergie, l’eau et les ports",
}


def build_all(email, subscribers, build) -> tuple[float, bytes]:
    """Seconds to personalise and serialise one message per subscriber with ``build``; the last message."""
    started = time.perf_counter()
    for subscriber in subscribers:
        raw = build(email.message_for(subscriber, message_id=email.new_message_id()))
    return time.perf_counter() - started, raw


def same_message(ours: bytes, django: bytes) -> bool:
    """True when both parse to the same headers and bodies.

    Date, Message-ID and the multipart boundary differ by nature, and Django
    ends a body with a line break where ours ends as the template does:
    none of that is seen by a reader.
    """
    parsed = [BytesParser(policy=email_policy.default).parsebytes(raw) for raw in (ours, django)]

    def essence(message):
        headers = {name: str(value) for name, value in message.items() if name not in {"Date", "Message-ID"}}
        headers["Content-Type"] = message.get_content_type()
        bodies = [(part.get_content_type(), part.get_content().rstrip("\r\n")) for part in message.iter_parts()]
        return headers, bodies

    return essence(parsed[0]) == essence(parsed[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5_000, help="messages built each way (default 5,000)")
    args = parser.parse_args()

    port = free_port()
    sink = start_sink(port)
    with tempfile.TemporaryDirectory(prefix="bench-message-") as workdir:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
        try:
            configure(port=port, workdir=workdir)
            run(args.messages, port)
        finally:
            sink.terminate()
            sink.wait(timeout=10)


def run(count: int, port: int) -> None:
    from django.core.mail import EmailMultiAlternatives

    from newsletter.delivery import CampaignEmail
    from newsletter.models import Subscriber

    email = CampaignEmail(make_campaign(0))
    subscribers = [Subscriber(email=f"reader{n}@example.org", token=uuid.uuid4()) for n in range(count)]

    def ours(message) -> bytes:
        return message.message(policy=email_policy.SMTP).as_bytes()

    one_line_headers = email_policy.SMTP.clone(max_line_length=998)

    def djangos(message) -> bytes:
        return EmailMultiAlternatives.message(message, policy=one_line_headers).as_bytes()

    size = len(ours(email.message_for(subscribers[0], message_id=email.new_message_id())))
    print(f"{count:,} campaign messages built each way, {size:,} bytes each")
    ratios = []
    for label, subject in SUBJECTS.items():
        email.subject = subject
        ours_seconds, ours_raw = build_all(email, subscribers, ours)
        django_seconds, django_raw = build_all(email, subscribers, djangos)
        ratios.append(django_seconds / ours_seconds)
        print(f"{label}:")
        print(f"  ours (CampaignMessage):       {count / ours_seconds:8.0f} messages/s")
        print(f"  Django's (EmailMessage):      {count / django_seconds:8.0f} messages/s")
        print(f"  ours is faster by:            {django_seconds / ours_seconds:8.2f}x")
        print(f"  same message once parsed:     {'yes' if same_message(ours_raw, django_raw) else 'NO'}")

    # The whole send: the SMTP dialogue for each message, plus building it.
    email.subject = SUBJECTS["ASCII subject"]
    raw = ours(email.message_for(subscribers[0], message_id=email.new_message_id()))
    smtp_seconds = plain_loop(port, raw, count) / count
    ours_build = build_all(email, subscribers, ours)[0] / count
    django_build = build_all(email, subscribers, djangos)[0] / count
    print("Whole send (SMTP dialogue + building; database work not counted):")
    print(f"  SMTP dialogue alone:          {1 / smtp_seconds:8.0f} messages/s")
    print(f"  with ours:                    {1 / (smtp_seconds + ours_build):8.0f} messages/s")
    print(f"  with Django's:                {1 / (smtp_seconds + django_build):8.0f} messages/s")
    print(f"  Django's takes longer by:     {(django_build - ours_build) / (smtp_seconds + ours_build):8.0%}")


if __name__ == "__main__":
    sys.exit(main())
