"""Full-text search of briefs: PostgreSQL's text search on PostgreSQL, FTS5 on SQLite, one query language.

What readers type (``parse_query``) is the websearch syntax, plus prefixes:
words must all match, ``"a quoted phrase"`` matches in order, ``or`` between
two terms accepts either, ``-word`` leaves briefs with that word out and
``secur*`` matches any word starting so. Nothing typed is ever passed to the
database as syntax: the parsed terms are compiled for each backend, so quotes,
operators, SQL-looking text or NUL bytes can only ever fail to match.

The index covers, from most to least weight, the title, the summary, the
sections (headings and text) and the authors' names:

- PostgreSQL: ``Brief.search_vector`` (weights A to D) with a GIN index,
  ranked by ``ts_rank`` and highlighted by ``ts_headline``;
- SQLite: the FTS5 table ``briefs_brief_fts`` (``BriefSearchEntry``), one
  row per brief, ranked by ``bm25`` with the same order of column weights and
  highlighted by ``snippet``.

It is refreshed in the same transaction as the change: signals connected in
``BriefsConfig.ready`` call ``search_index_refresh`` whenever a brief's title
or summary, a section, a byline or an author's name is saved or deleted. Bulk
writes that send no signals (``bulk_create`` in the demo seeding) call it
themselves. Which briefs a search may show is decided by the caller, always
starting from ``Brief.objects.published()``.
"""

import html
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import batched

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, FloatField, Func, Lookup, OuterRef, StringAgg, Subquery, TextField, Value
from django.db.models.functions import Coalesce, Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Brief, BriefAuthor, BriefSearchEntry, Section

# PostgreSQL's text search configuration: English stemming and stop words.
POSTGRES_CONFIG = "english"
# SQLite: bm25 weights for title, summary, sections and authors, in the table's column order.
FTS5_WEIGHTS = (10.0, 4.0, 1.0, 0.5)
FTS5_COLUMN_SUMMARY, FTS5_COLUMN_BODY = 1, 2

# Longer queries are cut here; nobody types more, and the cost stays bounded.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_PHRASE_WORDS = 8

# Highlight markers the databases put around matches; private-use characters no brief contains.
MARK_START, MARK_END = "\ue000", "\ue001"
SNIPPET_WORDS = 32

TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
WORD = re.compile(r"\w+")
TAG = re.compile(r"<[^>]*>")
# Inline elements sit inside words and sentences ("<a>report</a>."): removed without a space.
INLINE_TAG = re.compile(r"</?(?:a|abbr|b|code|em|i|mark|s|span|strong|sub|sup|u)\b[^>]*>")
SPACE = re.compile(r"\s+")


# --- The query language ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word, or a phrase of words in order; ``prefix`` lets the last word be the start of a longer one."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """Every group must match (any one term of it); no excluded term may."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    truncated: bool = False

    def __bool__(self) -> bool:
        # A query of exclusions alone ("-tariffs") matches nothing: there is nothing to look for.
        return bool(self.groups)


def parse_query(text: str) -> ParsedQuery:
    """Read what a reader typed into terms; anything that is not a word is punctuation and ignored."""
    text = text.replace("\x00", " ")
    truncated = len(text) > MAX_QUERY_LENGTH
    groups: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    join_with_previous = False
    for match in TOKEN.finditer(text[:MAX_QUERY_LENGTH]):
        minus, quoted, bare = match.groups()
        if bare is not None:
            if bare.upper() == "OR":
                join_with_previous = bool(groups)
                continue
            negated, prefix, words = bare.startswith("-"), bare.endswith("*"), WORD.findall(bare)
        else:
            negated, prefix, words = bool(minus), False, WORD.findall(quoted)
        if not words:
            continue
        if len(groups) + len(excluded) >= MAX_TERMS:
            truncated = True
            break
        term = Term(tuple(word.lower() for word in words[:MAX_PHRASE_WORDS]), prefix)
        if negated:
            excluded.append(term)
        elif join_with_previous:
            groups[-1] = (*groups[-1], term)
        else:
            groups.append((term,))
        join_with_previous = False
    return ParsedQuery(tuple(groups), tuple(excluded), truncated)


# --- Searching -------------------------------------------------------------------------------------------------------


def briefs_search(briefs, query: ParsedQuery):
    """``briefs`` that match ``query``, best first (then newest), each with a ``rank``."""
    if not query:
        return briefs.none()
    if connection.vendor == "postgresql":
        tsquery = _postgres_query(query)
        return (
            briefs.filter(search_vector=tsquery)
            .annotate(rank=SearchRank(F("search_vector"), tsquery))
            .order_by("-rank", "-published_at", "-id")
        )
    document = F("search_entry__document")
    # bm25 is lower for a better match: negated, a higher rank is better on both backends.
    score = Func(document, *(Value(weight) for weight in FTS5_WEIGHTS), function="bm25", output_field=FloatField())
    return (
        briefs.filter(search_entry__document__fts5_match=_fts5_query(query))
        .annotate(rank=-score)
        .order_by("-rank", "-published_at", "-id")
    )


def search_snippets(brief_ids: list[int], query: ParsedQuery) -> dict[int, SafeString]:
    """For each brief, a short passage of its summary or text around the matches, matches in <mark> (one query)."""
    if not brief_ids or not query:
        return {}
    if connection.vendor == "postgresql":
        headline = SearchHeadline(
            Concat(
                "summary",
                Value(" "),
                Coalesce(_sections_text(strip_tags=True), Value(""), output_field=TextField()),
                output_field=TextField(),
            ),
            _postgres_query(query),
            config=POSTGRES_CONFIG,
            start_sel=MARK_START,
            stop_sel=MARK_END,
            max_words=SNIPPET_WORDS,
            min_words=SNIPPET_WORDS // 2,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
        rows = Brief.objects.filter(pk__in=brief_ids).annotate(snippet=headline).values_list("pk", "snippet")
        # The tags are gone; what is left of the stored HTML is text with entities.
        return {pk: _highlighted(html.unescape(snippet or "")) for pk, snippet in rows}

    def snippet(column: int) -> Func:
        return Func(
            F("document"),
            *(Value(part) for part in (column, MARK_START, MARK_END, "…", SNIPPET_WORDS)),
            function="snippet",
            output_field=TextField(),
        )

    rows = (
        BriefSearchEntry.objects.filter(document__fts5_match=_fts5_query(query), brief_id__in=brief_ids)
        .annotate(in_body=snippet(FTS5_COLUMN_BODY), in_summary=snippet(FTS5_COLUMN_SUMMARY))
        .values_list("brief_id", "in_body", "in_summary")
    )
    # The text where a match is, else the summary's opening (the match was in the title or a name).
    return {
        pk: _highlighted(in_body if MARK_START in (in_body or "") else in_summary or "")
        for pk, in_body, in_summary in rows
    }


def _highlighted(text: str) -> SafeString:
    """Escape the passage, then turn the database's markers into <mark> elements."""
    escaped = escape(SPACE.sub(" ", text).strip())
    if escaped.count(MARK_START) != escaped.count(MARK_END):
        escaped = escaped.replace(MARK_START, "").replace(MARK_END, "")
    return mark_safe(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def _postgres_query(query: ParsedQuery) -> SearchQuery:
    def compile_term(term: Term) -> SearchQuery:
        if term.prefix:
            # Raw tsquery syntax, built only from word characters, each quoted: 'energy' <-> 'secur':*
            raw = " <-> ".join(f"'{word}'" for word in term.words) + ":*"
            return SearchQuery(raw, search_type="raw", config=POSTGRES_CONFIG)
        search_type = "phrase" if len(term.words) > 1 else "plain"
        return SearchQuery(" ".join(term.words), search_type=search_type, config=POSTGRES_CONFIG)

    combined = None
    for group in query.groups:
        either = compile_term(group[0])
        for term in group[1:]:
            either |= compile_term(term)
        combined = either if combined is None else combined & either
    for term in query.excluded:
        combined &= ~compile_term(term)
    return combined


def _fts5_query(query: ParsedQuery) -> str:
    def compile_term(term: Term) -> str:
        # Words are word characters only, so a double-quoted FTS5 string needs no escaping.
        return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")

    wanted = " AND ".join("(" + " OR ".join(compile_term(term) for term in group) + ")" for group in query.groups)
    return wanted + "".join(f" NOT {compile_term(term)}" for term in query.excluded)


class Fts5Match(Lookup):
    """``document MATCH 'query'``: the FTS5 full-text condition (as a filter, so the join is an inner one)."""

    lookup_name = "fts5_match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", (*lhs_params, *rhs_params)


BriefSearchEntry._meta.get_field("document").register_lookup(Fts5Match)


# --- Keeping the index current ---------------------------------------------------------------------------------------


def html_to_text(body: str) -> str:
    """A section's sanitised HTML as plain text for the index (tags become spaces, entities characters)."""
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", INLINE_TAG.sub("", body)))).strip()


def search_index_refresh(*, brief_ids: Iterable[int] | None = None) -> None:
    """Re-index these briefs (every brief when ``None``); call it inside the transaction that changed them."""
    if brief_ids is not None:
        brief_ids = list(brief_ids)
        if not brief_ids:
            return
    if connection.vendor == "postgresql":
        _postgres_refresh(brief_ids)
    elif connection.vendor == "sqlite":
        _sqlite_refresh(brief_ids)


def _sections_text(*, strip_tags: bool = False) -> Subquery:
    """A brief's section headings and text, in order, as one string (``OuterRef('pk')`` is the brief)."""
    text = Concat("heading", Value(" "), "body", output_field=TextField())
    if strip_tags:
        text = Func(
            text, Value(TAG.pattern), Value(" "), Value("g"), function="regexp_replace", output_field=TextField()
        )
    return Subquery(
        Section.objects.filter(brief=OuterRef("pk"))
        .order_by()
        .values("brief")
        .annotate(text=StringAgg(text, Value(" "), order_by=("sort_order", "id")))
        .values("text")
    )


def _postgres_refresh(brief_ids: list[int] | None) -> None:
    names = Subquery(
        BriefAuthor.objects.filter(brief=OuterRef("pk"))
        .order_by()
        .values("brief")
        .annotate(names=StringAgg("author__name", Value(" ")))
        .values("names")
    )
    # to_tsvector skips HTML tags by itself, so the stored section HTML is indexed as it is.
    vector = (
        SearchVector("title", weight="A", config=POSTGRES_CONFIG)
        + SearchVector("summary", weight="B", config=POSTGRES_CONFIG)
        + SearchVector(
            Coalesce(_sections_text(), Value(""), output_field=TextField()), weight="C", config=POSTGRES_CONFIG
        )
        + SearchVector(Coalesce(names, Value(""), output_field=TextField()), weight="D", config=POSTGRES_CONFIG)
    )
    briefs = Brief.objects.all() if brief_ids is None else Brief.objects.filter(pk__in=brief_ids)
    briefs.update(search_vector=vector)


FTS5_BATCH = 500


def _sqlite_refresh(brief_ids: list[int] | None) -> None:
    with connection.cursor() as cursor:
        if brief_ids is None:
            cursor.execute("DELETE FROM briefs_brief_fts")
            pks = Brief.objects.order_by("pk").values_list("pk", flat=True).iterator()
        else:
            pks = brief_ids
        for batch in batched(pks, FTS5_BATCH):
            placeholders = ", ".join(["%s"] * len(batch))
            if brief_ids is not None:
                cursor.execute(f"DELETE FROM briefs_brief_fts WHERE rowid IN ({placeholders})", batch)
            cursor.executemany(
                "INSERT INTO briefs_brief_fts (rowid, title, summary, body, authors) VALUES (%s, %s, %s, %s, %s)",
                _fts5_rows(batch),
            )


def _fts5_rows(brief_ids: tuple[int, ...]) -> list[tuple]:
    texts, names = defaultdict(list), defaultdict(list)
    for brief_id, heading, body in (
        Section.objects.filter(brief_id__in=brief_ids)
        .order_by("brief_id", "sort_order", "id")
        .values_list("brief_id", "heading", "body")
    ):
        texts[brief_id].append(f"{heading}. {html_to_text(body)}")
    for brief_id, name in (
        BriefAuthor.objects.filter(brief_id__in=brief_ids)
        .order_by("brief_id", "sort_order", "id")
        .values_list("brief_id", "author__name")
    ):
        names[brief_id].append(name)
    return [
        (pk, title, summary, " ".join(texts[pk]), ", ".join(names[pk]))
        for pk, title, summary in Brief.objects.filter(pk__in=brief_ids).values_list("pk", "title", "summary")
    ]


# Signal receivers, connected in BriefsConfig.ready().


def brief_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or {"title", "summary"} & set(update_fields):
        search_index_refresh(brief_ids=[instance.pk])


def brief_deleted(sender, instance, **kwargs):
    search_index_refresh(brief_ids=[instance.pk])


def part_of_brief_changed(sender, instance, **kwargs):
    """A section or byline was saved or deleted."""
    search_index_refresh(brief_ids=[instance.brief_id])


def author_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is None or "name" in update_fields:
        search_index_refresh(brief_ids=instance.author_briefs.values_list("brief_id", flat=True))
