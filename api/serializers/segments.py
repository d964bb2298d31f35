from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contacts.models import ContactStatus
from segments.selectors import MEMBER_SORTS

from .common import CompanyRefSerializer, RawValue, StrictSerializer

RULE_TREE_SCHEMA = {
    "type": "object",
    "description": "A rule tree: a group {op: and|or, items: [...]} whose items are conditions or nested groups "
                   "(at most 4 levels, 20 items each). Condition types: attribute {field, op, value}, behaviour "
                   "{did, kind, url_contains, min_count, max_count, within_days | between}, dormancy {rule: slug}, "
                   "dormant_days {min_days}, lapse {expiring_within_days | lapsed_within_days}, consent "
                   "{can_receive_marketing}. Only allow-listed fields and operators are accepted; a refusal names "
                   "the path of the bad item.",
    "properties": {
        "op": {"type": "string", "enum": ["and", "or"]},
        "items": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"type": "object"}},
    },
    "required": ["op", "items"],
    "example": {"op": "and", "items": [
        {"type": "attribute", "field": "status", "op": "equals", "value": "lost"},
        {"type": "behaviour", "did": True, "kind": "page_view", "url_contains": "/pricing", "within_days": 30},
    ]},
}


@extend_schema_field(RULE_TREE_SCHEMA)
class RawRuleTree(RawValue):
    pass


class SegmentSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    definition = RawRuleTree()
    is_active = serializers.BooleanField(required=False, help_text="Active segments are refreshed every 10 "
                                                                   "minutes. Default true.")
    created_by = serializers.SerializerMethodField(help_text="Username of who created it (null if unknown).")
    member_count = serializers.IntegerField(read_only=True, allow_null=True,
                                            help_text="Members at the last refresh (null before the first); "
                                                      "/count/ gives today's number.")
    refreshed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_created_by(self, segment):
        return segment.created_by.username if segment.created_by else None


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ContactStatus.choices)
    last_touch_at = serializers.DateTimeField(allow_null=True)
    company = CompanyRefSerializer(allow_null=True)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    as_of = serializers.DateField(help_text="The day counted, in the workspace time zone.")


class PreviewRequestSerializer(StrictSerializer):
    definition = RawRuleTree()


class PreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    as_of = serializers.DateField(help_text="The day counted, in the workspace time zone.")
    sample = MemberSerializer(many=True, help_text="Up to 10 members, most recently touched first.")


SORT_KEYS = list(MEMBER_SORTS)
