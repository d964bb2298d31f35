"""One error format for every API response: {"errors": [{"field": ..., "message": ...}]}.

DRF's own errors (`{"detail": ...}`, `{"field": [...]}`) and the domain
services' Django ValidationErrors are all flattened to that list, so a client
handles failures one way whatever raised them. `field` names the input the
problem is about (dotted for nested input), or is null for the request as a
whole.
"""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ErrorDetail, NotAuthenticated
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

TOP_LEVEL_KEYS = ("detail", api_settings.NON_FIELD_ERRORS_KEY)


class StoredRulesInvalid(APIException):
    """A saved rule tree no longer validates (say, a dormancy rule it names is gone)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "stored_rules_invalid"


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = serializers.ValidationError(detail)
    elif isinstance(exc, NotAuthenticated):
        # Keep the exception (it carries the WWW-Authenticate header), say what to send.
        exc.detail = ErrorDetail(_("Log in, or send an API key in the header “Authorization: Api-Key <key>”."),
                                 code=exc.default_code)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = {"errors": list(flatten(response.data))}
    return response


def django_errors(exc, *, field):
    """A Django ValidationError as DRF detail, with plain message lists filed under `field`."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {field: exc.messages}


def flatten(data, field=None):
    """Yield {"field", "message"} for every message in DRF error data."""
    if isinstance(data, dict):
        for key, value in data.items():
            if field is None and key in TOP_LEVEL_KEYS:
                yield from flatten(value, None)
            else:
                yield from flatten(value, _join(field, key))
    elif isinstance(data, list):
        for item in data:
            yield from flatten(item, field)
    else:
        yield {"field": field, "message": str(data)}


def _join(field, key):
    if isinstance(key, int):
        return f"{field or ''}[{key}]"
    return f"{field}.{key}" if field else str(key)


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The input the problem is about (dotted for nested "
                                                             "input), or null for the request as a whole.")
    message = serializers.CharField(help_text="What is wrong, and what would be accepted.")


class ErrorSerializer(serializers.Serializer):
    errors = ErrorItemSerializer(many=True)


_DESCRIPTIONS = {
    400: "Bad input; nothing was changed. Every problem is listed.",
    401: "No credentials, or an unknown or revoked API key.",
    403: "Your role does not allow this, or (session) the CSRF token is missing.",
    404: "No such object, or no such page.",
    409: "The saved rules of this segment no longer validate; edit the segment.",
}


def error_responses(*codes, media_type=None):
    """OpenAPI responses for the given error status codes, all in the common error format.

    `media_type` pins them to JSON on endpoints that also answer in another format.
    """
    return {(code, media_type) if media_type else code: OpenApiResponse(ErrorSerializer,
                                                                        description=_DESCRIPTIONS[code])
            for code in codes}
