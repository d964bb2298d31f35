from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contacts.models import ContactStatus, TouchKind
from dormancy.models import ConditionMatch, ConditionType, ScopeField, ScopeOp

from .common import RawBool, RawInt, RawText, RawValue, StrictSerializer

CONDITIONS_SCHEMA = {
    "type": "object",
    "description": "Extra conditions; `match` says whether any or all must hold. Omitted: none.",
    "properties": {
        "match": {"type": "string", "enum": list(ConditionMatch.values)},
        "items": {"type": "array", "maxItems": 20, "items": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": list(ConditionType.values)},
                "values": {"type": "array", "items": {"type": "string", "enum": list(ContactStatus.values)},
                           "description": "for status_in"},
                "days": {"type": "integer", "minimum": 1, "maximum": 3650,
                         "description": "for deal_stage_unchanged_days"},
            },
            "required": ["type"],
        }},
    },
    "example": {"match": "any", "items": [{"type": "lost"}, {"type": "deal_stage_unchanged_days", "days": 90}]},
}
SCOPE_SCHEMA = {
    "type": "array",
    "maxItems": 20,
    "description": "Only contacts matching every item. `field` is one of the listed fields or "
                   "`attribute:<name>` for a custom attribute. Omitted: everyone.",
    "items": {
        "type": "object",
        "properties": {
            "field": {"type": "string",
                      "description": "one of: " + ", ".join(ScopeField.values) + ", attribute:<name>"},
            "op": {"type": "string", "enum": list(ScopeOp.values)},
            "value": {"description": "a value for eq, a list of values for in"},
        },
        "required": ["field", "op", "value"],
    },
    "example": [{"field": "industry", "op": "in", "value": ["IT"]}],
}


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(TouchKind.values)}, "minItems": 1})
class RawTouchKinds(RawValue):
    pass


@extend_schema_field(CONDITIONS_SCHEMA)
class RawConditions(RawValue):
    pass


@extend_schema_field(SCOPE_SCHEMA)
class RawScope(RawValue):
    pass


class DormancyRuleSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    name = RawText(help_text="1 to 200 characters.")
    slug = RawText(required=False, help_text="Letters, digits, hyphens and underscores; set on create, never "
                                             "changes (send it back unchanged or leave it out).")
    inactivity_days = RawInt(help_text="No counted touch for at least this many calendar days (1–3650).")
    touch_kinds = RawTouchKinds(help_text="Touch kinds that count as a touch.")
    conditions = RawConditions(required=False)
    scope = RawScope(required=False)
    is_active = RawBool(required=False, help_text="Only active rules are applied. Default true.")
    note = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=300,
                                 help_text="What changed and why; kept in the version history.")
    member_count = serializers.IntegerField(source="members_today", read_only=True, allow_null=True,
                                            help_text="Members today (null if the stored rule no longer validates).")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class DormancyRuleCreateSerializer(DormancyRuleSerializer):
    slug = RawText(help_text="Letters, digits, hyphens and underscores (1–50); the rule's identity, fixed "
                             "after creation.")


class DormancyRuleVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_by = serializers.SerializerMethodField(help_text="Username of who saved it (null if unknown).")
    created_at = serializers.DateTimeField()
    note = serializers.CharField()
    definition = serializers.JSONField(source="snapshot", help_text="The rule as saved in this version.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_created_by(self, version):
        return version.created_by.username if version.created_by else None


class DormancyRuleDetailSerializer(DormancyRuleSerializer):
    versions = DormancyRuleVersionSerializer(many=True, read_only=True, help_text="Newest first.")

