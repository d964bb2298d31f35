"""Touch events from other systems: one event, or a batch of up to 1,000, stored in the request.

Each event is validated on its own and accepted or rejected whole; the answer
lists every event's outcome by index. Admins and marketers (a key acts as its
user). Stored events move the contact's last touch and score and are
evaluated against the alert triggers like every other touch.
"""
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from accounts.roles import Role
from tracking.ingest import REJECTED, events_ingest

from ..errors import error_responses, flatten
from ..serializers.events import MAX_EVENTS, EventBatchSerializer, EventIngestResultSerializer, EventInSerializer
from .base import ApiView

EVENT_ROLES = (Role.ADMIN, Role.MARKETER)
REASONS = {"unknown_contact": ("email", gettext_lazy("No contact has this email or id. Set create_contact to create "
                                                    "it."))}


class EventIngestView(ApiView):
    """Record touch events (email opens and clicks, page views, calls, meetings…) of contacts."""

    read_roles = write_roles = EVENT_ROLES
    serializer_class = EventInSerializer

    @extend_schema(
        tags=["events"], summary="Record one event or a batch of up to 1,000",
        request=PolymorphicProxySerializer(component_name="EventIngest",
                                           serializers=[EventInSerializer, EventBatchSerializer],
                                           resource_type_field_name=None),
        responses={200: EventIngestResultSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        data = request.data
        items = data.get("events") if isinstance(data, dict) and "events" in data else [data]
        if not isinstance(items, list) or not items:
            raise serializers.ValidationError({"events": [_("Send one event object, or {\"events\": [...]}.")]})
        if len(items) > MAX_EVENTS:
            raise serializers.ValidationError({"events": [_("At most %(max)d events per request; split the batch.")
                                                          % {"max": MAX_EVENTS}]})
        validated, errors = [], []
        for item in items:
            serializer = EventInSerializer(data=item) if isinstance(item, dict) else None
            if serializer is not None and serializer.is_valid():
                validated.append(serializer.validated_data)
                errors.append([])
            else:
                validated.append(None)
                errors.append(list(flatten(serializer.errors)) if serializer is not None
                              else [{"field": None, "message": _("An event is a JSON object.")}])
        outcomes = events_ingest(events=validated, now=timezone.now())
        results = []
        for index, ((status, reason), problems) in enumerate(zip(outcomes, errors, strict=True)):
            if reason in REASONS:
                field, message = REASONS[reason]
                problems = [{"field": field, "message": str(message)}]
            results.append({"index": index, "status": status, "errors": problems if status == REJECTED else []})
        counts = {status: sum(1 for result in results if result["status"] == status)
                  for status in ("accepted", "duplicate", "rejected")}
        return Response({"accepted": counts["accepted"], "duplicates": counts["duplicate"],
                         "rejected": counts["rejected"], "results": results})
