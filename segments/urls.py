from django.urls import path

from . import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_edit, name="new"),
    path("preview/", views.segment_preview, name="preview"),
    path("expiring/", views.expiring, name="expiring"),
    path("<int:pk>/", views.segment_members, name="members"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/export.csv", views.segment_export, name="export"),
    path("<int:pk>/refresh/", views.segment_refresh, name="refresh"),
]
