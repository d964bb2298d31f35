"""Campaign pages (login, marketer or admin). Templates, sender profiles and settings have their own module."""
from django.urls import include, path

from . import views, views_health, views_recurring

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("broadcast/new/", views.broadcast_edit, name="broadcast_new"),
    path("recurring/new/", views_recurring.recurring_edit, name="recurring_new"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/recurring/", views_recurring.recurring_detail, name="recurring_detail"),
    path("<int:pk>/recurring/edit/", views_recurring.recurring_edit, name="recurring_edit"),
    path("<int:pk>/recurring/start/", views_recurring.recurring_start, name="recurring_start"),
    path("<int:pk>/edit/", views.broadcast_edit, name="broadcast_edit"),
    path("<int:pk>/start/", views.campaign_start, name="start"),
    path("<int:pk>/pause/", views.campaign_move, {"action": "pause"}, name="pause"),
    path("<int:pk>/resume/", views.campaign_move, {"action": "resume"}, name="resume"),
    path("<int:pk>/cancel/", views.campaign_move, {"action": "cancel"}, name="cancel"),
    path("sending-health/", views_health.sending_health, name="sending_health"),
    path("templates/", include("campaigns.urls_templates")),
    path("flows/", include("campaigns.urls_flows")),
]
