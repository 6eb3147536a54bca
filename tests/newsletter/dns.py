"""A real DNS server on loopback for the deliverability checks: dnslib answering TXT queries from a dict.

The ``dns_server`` fixture starts it on a free UDP port of 127.0.0.1 and
points NEWSLETTER_DNS_NAMESERVERS at it; tests publish records with
``dns_server.txt["name"] = ["value", ...]`` (names without the final dot)
and can stop it to simulate a DNS that does not answer. Unknown names are
NXDOMAIN. Nothing leaves the machine.
"""

import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class _Zone(BaseResolver):
    def __init__(self):
        self.txt: dict[str, list[str]] = {}
        self.queries: list[str] = []

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.queries.append(name)
        if name not in self.txt:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in self.txt[name]:
                # A TXT record is made of strings of at most 255 bytes; long keys span several.
                chunks = [value[start : start + 255] for start in range(0, len(value), 255)]
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(chunks), ttl=60))
        return reply


class LoopbackDNS:
    def __init__(self):
        self.zone = _Zone()
        self.txt = self.zone.txt
        self.queries = self.zone.queries
        self.server = DNSServer(self.zone, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda *args: None))
        self.port = self.server.server.server_address[1]

    def start(self):
        self.server.start_thread()

    def stop(self):
        self.server.stop()
        self.server.server.server_close()


@pytest.fixture
def dns_server(settings):
    """A running DNS server on loopback that the deliverability checks ask."""
    server = LoopbackDNS()
    server.start()
    settings.NEWSLETTER_DNS_NAMESERVERS = [f"127.0.0.1:{server.port}"]
    try:
        yield server
    finally:
        server.stop()
