"""Public pages reached from sent mail (no login): unsubscribe, preferences, open pixel, click redirect."""
from django.urls import path, re_path

from . import views_public as views

app_name = "mail"
LINK_KEY = r"(?P<token>[A-Za-z0-9_-]{16,64})"
urlpatterns = [
    re_path(rf"^u/{LINK_KEY}/$", views.unsubscribe, name="unsubscribe"),
    re_path(rf"^u/{LINK_KEY}/one-click$", views.one_click, name="one_click"),
    re_path(rf"^o/{LINK_KEY}\.gif$", views.open_pixel, name="open"),
    re_path(rf"^c/{LINK_KEY}/(?P<position>[0-9]{{1,5}})$", views.click, name="click"),
    path("webhook/bounce", views.bounce_webhook, name="bounce_webhook"),
]
