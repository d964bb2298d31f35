"""Dashboard and reports (/reports/…): the dashboard's routes and the reports' routes, one module each."""
from . import urls_dashboard, urls_reports

app_name = "reports"
urlpatterns = [*urls_dashboard.urlpatterns, *urls_reports.urlpatterns]
