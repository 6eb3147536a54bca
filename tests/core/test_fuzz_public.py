"""Nothing a visitor sends makes the site answer 5xx: every public address and form, fed hostile input.

The addresses come from the URLconf itself (everything outside the admin,
plus the admin's login page), with real values for their path segments (a
published brief with its series, topic and author, and signed tokens made
here); every address in the sitemap must be among them. An address added
later is fuzzed without anyone remembering to list it, and one with path
segments fails the test until the ``site`` fixture gives it values. Each is
hit with:

* a fixed corpus of hostile values (NUL, bytes that are not UTF-8, over-long
  values, invisible direction marks, SQL and path tricks) in its query string
  and in each of its path segments;
* Hypothesis-generated query strings, path segments and headers (Host,
  Accept-Language, Cookie, Origin, X-Forwarded-For...);
* for each public form, generated field values as multipart and as raw
  urlencoded bytes, including email addresses SMTP cannot encode, with a real
  SMTP server behind the subscribe form.

Runs on SQLite and PostgreSQL (which refuses NUL in text), repeatably: a
fixed number of examples, derandomized, no example database.
"""

import re
from urllib.parse import quote, urlsplit

import pytest
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import caches
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from briefs.models import Author, Series, Topic
from newsletter import campaigns
from newsletter.forms import CONSENT_WORDING_VERSION, HONEYPOT_FIELD, PreferencesForm, SubscribeForm
from newsletter.models import Subscriber
from newsletter.tokens import SubscriptionRequest, confirmation_token_make
from tests.factories import AuthorFactory, SeriesFactory, TopicFactory, published_brief
from tests.newsletter.campaign_support import make_campaign

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Values that have broken, or could break, a view: as they appear in a query string or an address
# (percent-encoded where a browser would encode them).
# A NUL, bytes that are not UTF-8 and over-long values are refused before any view (a 400)...
REFUSED = [
    "%00",
    "a%00b",
    "%ff%fe",  # not UTF-8
    "%c0%af",  # an over-long UTF-8 encoding of "/"
    "%ed%a0%80",  # an encoded UTF-16 surrogate
    "x" * 40_000,
]
# ...the rest reaches the views, which must cope with them.
ODD = [
    "%e2%80%ae",  # U+202E, right-to-left override
    "%",
    "%zz",
    "9" * 400,
    "y" * 5000,
    "-1",
    "99999999999999999999999",
    "%27%20OR%201%3D1--",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "..%2F..%2Fetc%2Fpasswd",
    "%5B%5D",
    "1e999",
]
HOSTILE = REFUSED + ODD
# Path segments (the test client percent-decodes the path as a server would).
HOSTILE_SEGMENTS = ["%00", "%ff", "%c0%af", "%e2%80%ae", "x" * 300, "a" * 2000, "..", "%2e%2e%2f", "%20", "1e999"]
QUERY_NAMES = ["q", "series", "topics", "topic", "author", "year", "page", "p", "email", "next", "format", "term"]


def is_server_error(response) -> bool:
    return response.status_code >= 500


def public_routes(resolver=None, prefix=""):
    """(route as a regex-free template, name, converters) for every address outside the admin."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith("admin/"):
                continue
            name_prefix = f"{pattern.namespace}:" if pattern.namespace else ""
            for template, name, converters in public_routes(pattern, prefix + route):
                yield template, name_prefix + name if name else None, converters
        elif isinstance(pattern, URLPattern):
            converters = re.findall(r"<(?:(\w+):)?(\w+)>", route)
            yield prefix + route, pattern.name, converters


@pytest.fixture
def site(smtp_server):
    """Published content and personal links, so that every address has real values for its segments."""
    series = SeriesFactory(name="Foreign Policy", slug="foreign-policy")
    topic = TopicFactory(name="Climate", slug="climate")
    author = AuthorFactory()
    brief = published_brief(series=series, topics=[topic], authors=[author])
    subscriber = Subscriber.objects.create(email="reader@example.org")
    campaign = make_campaign(briefs=[brief])
    request = SubscriptionRequest(
        email="new@example.org", source=Subscriber.Source.SUBSCRIBE_PAGE, consent_wording=CONSENT_WORDING_VERSION
    )
    test_link = campaigns.test_link_url(kind="unsubscribe", campaign=campaign)
    known = {
        "briefs:detail": {"slug": brief.slug},
        "briefs:pdf": {"slug": brief.slug},
        "briefs:cite-bibtex": {"slug": brief.slug},
        "briefs:cite-ris": {"slug": brief.slug},
        "briefs:preview": {"token": brief.preview_token()},
        "newsletter:confirm": {"token": confirmation_token_make(request=request)},
        "newsletter:preferences": {"token": str(subscriber.token)},
        "newsletter:unsubscribe": {"token": str(subscriber.token)},
        "newsletter:test_link": resolve(urlsplit(test_link).path).kwargs,
    }
    for name, model in (("series", Series), ("topic", Topic), ("author", Author)):
        slug = model.objects.values_list("slug", flat=True).first()
        for suffix in ("", "-feed", "-feed-atom"):
            known[f"briefs:{name}{suffix}"] = {"slug": slug}
    return {"known": known, "subscriber": subscriber, "series": series, "topic": topic, "brief": brief}


def addresses(known) -> dict[str, str]:
    """Every public address by name, with real segment values where known (the test fails on one it cannot fill)."""
    found = {}
    for template, name, converters in public_routes():
        if template.startswith("media/"):
            found["media"] = "/media/photos/none.jpg"
            continue
        kwargs = known.get(name, {})
        missing = [field for _, field in converters if field not in kwargs]
        assert not missing, f"Add sample values for {name} ({template}) to the fuzz test's `site` fixture."
        found[name or template] = reverse(name, kwargs=kwargs) if name else "/" + template
    found["admin:login"] = reverse("admin:login")
    return found


def test_every_public_address_is_found_and_answers(client, site):
    """The URLconf walk finds the addresses readers use, and each answers without error as it is."""
    found = addresses(site["known"])
    for name in ("briefs:dashboard", "briefs:search", "briefs:detail", "newsletter:subscribe", "feed", "robots"):
        assert name in found
    for name, path in found.items():
        response = Client(raise_request_exception=False).get(path)
        assert not is_server_error(response), (name, path, response.status_code)
    # The sitemap's addresses resolve to routes the walk found.
    sitemap = client.get("/sitemap.xml").content.decode()
    for location in re.findall(r"<loc>([^<]+)</loc>", sitemap):
        assert (resolve(urlsplit(location).path).view_name or "") in found


def hostile_queries():
    """Query strings that put every hostile value into every parameter name at least once, in few requests.

    A refused value refuses the whole request, so each gets a request of its own; the values that reach the
    views are spread over the names (rotated), so that a few requests give every name every such value.
    """
    for value in REFUSED:
        yield "&".join(f"{name}={value}" for name in QUERY_NAMES)
    for shift in range(0, len(ODD), 4):
        yield "&".join(f"{name}={ODD[(index + shift) % len(ODD)]}" for index, name in enumerate(QUERY_NAMES))


# Forms visitors post to; other addresses answer a POST with 405 before reading anything.
POSTED = {"newsletter:subscribe", "newsletter:confirm", "newsletter:preferences", "newsletter:unsubscribe"}
POSTED |= {"newsletter:test_link", "admin:login"}


def test_hostile_query_strings_and_path_segments_never_get_5xx(site):
    """Every public address, with each hostile value in its query string and in each of its path segments."""
    client = Client(raise_request_exception=False)
    failures = []
    for name, path in addresses(site["known"]).items():
        for query in hostile_queries():
            if name == "briefs:pdf" and "%00" not in query:
                continue  # the PDF takes seconds to make and reads no parameter: the refused values suffice
            for method in (client.get, client.post) if name in POSTED else (client.get,):
                response = method(f"{path}?{query}")
                if is_server_error(response):
                    failures.append((method.__name__, name, query[:40], response.status_code))
        segments = path.strip("/").split("/")
        for position in range(len(segments)):
            for value in HOSTILE_SEGMENTS:
                hostile = "/" + "/".join([*segments[:position], value, *segments[position + 1 :]]) + "/"
                response = client.get(hostile)
                if is_server_error(response):
                    failures.append(("segment", name, value[:20], response.status_code))
        caches["default"].clear()  # the subscribe form's rate limit would otherwise hide the form after ten
    assert not failures


def test_nul_and_non_utf8_in_a_query_string_are_a_400_that_says_why(client, site):
    """The exact requests from the hostile test: a NUL where a series or topic is expected is a 400, not a 500."""
    for query in ("series=%00", "topics=%00", "series=%ff", "q=" + "x" * 40_000):
        response = Client(raise_request_exception=False).get(f"{reverse('newsletter:subscribe')}?{query}")
        assert response.status_code == 400, query
        assert b"query string" in response.content


latin1_text = st.text(alphabet=st.characters(max_codepoint=255), max_size=300)
any_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300)
encoded_bytes = st.binary(max_size=200).map(lambda raw: quote(raw, safe=""))
query_values = st.one_of(any_text.map(lambda text: quote(text, safe="")), encoded_bytes, st.sampled_from(HOSTILE))


def fuzz(examples: int, strategy, check) -> None:
    """Run ``check`` on ``examples`` values Hypothesis draws from ``strategy`` (repeatably: see FUZZ).

    Each address and each form gets its own run, so none is left out by chance.
    """

    @hypothesis_settings(FUZZ, max_examples=examples)
    @given(strategy)
    def run(example):
        check(example)

    run()


def request_shapes(path: str, posted: bool):
    """A method, the path (sometimes with one segment replaced) and a query string giving most parameters a value."""
    segments = path.strip("/").split("/")
    replaced = st.tuples(st.integers(0, len(segments) - 1), st.one_of(encoded_bytes, any_text.map(quote))).map(
        lambda change: "/" + "/".join([*segments[: change[0]], change[1], *segments[change[0] + 1 :]]) + "/"
    )
    query = st.fixed_dictionaries({}, optional=dict.fromkeys(QUERY_NAMES, query_values)).map(
        lambda values: "&".join(f"{name}={value}" for name, value in values.items())
    )
    return st.tuples(
        st.sampled_from(["GET", "POST"] if posted else ["GET", "HEAD"]),
        st.one_of(st.just(path), st.just(path), st.just(path), replaced),
        query,
    )


def test_generated_query_strings_and_path_segments_never_get_5xx(site):
    """Random values for the parameters pages read, and random path segments, on every public address."""
    client = Client(raise_request_exception=False)

    def check(shape):
        method, path, query = shape
        caches["default"].clear()  # the subscribe form's rate limit
        response = client.generic(method, path, QUERY_STRING=query)
        assert not is_server_error(response), (method, path, query, response.status_code)

    for name, path in addresses(site["known"]).items():
        # The PDF takes seconds to make and reads no parameter; the corpus test above feeds it.
        fuzz(2 if name == "briefs:pdf" else 10, request_shapes(path, name in POSTED), check)


HEADERS = {
    "HTTP_HOST": st.one_of(st.sampled_from(["testserver", "testserver:80", "[::1]", "127.0.0.1:99999"]), latin1_text),
    "HTTP_ACCEPT_LANGUAGE": st.one_of(latin1_text, st.sampled_from(["en-gb;q=2", "*;q=x", "zz-" * 500])),
    "HTTP_ACCEPT_ENCODING": st.one_of(latin1_text, st.sampled_from(["br;q=nan", "gzip;q=-1", ","])),
    "HTTP_COOKIE": st.one_of(latin1_text, latin1_text.map(lambda text: f'sessionid="{text}"'), st.just('a="\\000"')),
    "HTTP_ORIGIN": st.one_of(latin1_text, st.sampled_from(["null", "http://testserver:x", "http://[::1"])),
    "HTTP_SEC_FETCH_SITE": latin1_text,
    "HTTP_X_FORWARDED_FOR": latin1_text,
    "HTTP_IF_NONE_MATCH": st.one_of(latin1_text, st.just('W/"' + "x" * 5000)),
    "HTTP_IF_MODIFIED_SINCE": latin1_text,
    "HTTP_RANGE": latin1_text,
    "HTTP_REFERER": latin1_text,
    "HTTP_USER_AGENT": latin1_text,
    "CONTENT_TYPE": latin1_text,
    "CONTENT_LENGTH": st.sampled_from(["", "-1", "abc", "0", "99999999999999999999"]),
}
header_sets = st.lists(st.sampled_from(sorted(HEADERS)), min_size=1, max_size=3, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: HEADERS[name] for name in names})
)


def test_generated_headers_never_get_5xx(site):
    """Random Host, Accept-Language, Cookie, Origin and other headers, one to three at a time: never a 5xx."""
    client = Client(raise_request_exception=False)
    for name, path in addresses(site["known"]).items():
        if name == "briefs:pdf":
            continue  # seconds per PDF; headers reach it through the same middleware as every other page

        def check(shape, path=path):
            method, headers = shape
            caches["default"].clear()
            response = client.generic(method, path, **headers)
            assert not is_server_error(response), (method, path, headers, response.status_code)

        fuzz(5, st.tuples(st.sampled_from(["GET", "POST"] if name in POSTED else ["GET"]), header_sets), check)


unsendable_emails = st.builds(
    "{}@{}{}".format,
    st.sampled_from(["a", "reader", "jörg", '"a b"', "a\u00a0b"]),
    st.sampled_from(["b.c", "example.org", "exämple.org", "x" * 70 + ".org"]),
    st.sampled_from(["", "\u202e", "\u200e", "\u00ad", "\x00", "\u3002", ".", " "]),
)


def form_fields(form_class, **kwargs) -> list[str]:
    return list(form_class(**kwargs).fields)


def test_generated_form_posts_never_get_5xx(site, smtp_server):
    """Every public form, posted with generated values (multipart and raw urlencoded bytes): never a 5xx."""
    known = site["known"]
    forms = {
        reverse("newsletter:subscribe"): form_fields(SubscribeForm),
        reverse("newsletter:preferences", kwargs=known["newsletter:preferences"]): form_fields(PreferencesForm),
        reverse("newsletter:unsubscribe", kwargs=known["newsletter:unsubscribe"]): ["List-Unsubscribe"],
        reverse("newsletter:confirm", kwargs=known["newsletter:confirm"]): [],
        reverse("newsletter:test_link", kwargs=known["newsletter:test_link"]): ["List-Unsubscribe"],
        reverse("admin:login"): form_fields(AdminAuthenticationForm),
    }
    ids = [str(site["series"].pk), str(site["topic"].pk)]
    value = st.one_of(any_text, unsendable_emails, st.sampled_from([*ids, "", "0", "-1", "9" * 30, "\x00", "x" * 3000]))
    special = {
        "email": st.one_of(unsendable_emails, st.just("reader@example.org"), any_text),
        HONEYPOT_FIELD: st.sampled_from(["", "", "http://spam.example"]),
        # Mostly real choices, so that the form is valid and an email is sent; sometimes junk.
        "series": st.one_of(st.lists(st.sampled_from(ids), max_size=2), st.lists(value, max_size=3)),
        "topics": st.one_of(st.lists(st.sampled_from(ids), max_size=2), st.lists(value, max_size=3)),
    }
    client = Client(raise_request_exception=False)
    for path, names in forms.items():
        fields = st.fixed_dictionaries(
            {name: special.get(name, st.one_of(value, st.lists(value, max_size=3))) for name in names},
            optional={"csrfmiddlewaretoken": value},
        )
        raw = st.lists(st.tuples(st.sampled_from([*names, "x"]), st.one_of(encoded_bytes, value.map(quote)))).map(
            lambda pairs: "&".join(f"{quote(name)}={data}" for name, data in pairs).encode()
        )

        def check(body, path=path):
            caches["default"].clear()  # the subscribe form's rate limit would stop the form being reached
            if isinstance(body, bytes):
                response = client.generic("POST", path, body, content_type="application/x-www-form-urlencoded")
            else:
                response = client.post(path, body)
            assert not is_server_error(response), (path, body, response.status_code)

        fuzz(20 if names else 4, st.one_of(fields, raw), check)
