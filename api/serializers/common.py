from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know: a typo is an error, not a silent no-op.

    Read-only fields are known, so a client may send back what it read.
    """

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {key: [_('Unknown field "%(field)s".') % {"field": key}] for key in data
                       if key not in self.fields}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**unknown, **exc.detail}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class RawValue(serializers.Field):
    """A JSON value passed unchanged to the domain validator, which owns the allow-list and its messages."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.STR)
class RawText(RawValue):
    pass


@extend_schema_field(OpenApiTypes.INT)
class RawInt(RawValue):
    pass


@extend_schema_field(OpenApiTypes.BOOL)
class RawBool(RawValue):
    pass


class CompanyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
