"""Public website-tracking URLs: the snippet, the page-view beacon and the form endpoint."""
from django.urls import path

from . import views_public as views

app_name = "track"
urlpatterns = [
    path("t.js", views.script, name="script"),
    path("t/e", views.beacon, name="beacon"),
    path("t/f", views.form, name="form"),
]
