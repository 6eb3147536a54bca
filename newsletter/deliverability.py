"""Will the mail arrive? The DNS records receivers check before they trust our From address.

The campaign page lists, for the domain of DEFAULT_FROM_EMAIL: an SPF
record, a DMARC record and the DKIM selector's public key (compared with
the key the app signs with, when DKIM_PRIVATE_KEY is set), and that every
campaign carries one-click unsubscribe headers. A missing record is a
warning that says what to publish, never a reason to refuse a send.

Lookups use dnspython, with NEWSLETTER_DNS_NAMESERVERS if set (the tests
point it at a DNS server they start on loopback), and are cached for an
hour; an unanswered lookup is cached for five minutes and reported as
"could not check".
"""

import hashlib
from dataclasses import dataclass

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings
from django.core.cache import cache

from .dkim import dkim_signer, sender_domain

CACHE_SECONDS = 60 * 60
CACHE_SECONDS_UNANSWERED = 5 * 60
LOOKUP_SECONDS = 3.0
# Names that never resolve on the internet (RFC 2606, RFC 6761): nothing to look up.
NOT_ON_THE_INTERNET = ("localhost", "test", "invalid", "example", "local")


class _UnansweredError(Exception):
    """The DNS did not answer (timeout, server failure): we cannot tell whether the record exists."""


@dataclass(frozen=True)
class Check:
    """One thing receivers look at: ``ok`` is True, False (a warning with its ``fix``) or None (unknown)."""

    name: str
    ok: bool | None
    summary: str
    fix: str = ""


def _resolver() -> dns.resolver.Resolver:
    servers = settings.NEWSLETTER_DNS_NAMESERVERS
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        nameservers = []
        for server in servers:
            host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "53")
            nameservers.append(dns.nameserver.Do53Nameserver(host, int(port or 53)))
        resolver.nameservers = nameservers
    resolver.lifetime = LOOKUP_SECONDS
    return resolver


def _txt_records(resolver: dns.resolver.Resolver, name: str) -> list[str]:
    """The TXT strings at ``name`` (each record's parts joined); [] when there is none."""
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as error:
        raise _UnansweredError(str(error) or error.__class__.__name__) from error
    return [b"".join(record.strings).decode("utf-8", errors="replace") for record in answer]


def _tags(record: str) -> dict[str, str]:
    tags = {}
    for part in record.split(";"):
        key, _, value = part.strip().partition("=")
        if key:
            tags[key.strip().lower()] = "".join(value.split())
    return tags


def _spf(resolver, domain: str) -> Check:
    records = [r for r in _txt_records(resolver, domain) if r.lower().startswith("v=spf1")]
    if len(records) == 1:
        return Check("SPF", True, f"{domain} says which servers may send its mail: {records[0]}")
    if records:
        return Check(
            "SPF",
            False,
            f"{domain} has {len(records)} SPF records; receivers then ignore them all.",
            "Merge them into one TXT record starting with v=spf1.",
        )
    return Check(
        "SPF",
        False,
        f"{domain} has no SPF record, so receivers cannot tell whether our mail server may send for it.",
        f"Add a TXT record at {domain}: v=spf1 include:<your mail provider's SPF domain> ~all "
        "(your mail provider's help pages give the exact value).",
    )


def _dmarc(resolver, domain: str) -> Check:
    records = [r for r in _txt_records(resolver, f"_dmarc.{domain}") if r.lower().startswith("v=dmarc1")]
    if records:
        policy = _tags(records[0]).get("p", "none")
        return Check("DMARC", True, f"_dmarc.{domain} has a DMARC policy (p={policy}).")
    return Check(
        "DMARC",
        False,
        f"{domain} has no DMARC record; large mailbox providers expect one from bulk senders.",
        f"Add a TXT record at _dmarc.{domain}: v=DMARC1; p=none; rua=mailto:dmarc@{domain} "
        "and tighten p= once the reports look right.",
    )


def _dkim(resolver, domain: str) -> Check:
    selector = settings.DKIM_SELECTOR
    signer = dkim_signer()
    if not selector:
        return Check(
            "DKIM",
            None,
            "This app does not sign its emails with DKIM (DKIM_SELECTOR and DKIM_PRIVATE_KEY are not set).",
            f"If your mail provider signs mail for {domain}, nothing to do; otherwise generate a key pair, set "
            "DKIM_PRIVATE_KEY and DKIM_SELECTOR, and publish the public key the next check shows.",
        )
    name = f"{selector}._domainkey.{domain}"
    published = next((_tags(r) for r in _txt_records(resolver, name) if "p" in _tags(r)), None)
    wanted = f"v=DKIM1; k=rsa; p={signer.public_key}" if signer else "v=DKIM1; k=rsa; p=<your public key>"
    if published is None or not published.get("p"):
        return Check("DKIM", False, f"No DKIM key is published at {name}.", f"Add a TXT record at {name}: {wanted}")
    if signer is not None and published["p"] != signer.public_key:
        return Check(
            "DKIM",
            False,
            f"The key published at {name} is not the one this app signs with, so signatures will fail.",
            f"Replace the TXT record at {name} with: {wanted}",
        )
    signing = "and this app signs every campaign and confirmation with it" if signer else "(signed by your provider)"
    return Check("DKIM", True, f"A DKIM key is published at {name} {signing}.")


def _unsubscribe_headers() -> Check:
    return Check(
        "One-click unsubscribe",
        True,
        "Every campaign carries List-Unsubscribe and List-Unsubscribe-Post, as Gmail and Yahoo require of bulk "
        "senders.",
    )


def deliverability_checks() -> list[Check]:
    """What receivers will find about the From domain, cached for an hour (five minutes if DNS did not answer)."""
    domain = sender_domain()
    signer = dkim_signer()
    key = hashlib.sha256(
        f"{domain}|{settings.DKIM_SELECTOR}|{signer.public_key if signer else ''}|"
        f"{','.join(settings.NEWSLETTER_DNS_NAMESERVERS)}".encode()
    ).hexdigest()[:32]
    cache_key = f"newsletter:deliverability:{key}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    checks, seconds = _look_up(domain), CACHE_SECONDS
    if any(check.ok is None and check.name != "DKIM" for check in checks):
        seconds = CACHE_SECONDS_UNANSWERED
    cache.set(cache_key, checks, seconds)
    return checks


def _look_up(domain: str) -> list[Check]:
    if domain.rpartition(".")[2] in NOT_ON_THE_INTERNET or "." not in domain:
        return [
            Check(
                "From address",
                False,
                f"DEFAULT_FROM_EMAIL uses {domain or 'no domain'}, which is not a domain on the internet: "
                "receivers will refuse or bin the mail.",
                "Set DEFAULT_FROM_EMAIL to an address at your organisation's own domain.",
            ),
            _unsubscribe_headers(),
        ]
    try:
        resolver = _resolver()
    except dns.exception.DNSException as error:
        return [Check("DNS", None, f"The DNS could not be asked: {error}."), _unsubscribe_headers()]
    checks = []
    for check in (_spf, _dmarc, _dkim):
        try:
            checks.append(check(resolver, domain))
        except _UnansweredError as error:
            name = check.__name__.strip("_").upper()
            checks.append(Check(name, None, f"Could not check {name}: the DNS did not answer ({error})."))
    return [*checks, _unsubscribe_headers()]
