"""Public pages: the dashboard, brief pages and the series/topic/author listings."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.generic import DetailView

from .forms import BriefFilterForm
from .models import Author, Brief, Series, Topic
from .sharing import share_links

BRIEFS_PER_PAGE = 12


def paginate(request, queryset):
    return Paginator(queryset, BRIEFS_PER_PAGE).get_page(request.GET.get("page"))


def dashboard(request):
    """The front page: the latest brief featured, then cards with combinable filters."""
    form = BriefFilterForm(request.GET or None)
    filters = form.cleaned_filters()
    briefs = Brief.objects.published().filter_by(**filters).for_listing()
    if filters.get("topic") or filters.get("author"):
        # Joins through many-to-many rows can repeat a brief.
        briefs = briefs.distinct()
    page_obj = paginate(request, briefs)
    cards = list(page_obj.object_list)
    # The newest brief is featured above the cards on the unfiltered first page.
    featured = cards.pop(0) if cards and page_obj.number == 1 and not filters else None
    return render(
        request,
        "briefs/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "featured": featured,
            "briefs": cards,
            "page_obj": page_obj,
            "pagination_query": form.query_string(),
            # One query each for the author and year filter options.
            "filter_authors": Author.objects.with_published_briefs().only("name", "slug"),
            "filter_years": Brief.objects.published().dates("published_at", "year", order="DESC"),
        },
    )


def brief_detail(request, slug):
    """A brief's page. Staff see drafts of the briefs they may open in the admin, marked as a preview."""
    briefs = Brief.objects.published()
    if request.user.is_staff:
        briefs = Brief.objects.filter(Q(pk__in=briefs.values("pk")) | Q(pk__in=Brief.objects.visible_to(request.user)))
    brief = briefs.for_detail().filter(slug=slug).first()
    if brief is None:
        raise Http404("No brief at this address.")
    return brief_page_response(request, brief, preview=not brief.is_live)


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


PREVIEW_STATES = {
    Brief.Status.DRAFT: "a draft",
    Brief.Status.IN_REVIEW: "in review",
    Brief.Status.CHANGES_REQUESTED: "a draft with changes requested",
    Brief.Status.SCHEDULED: "scheduled",
    Brief.Status.PUBLISHED: "published",
    Brief.Status.ARCHIVED: "archived",
}


def brief_page_response(request, brief, *, preview: bool):
    """The brief page; a preview is marked as one, kept out of search engines and out of shared caches."""
    previous_brief, next_brief = (None, None) if preview else brief.neighbours()
    absolute_url = request.build_absolute_uri(brief.get_absolute_url())
    image_url = request.build_absolute_uri(brief.header_photo.image.url) if brief.header_photo else ""
    response = render(
        request,
        "briefs/brief_detail.html",
        {
            "brief": brief,
            "is_preview": preview,
            "preview_state": PREVIEW_STATES.get(brief.status, brief.status),
            "previous_brief": previous_brief,
            "next_brief": next_brief,
            "absolute_url": absolute_url,
            "image_url": image_url,
            "share_links": share_links(url=absolute_url, title=brief.title, image_url=image_url),
        },
    )
    if preview:
        # A preview must never be kept by a shared cache or listed by a search engine.
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
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
        context.update(
            kind=self.kind,
            grid_label=self.get_grid_label(),
            empty_message=self.empty_message,
            description=self.get_description(),
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
