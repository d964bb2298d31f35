"""Public pages reached from sent mail (no login): unsubscribe, preferences, the provider webhook.

The open pixel (/m/o/TOKEN.gif) and the click redirect (/m/c/TOKEN/N) are tracking's (tracking.urls_mail adds
them to this namespace): they feed the same buffered event pipeline as website visits.
"""
from django.urls import path, re_path

from . import views_public as views

app_name = "mail"
LINK_KEY = r"(?P<token>[A-Za-z0-9_-]{16,64})"
urlpatterns = [
    re_path(rf"^u/{LINK_KEY}/$", views.unsubscribe, name="unsubscribe"),
    re_path(rf"^u/{LINK_KEY}/one-click$", views.one_click, name="one_click"),
    path("webhook/bounce", views.bounce_webhook, name="bounce_webhook"),
]
