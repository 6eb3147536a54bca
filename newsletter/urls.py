"""Newsletter addresses. Confirmation, preferences and unsubscribe links are in emails already sent: keep them."""

from django.urls import path

from . import views

app_name = "newsletter"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("test-link/<str:token>/", views.test_link, name="test_link"),
]
