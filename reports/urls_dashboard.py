"""Routes of the dashboard (reports/urls.py includes them under the "reports" namespace)."""
from django.urls import path

from . import views_dashboard

urlpatterns = [
    path("", views_dashboard.dashboard_view, name="dashboard"),
]
