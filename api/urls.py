from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.csp import csp_update

from .views import dormancy, events, segments

app_name = "api"
urlpatterns = [
    path("dormancy-rules/", dormancy.DormancyRuleListView.as_view(), name="dormancy_rule_list"),
    path("dormancy-rules/<int:id>/", dormancy.DormancyRuleDetailView.as_view(), name="dormancy_rule_detail"),
    path("segments/", segments.SegmentListView.as_view(), name="segment_list"),
    path("segments/preview/", segments.SegmentPreviewView.as_view(), name="segment_preview"),
    path("segments/<int:id>/", segments.SegmentDetailView.as_view(), name="segment_detail"),
    path("segments/<int:id>/count/", segments.SegmentCountView.as_view(), name="segment_count"),
    path("segments/<int:id>/members/", segments.SegmentMembersView.as_view(), name="segment_members"),
    path("events/", events.EventIngestView.as_view(), name="event_ingest"),
    # Machines fetch the schema with their key (401 JSON without one); the docs page is for people, so it
    # sends them to the login page like every other page (DRF views are otherwise exempt from that).
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's page has an inline <style> block; its script is a separate file (the split view).
    path("docs/", csp_update(style_src=("'unsafe-inline'",))(
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))), name="docs"),
]
