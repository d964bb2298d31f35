"""Public rescue-option pages reached by a signed link in a lapse notice (no login)."""
from django.urls import path

from . import views_rescue

app_name = "rescue"
urlpatterns = [
    path("<str:token>/", views_rescue.rescue_options, name="options"),
]
