"""Public pages: the dashboard, brief pages and the series/topic/author listings."""

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.generic import DetailView

from core.caching import cache_tags_add, public_page
from core.fragments import fragment, fragments_enabled, fragments_many

from .cache_tags import (
    ALL_BRIEFS,
    AUTHOR_FILTER,
    NAV,
    SEARCH,
    brief_page_tags,
    card_tags,
    listing_tags,
    subject_page_tags,
)
from .citations import Citation, bibtex, formatted_citations, ris
from .forms import BriefFilterForm
from .models import Author, Brief, Series, Topic
from .pdf import brief_pdf, pdf_available
from .search import MAX_QUERY_LENGTH, briefs_search, parse_query, search_snippets
from .sharing import share_links
from .structured_data import breadcrumbs_json_ld, brief_json_ld, citation_meta_tags

BRIEFS_PER_PAGE = 12


class ListingPaginator(Paginator):
    """Django's paginator, but given the count when it is known (kept per content version) instead of counting."""

    def __init__(self, object_list, per_page, *, count: int | None = None):
        super().__init__(object_list, per_page)
        if count is not None:
            self.count = count


def paginate(request, queryset, *, count: int | None = None):
    """The page of ``queryset`` that ``?page=`` asks for, with ``elided_range``: the page numbers to link.

    The range is the first and last page and two either side of this one, so
    the links (and the page's size) stay the same however long the archive.
    """
    page = ListingPaginator(queryset, BRIEFS_PER_PAGE, count=count).get_page(request.GET.get("page"))
    page.elided_range = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def filter_choices(request) -> dict:
    """The filter bar's options (kept per content version): series and topics (the menus' too), every author
    with a published brief, and the years with one."""

    def make():
        return {
            "nav_series": list(Series.objects.only("name", "slug")),
            "nav_topics": list(Topic.objects.only("name", "slug")),
            "filter_authors": list(Author.objects.with_published_briefs().only("name", "slug")),
            "filter_years": list(Brief.objects.published().dates("published_at", "year", order="DESC")),
        }

    return fragment(request, "filter-choices", make=make, timely=True)


def filters_known(choices: dict, filters: dict) -> dict:
    """The filters whose values are among the options; a typo or an old link's value is simply not chosen.

    Fragments that depend on the filters vary on these only, so made-up
    values cannot multiply the cached copies.
    """
    known = {
        "series": {series.slug for series in choices["nav_series"]},
        "topic": {topic.slug for topic in choices["nav_topics"]},
        "author": {author.slug for author in choices["filter_authors"]},
        "year": {day.year for day in choices["filter_years"]},
    }
    return {name: value for name, value in filters.items() if value in known.get(name, ())}


CARD_TEMPLATE = "includes/brief_card.html"
FEATURED_TEMPLATE = "briefs/includes/featured_brief.html"


def brief_cards(request, page_briefs, *, first_template: str = CARD_TEMPLATE, **context) -> list[str]:
    """The cards of ``page_briefs`` (a page of a published queryset) as HTML, in order.

    Each card is made once per brief, change and content version (the version
    covers the author, series and photo names it shows) and then reused on
    every listing it appears on: for a page whose cards are all made already
    only the briefs' ids and change times are read. The missing cards are
    fetched, with their authors, series and photos, in two queries. The
    cards' cache tags are kept with them. ``first_template`` draws the first
    brief differently (the dashboard's featured brief).
    """

    def render(brief, template):
        return render_to_string(template, {"brief": brief, **context}), card_tags([brief])

    if not fragments_enabled():
        briefs = list(page_briefs.for_listing())
        found = [render(brief, first_template if n == 0 else CARD_TEMPLATE) for n, brief in enumerate(briefs)]
    else:
        rows = list(page_briefs.values_list("pk", "updated_at"))
        first_id = rows[0][0] if rows else None

        def template_of(pk):
            return first_template if pk == first_id else CARD_TEMPLATE

        def make(ids) -> dict:
            briefs = Brief.objects.filter(pk__in=ids).for_listing()
            return {brief.pk: render(brief, template_of(brief.pk)) for brief in briefs}

        vary = {pk: (updated_at.isoformat(), template_of(pk), *sorted(context.items())) for pk, updated_at in rows}
        cards = fragments_many(request, "card", vary, make=make)
        found = [cards[pk] for pk, _ in rows if pk in cards]
    cache_tags_add(request, set().union(*(tags for _, tags in found)))
    return [mark_safe(html) for html, _ in found]


@public_page
def dashboard(request):
    """The front page: the latest brief featured, then cards with combinable filters."""
    form = BriefFilterForm(request.GET or None)
    filters = form.cleaned_filters()
    choices = filter_choices(request)
    known = filters_known(choices, filters)
    briefs = Brief.objects.published().filter_by(**filters)
    if filters.get("topic") or filters.get("author"):
        # Joins through many-to-many rows can repeat a brief.
        briefs = briefs.distinct()
    # Counting every matching row on each request made the page slower as the archive grew; the count changes
    # only with the content version. Filters with unknown values match nothing and are counted (quickly) instead.
    count = (
        fragment(request, "listing-count", *sorted(filters.items()), make=briefs.count, timely=True)
        if known == filters
        else None
    )
    page_obj = paginate(request, briefs, count=count)
    # The newest brief is featured above the cards on the unfiltered first page.
    cards = brief_cards(
        request,
        page_obj.object_list,
        first_template=FEATURED_TEMPLATE if page_obj.number == 1 and not filters else CARD_TEMPLATE,
    )
    featured = cards.pop(0) if cards and page_obj.number == 1 and not filters else None
    cache_tags_add(request, {ALL_BRIEFS, AUTHOR_FILTER, NAV})
    return render(
        request,
        "briefs/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "filter_selected": known,
            "featured": featured,
            "briefs": cards,
            "page_obj": page_obj,
            "pagination_query": form.query_string(),
            **choices,
        },
    )


NEWEST_WHEN_NOTHING_FOUND = 3


@public_page
def search(request):
    """/search/?q=…: published briefs matching the words, best first, narrowed by the dashboard's filters.

    Whatever is typed answers with results or "no results": the query is
    parsed into words (briefs/search.py), never handed to the database as
    syntax. With filters but no words, the filtered briefs are listed newest first.
    """
    form = BriefFilterForm(request.GET or None)
    filters = form.cleaned_filters()
    typed = request.GET.get("q", "").replace("\x00", " ").strip()
    text = typed[:MAX_QUERY_LENGTH]
    query = parse_query(text)
    briefs = Brief.objects.published().filter_by(**filters)
    if query:
        briefs = briefs_search(briefs, query)
    elif not filters:
        briefs = briefs.none()
    page_obj = paginate(request, briefs.for_listing())
    results = list(page_obj.object_list)
    snippets = search_snippets([brief.pk for brief in results], query)
    for brief in results:
        brief.snippet = snippets.get(brief.pk, "")
    searched = bool(query or filters)
    newest = Brief.objects.published().for_listing()[:NEWEST_WHEN_NOTHING_FOUND] if not results else []
    cache_tags_add(request, listing_tags([*results, *newest], lists=(ALL_BRIEFS, AUTHOR_FILTER, SEARCH)))
    return render(
        request,
        "briefs/search.html",
        {
            "query_text": text,
            "shortened": len(typed) > MAX_QUERY_LENGTH,
            "searched": searched,
            "filters": filters,
            "results": results,
            "page_obj": page_obj,
            "pagination_query": urlencode({"q": text, **filters} if text else filters),
            # Shown when nothing matched (or nothing was asked): somewhere to go next.
            "newest": newest,
            **filter_choices(request),
        },
    )


PREVIEW_STATES = {
    Brief.Status.DRAFT: "a draft",
    Brief.Status.IN_REVIEW: "in review",
    Brief.Status.CHANGES_REQUESTED: "a draft with changes requested",
    Brief.Status.SCHEDULED: "scheduled",
    Brief.Status.PUBLISHED: "published",
    Brief.Status.ARCHIVED: "archived",
}


def brief_links(request, brief: Brief, *, is_preview: bool) -> tuple:
    """The previous and next briefs in the series, related briefs and more by the authors (three queries).

    For a live brief they are found once per content version: finding
    related briefs counts shared topics across every published brief, the
    dearest part of the page. (A preview's are found each time: its draft
    topics and byline are not what the version covers.)
    """

    def find():
        previous_brief, next_brief = (None, None) if is_preview else brief.neighbours()
        published = Brief.objects.published().select_related("series").defer("search_vector", "summary")
        related = list(published.related_to(brief))
        more_by_authors = list(published.by_authors_of(brief, exclude=[other.pk for other in related]))
        return previous_brief, next_brief, related, more_by_authors

    if is_preview:
        return find()
    return fragment(request, "brief-links", brief.pk, make=find, timely=True)


def brief_page_context(request, brief: Brief, *, is_preview: bool) -> dict:
    """Everything the brief page shows, in a fixed number of queries whatever the brief's size."""
    previous_brief, next_brief, related, more_by_authors = brief_links(request, brief, is_preview=is_preview)
    absolute_url = request.build_absolute_uri(brief.get_absolute_url())
    image_url = request.build_absolute_uri(brief.header_photo.image.url) if brief.header_photo else ""
    pdf_url = "" if is_preview or not pdf_available() else request.build_absolute_uri(brief.get_pdf_url())

    # Drawn only into parts of the page kept per change and content version (brief_detail.html): worked out
    # when such a part is made, not on every request.
    @functools.cache
    def citations():
        return formatted_citations(Citation.of(brief, url=absolute_url)) if brief.published_at else []

    @functools.cache
    def json_ld():
        return [
            brief_json_ld(brief, absolute=request.build_absolute_uri, pdf_url=pdf_url),
            breadcrumbs_json_ld(
                [(brief.series.name, brief.series.get_absolute_url()), (brief.title, brief.get_absolute_url())],
                absolute=request.build_absolute_uri,
            ),
        ]

    return {
        "brief": brief,
        "is_preview": is_preview,
        # The preview banner, drafts and staff's edit links are never kept (templates/briefs/brief_detail.html).
        "cacheable": not is_preview,
        "preview_state": PREVIEW_STATES.get(brief.status, brief.status),
        "previous_brief": previous_brief,
        "next_brief": next_brief,
        "absolute_url": absolute_url,
        "canonical_url": absolute_url,
        "image_url": image_url,
        "pdf_url": pdf_url,
        "share_links": functools.cache(lambda: share_links(url=absolute_url, title=brief.title, image_url=image_url)),
        "related_briefs": related,
        "more_by_authors": more_by_authors,
        "citations": citations,
        "json_ld": json_ld,
        "citation_tags": functools.cache(
            lambda: citation_meta_tags(brief, absolute=request.build_absolute_uri, pdf_url=pdf_url)
        ),
    }


@public_page
def brief_detail(request, slug):
    """A brief's page. Staff see drafts of the briefs they may open in the admin, marked as a preview."""
    briefs = Brief.objects.published()
    if request.user.is_staff:
        briefs = Brief.objects.filter(Q(pk__in=briefs.values("pk")) | Q(pk__in=Brief.objects.visible_to(request.user)))
        brief = briefs.for_detail().filter(slug=slug).first()
    else:
        brief = published_brief_for_page(request, slug)
    if brief is None:
        raise Http404("No brief at this address.")
    return brief_page_response(request, brief, preview=not brief.is_live)


def published_brief_for_page(request, slug) -> Brief | None:
    """The published brief at ``slug`` with everything its page shows (``for_detail()``).

    Fetched once per change of the brief and content version (the version
    covers its authors, photos, topics and resources) and then read whole
    from the fragments cache: one small query a request instead of six.
    """
    if not fragments_enabled():
        return Brief.objects.published().for_detail().filter(slug=slug).first()
    found = Brief.objects.published().filter(slug=slug).values_list("pk", "updated_at").first()
    if found is None:
        return None
    pk, updated_at = found
    return fragment(
        request, "brief-detail", pk, updated_at.isoformat(), make=lambda: Brief.objects.for_detail().get(pk=pk)
    )


def brief_preview(request, token):
    """A signed preview link for a reviewer without an account; a live brief's link leads to its page.

    A link that was tampered with, has expired or names a brief that is gone
    answers the site's plain 404, which says nothing about any brief.
    """
    brief = Brief.from_preview_token(token, queryset=Brief.objects.for_detail())
    if brief is None:
        raise Http404("No brief at this address.")
    if brief.is_live:
        return redirect(brief)
    return brief_page_response(request, brief, preview=True)


def brief_page_response(request, brief, *, preview: bool):
    """The brief page; a preview is marked as one, kept out of search engines and out of shared caches."""
    context = brief_page_context(request, brief, is_preview=preview)
    linked = [context["previous_brief"], context["next_brief"], *context["related_briefs"], *context["more_by_authors"]]
    cache_tags_add(request, brief_page_tags(brief, linked=linked))
    response = render(request, "briefs/brief_detail.html", context)
    if preview:
        # A preview must never be kept by a shared cache or listed by a search engine.
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def published_brief_or_404(slug) -> Brief:
    brief = Brief.objects.published().for_detail().filter(slug=slug).first()
    if brief is None:
        raise Http404("No published brief at this address.")
    return brief


def brief_pdf_download(request, slug):
    """The brief as a PDF: the printed page, made once per version of the brief (briefs/pdf.py)."""
    brief = published_brief_or_404(slug)
    if not pdf_available():
        return render(request, "briefs/pdf_unavailable.html", {"brief": brief}, status=503)
    context = brief_page_context(request, brief, is_preview=False)
    # The same page readers print, without the per-visitor form token, so one version gives one file.
    html = render_to_string("briefs/brief_detail.html", {**context, "csrf_token": ""}, request=request)
    name, _ = brief_pdf(brief_id=brief.pk, html=html, base_url=context["absolute_url"])
    return FileResponse(default_storage.open(name), content_type="application/pdf", filename=f"{brief.slug}.pdf")


CITATION_FILES = {
    "bibtex": (bibtex, "application/x-bibtex; charset=utf-8", "bib"),
    "ris": (ris, "application/x-research-info-systems; charset=utf-8", "ris"),
}


@public_page
def brief_citation_download(request, slug, file_format):
    """The brief's citation as a BibTeX or RIS file for a reference manager."""
    brief = published_brief_or_404(slug)
    write, content_type, extension = CITATION_FILES[file_format]
    citation = Citation.of(brief, url=request.build_absolute_uri(brief.get_absolute_url()))
    cache_tags_add(request, card_tags([brief]))
    response = HttpResponse(write(citation), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{slug}.{extension}")
    return response


class ListingView(DetailView):
    """A series, topic or author page: the object, then its published briefs as cards."""

    template_name = "briefs/listing.html"
    kind = ""
    grid_label = ""
    empty_message = ""

    def get_briefs(self):
        raise NotImplementedError

    def get_description(self) -> str:
        """The meta description: the object's own, or a sentence about its briefs."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_obj"] = paginate(self.request, self.get_briefs().for_listing())
        context["briefs"] = context["page_obj"].object_list
        cache_tags_add(self.request, subject_page_tags(self.object, context["briefs"]))
        feed_name, slug = f"briefs:{self.kind.lower()}-feed", self.object.slug
        context.update(
            kind=self.kind,
            grid_label=self.get_grid_label(),
            empty_message=self.empty_message,
            description=self.get_description(),
            subject_feeds={
                "name": self.object.name,
                "rss": reverse(feed_name, kwargs={"slug": slug}),
                "atom": reverse(f"{feed_name}-atom", kwargs={"slug": slug}),
            },
            json_ld=[
                breadcrumbs_json_ld(
                    [(self.object.name, self.object.get_absolute_url())], absolute=self.request.build_absolute_uri
                )
            ],
        )
        return context

    def get_grid_label(self) -> str:
        return self.grid_label


class SeriesView(ListingView):
    model = Series
    kind = "Series"
    grid_label = "Briefs in this series"
    empty_message = "No briefs have been published in this series yet."

    def get_briefs(self):
        return Brief.objects.published().filter(series=self.object)

    def get_description(self):
        return self.object.description or f"Every {self.object.name} published by {settings.SITE_NAME}."


class TopicView(ListingView):
    model = Topic
    kind = "Topic"
    grid_label = "Briefs on this topic"
    empty_message = "No briefs have been published on this topic yet."

    def get_briefs(self):
        return Brief.objects.published().filter(topics=self.object)

    def get_description(self):
        return self.object.description or f"Policy briefs on {self.object.name} from {settings.SITE_NAME}."


class AuthorView(ListingView):
    model = Author
    template_name = "briefs/author_detail.html"
    kind = "Author"
    empty_message = "No published briefs yet."

    def get_briefs(self):
        return Brief.objects.published().filter(brief_authors__author=self.object)

    def get_description(self):
        role = f", {self.object.role}" if self.object.role else ""
        return f"{self.object.name}{role}: policy briefs from {settings.SITE_NAME}."

    def get_grid_label(self):
        return f"Briefs by {self.object.name}"
