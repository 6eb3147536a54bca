from django.urls import path

from core.caching import public_page

from . import feeds, views

app_name = "briefs"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("feed/atom/", public_page(feeds.LatestBriefsAtomFeed()), name="feed-atom"),
    path("feed/json/", public_page(feeds.json_feed), name="feed-json"),
    path("briefs/<slug:slug>/", views.brief_detail, name="detail"),
    path("briefs/<slug:slug>/pdf/", views.brief_pdf_download, name="pdf"),
    path("briefs/<slug:slug>/cite.bib", views.brief_citation_download, {"file_format": "bibtex"}, name="cite-bibtex"),
    path("briefs/<slug:slug>/cite.ris", views.brief_citation_download, {"file_format": "ris"}, name="cite-ris"),
    path("preview/<str:token>/", views.brief_preview, name="preview"),
    path("series/<slug:slug>/", public_page(views.SeriesView.as_view()), name="series"),
    path("series/<slug:slug>/feed/", public_page(feeds.SeriesFeed()), name="series-feed"),
    path("series/<slug:slug>/feed/atom/", public_page(feeds.SeriesAtomFeed()), name="series-feed-atom"),
    path("topics/<slug:slug>/", public_page(views.TopicView.as_view()), name="topic"),
    path("topics/<slug:slug>/feed/", public_page(feeds.TopicFeed()), name="topic-feed"),
    path("topics/<slug:slug>/feed/atom/", public_page(feeds.TopicAtomFeed()), name="topic-feed-atom"),
    path("authors/<slug:slug>/", public_page(views.AuthorView.as_view()), name="author"),
    path("authors/<slug:slug>/feed/", public_page(feeds.AuthorFeed()), name="author-feed"),
    path("authors/<slug:slug>/feed/atom/", public_page(feeds.AuthorAtomFeed()), name="author-feed-atom"),
]
