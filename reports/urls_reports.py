"""Routes of the reports (reports/urls.py includes them under the "reports" namespace)."""
from django.urls import path

from . import views_reports

urlpatterns = [
    path("list/", views_reports.report_index, name="index"),
    path("campaigns/", views_reports.report_campaign_list, name="report_campaigns"),
    path("campaigns/<int:pk>/", views_reports.report_campaign, name="report_campaign"),
    path("rescue/", views_reports.report_rescue_list, name="report_rescues"),
    path("rescue/<int:pk>/", views_reports.report_rescue, name="report_rescue"),
    path("dormancy/", views_reports.report_dormancy, name="report_dormancy"),
]
