"""Template library, sender profiles, mail topics and sending settings pages (mounted at /campaigns/templates/)."""
from django.urls import path

from . import views_templates as views

urlpatterns = [
    path("", views.template_list, name="template_list"),
    path("new/", views.template_new, name="template_new"),
    path("<int:pk>/", views.template_edit, name="template_edit"),
    path("<int:pk>/copy/", views.template_copy, name="template_copy"),
    path("<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("<int:pk>/preview/", views.template_preview, name="template_preview"),
    path("<int:pk>/test-send/", views.template_test_send, name="template_test_send"),
    path("senders/", views.sender_list, name="sender_list"),
    path("senders/new/", views.sender_edit, name="sender_new"),
    path("senders/<int:pk>/", views.sender_edit, name="sender_edit"),
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/new/", views.topic_edit, name="topic_new"),
    path("topics/<int:pk>/", views.topic_edit, name="topic_edit"),
    path("sending-settings/", views.sending_settings, name="sending_settings"),
]
