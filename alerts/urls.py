from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("feed/", views.feed, name="feed"),
    path("duty/", views.duty, name="duty"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("<int:pk>/outcome/", views.outcome, name="outcome"),
    path("<int:pk>/snooze/", views.snooze, name="snooze"),
    path("team/", views.team, name="team"),
    path("notifications/<int:pk>/retry/", views.notification_retry, name="notification_retry"),
    path("triggers/", views.trigger_list, name="trigger_list"),
    path("triggers/new/", views.trigger_edit, name="trigger_new"),
    path("triggers/<int:pk>/edit/", views.trigger_edit, name="trigger_edit"),
    path("webhooks/new/", views.webhook_edit, name="webhook_new"),
    path("webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
]
