"""Serializers of the event ingestion endpoint (POST /api/v1/events/)."""
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from contacts.models import TouchKind
from contacts.rules import is_valid_email, normalize_email

from .common import StrictSerializer

MAX_EVENTS = 1000
MAX_FUTURE = timedelta(days=1)


class EventInSerializer(StrictSerializer):
    email = serializers.CharField(max_length=254, required=False,
                                  help_text="The contact's address. Give this or contact_id.")
    contact_id = serializers.IntegerField(min_value=1, required=False, help_text="The contact's id.")
    kind = serializers.ChoiceField(choices=TouchKind.choices)
    occurred_at = serializers.DateTimeField(help_text="ISO 8601; without an offset, the workspace time zone.")
    url = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    detail = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    client_event_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="",
        help_text="Your id for this event: sending it again (a retry) stores nothing and reports a duplicate.")
    create_contact = serializers.BooleanField(
        required=False, default=False,
        help_text="Create the contact (consent: none) when no contact has this email. Default false: events of "
                  "unknown contacts are rejected.")

    def validate_email(self, value):
        email = normalize_email(value)
        if not is_valid_email(email):
            raise serializers.ValidationError(_("Enter a valid email address."))
        return email

    def validate_occurred_at(self, value):
        if value > timezone.now() + MAX_FUTURE:
            raise serializers.ValidationError(_("The time is more than a day in the future."))
        return value

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("contact_id"):
            raise serializers.ValidationError({"email": [_("Give the contact's email or contact_id.")]})
        if attrs.get("create_contact") and not attrs.get("email"):
            raise serializers.ValidationError({"create_contact": [_("A new contact needs an email.")]})
        return attrs


class EventBatchSerializer(StrictSerializer):
    events = EventInSerializer(many=True, help_text=f"At most {MAX_EVENTS} events.")


class ErrorOutSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class EventResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the event in the request (0 for a single event).")
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    errors = ErrorOutSerializer(many=True, help_text="Why the event was rejected (empty otherwise).")


class EventIngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = EventResultSerializer(many=True)
