"""Segments: CRUD, today's count, members (JSON pages or CSV) and a preview of an unsaved tree.

Admins and marketers only, as the HTML pages. Rule trees are validated by
`segments.rules.validate_definition` (through `segment_save` for writes);
members are counted and listed set-based by the segment selectors.
"""
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.response import Response

from dormancy.selectors import workspace_today, workspace_tz
from segments import exports, selectors
from segments.models import Segment
from segments.rules import validate_definition
from segments.services import segment_save
from segments.views import MAX_PREVIEW_BYTES, SEGMENT_ROLES

from ..errors import StoredRulesInvalid, django_errors, error_responses
from ..serializers.segments import (
    SORT_KEYS,
    CountSerializer,
    MemberSerializer,
    PreviewRequestSerializer,
    PreviewSerializer,
    SegmentSerializer,
)
from .base import ApiView

TAGS = ["segments"]
# What PUT sets when the body leaves an optional field out: a PUT states the whole segment.
PUT_DEFAULTS = {"description": "", "is_active": True}


def _save(segment, data, user):
    try:
        return segment_save(segment=segment, user=user, **data)
    except ValidationError as exc:
        raise serializers.ValidationError(django_errors(exc, field="definition")) from None


def _valid_definition(segment):
    """The saved tree, re-checked: builders never trust stored JSON."""
    try:
        return validate_definition(segment.definition)
    except ValidationError as exc:
        raise StoredRulesInvalid([_("The saved rules of this segment no longer validate; edit the segment. %(why)s")
                                  % {"why": " ".join(exc.messages)}]) from None


class SegmentListView(ApiView):
    """Segments: saved rule trees over contacts. Admins and marketers."""

    read_roles = write_roles = SEGMENT_ROLES
    queryset = Segment.objects.select_related("created_by").order_by("name", "id")
    serializer_class = SegmentSerializer

    @extend_schema(tags=TAGS, summary="List segments",
                   responses={200: SegmentSerializer(many=True), **error_responses(401, 403, 404)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SegmentSerializer(page, many=True).data)

    @extend_schema(tags=TAGS, summary="Create a segment", request=SegmentSerializer,
                   responses={201: SegmentSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        serializer = SegmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        segment = _save(None, {**PUT_DEFAULTS, **serializer.validated_data}, request.user)
        url = reverse("api:segment_detail", kwargs={"id": segment.pk})
        return Response(SegmentSerializer(segment).data, status=status.HTTP_201_CREATED, headers={"Location": url})


class SegmentDetailView(ApiView):
    """One segment. Admins and marketers. The rule tree is validated like the builder's."""

    read_roles = write_roles = SEGMENT_ROLES
    queryset = Segment.objects.select_related("created_by")
    serializer_class = SegmentSerializer

    @extend_schema(tags=TAGS, summary="Read a segment",
                   responses={200: SegmentSerializer, **error_responses(401, 403, 404)})
    def get(self, request, id):
        return Response(SegmentSerializer(self.get_object()).data)

    @extend_schema(tags=TAGS, summary="Replace a segment",
                   description="Optional fields left out take their defaults (empty description, active).",
                   request=SegmentSerializer, responses={200: SegmentSerializer, **error_responses(400, 401, 403, 404)})
    def put(self, request, id):
        return self._update(request, partial=False)

    @extend_schema(tags=TAGS, summary="Change some of a segment's fields", request=SegmentSerializer,
                   responses={200: SegmentSerializer, **error_responses(400, 401, 403, 404)})
    def patch(self, request, id):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        segment = self.get_object()
        serializer = SegmentSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        current = ({"name": segment.name, "description": segment.description, "definition": segment.definition,
                    "is_active": segment.is_active} if partial else PUT_DEFAULTS)
        segment = _save(segment, {**current, **serializer.validated_data}, request.user)
        return Response(SegmentSerializer(segment).data)


class SegmentCountView(ApiView):
    """How many contacts match the segment's rules today (a live count, not the last refresh)."""

    read_roles = write_roles = SEGMENT_ROLES
    queryset = Segment.objects.all()
    serializer_class = CountSerializer

    @extend_schema(tags=TAGS, summary="Count a segment's members today (live, not the last refresh)",
                   responses={200: CountSerializer, **error_responses(401, 403, 404, 409)})
    def get(self, request, id):
        definition = _valid_definition(self.get_object())
        today = workspace_today()
        count = selectors.segment_members(definition, today=today).count()
        return Response(CountSerializer({"count": count, "as_of": today}).data)


class CSVRenderer(renderers.BaseRenderer):
    """Lets `?format=csv` (or `Accept: text/csv`) select the CSV export; the view streams the body itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b""  # never reached: the CSV is a streaming response, errors switch to JSON


class SegmentMembersView(ApiView):
    """The contacts matching the segment's rules today: pages of JSON, or every member as CSV."""

    read_roles = write_roles = SEGMENT_ROLES
    queryset = Segment.objects.all()
    serializer_class = MemberSerializer
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=TAGS, summary="List a segment's members today (pages of JSON, or all of them as CSV)",
        parameters=[
            OpenApiParameter("sort", str, enum=SORT_KEYS, default=selectors.DEFAULT_MEMBER_SORT,
                             description="Order of the members; a leading - reverses it."),
            OpenApiParameter("format", str, enum=["json", "csv"], default="json",
                             description="csv: every member as a CSV download (UTF-8 with BOM, cells that would "
                                         "start a spreadsheet formula get a leading apostrophe); no paging."),
        ],
        responses={
            (200, "application/json"): MemberSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="email, last_name, first_name, "
                                               "company, title, status, last_touch_at"),
            **error_responses(400, 401, 403, 404, 409, media_type="application/json"),
        },
    )
    def get(self, request, id):
        segment = self.get_object()
        sort = request.query_params.get("sort") or selectors.DEFAULT_MEMBER_SORT
        if sort not in selectors.MEMBER_SORTS:
            raise serializers.ValidationError({"sort": [
                _('Unknown sort key "%(sort)s". Use one of: %(keys)s.') % {"sort": sort, "keys": ", ".join(SORT_KEYS)}
            ]})
        definition = _valid_definition(segment)
        if request.accepted_renderer.format == CSVRenderer.format:
            rows = exports.member_rows(selectors.segment_members(definition), tz=workspace_tz())
            response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="segment-{segment.pk}.csv"'
            return response
        members = self.paginate_queryset(selectors.segment_member_page_queryset(segment, sort=sort))
        return self.get_paginated_response(MemberSerializer(members, many=True).data)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = renderers.JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class SegmentPreviewView(ApiView):
    """Count and sample the members of an unsaved rule tree; nothing is saved."""

    read_roles = write_roles = SEGMENT_ROLES
    serializer_class = PreviewSerializer

    @extend_schema(tags=TAGS, summary="Count and sample the members of an unsaved rule tree (saves nothing)",
                   request=PreviewRequestSerializer,
                   responses={200: PreviewSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if (int(declared) if declared.isdigit() else 0) > MAX_PREVIEW_BYTES or len(request.body) > MAX_PREVIEW_BYTES:
            raise serializers.ValidationError([_("The rules are too large.")])
        serializer = PreviewRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            definition = validate_definition(serializer.validated_data["definition"])
        except ValidationError as exc:
            raise serializers.ValidationError(django_errors(exc, field="definition")) from None
        today = workspace_today()
        preview = selectors.segment_preview(definition, today=today)
        return Response(PreviewSerializer({"count": preview["count"], "as_of": today,
                                           "sample": preview["sample"]}).data)
