"""Admin pages of website tracking (/tracking/…)."""
from django.urls import path

from . import views

app_name = "tracking"
urlpatterns = [
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_new, name="site_new"),
    path("sites/<int:pk>/", views.site_edit, name="site_edit"),
    path("buffer/", views.buffer_health, name="buffer"),
    path("buffer/resolve/", views.buffer_resolve, name="buffer_resolve"),
]
