"""Campaign pages (login, marketer or admin). Templates, sender profiles and settings have their own module."""
from django.urls import include, path

app_name = "campaigns"
urlpatterns = [
    path("templates/", include("campaigns.urls_templates")),
]
