from django.urls import path

from . import views

app_name = "briefs"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("briefs/<slug:slug>/", views.brief_detail, name="detail"),
    path("preview/<str:token>/", views.brief_preview, name="preview"),
    path("series/<slug:slug>/", views.SeriesView.as_view(), name="series"),
    path("topics/<slug:slug>/", views.TopicView.as_view(), name="topic"),
    path("authors/<slug:slug>/", views.AuthorView.as_view(), name="author"),
]
