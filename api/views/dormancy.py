"""Dormancy rules: list and read (admins, marketers), create and change (admins), as in the HTML pages.

Every change goes through `dormancy.services`, which validates the definition
with `validate_rule_definition` and writes a numbered version (who, when, why).
"""
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts.roles import Role
from dormancy.models import DormancyRule, DormancyRuleVersion
from dormancy.selectors import rule_member_count, rule_member_counts, workspace_today
from dormancy.services import dormancy_rule_create, dormancy_rule_update
from dormancy.views import READERS

from ..errors import error_responses
from ..serializers.dormancy import DormancyRuleCreateSerializer, DormancyRuleDetailSerializer, DormancyRuleSerializer
from .base import CHANGED, CREATED, ApiView

WRITERS = (Role.ADMIN,)
# What PUT sets when the body leaves an optional field out: a PUT states the whole rule.
PUT_DEFAULTS = {"conditions": {"match": "any", "items": []}, "scope": [], "is_active": True}
TAGS = ["dormancy rules"]


def _with_versions():
    versions = DormancyRuleVersion.objects.select_related("created_by").order_by("-number")
    return DormancyRule.objects.prefetch_related(Prefetch("versions", queryset=versions))


def _member_count(rule, today):
    try:
        return rule_member_count(rule, today=today)
    except ValidationError:
        return None  # a stored rule that no longer validates has no members to count


class DormancyRuleListView(ApiView):
    """Dormancy rules. Admins and marketers read them; only admins create them."""

    read_roles, write_roles = READERS, WRITERS
    queryset = DormancyRule.objects.order_by("-is_active", "name", "pk")
    serializer_class = DormancyRuleSerializer

    @extend_schema(tags=TAGS, summary="List dormancy rules with today's member counts",
                   responses={200: DormancyRuleSerializer(many=True), **error_responses(401, 403, 404)})
    def get(self, request):
        rules = self.paginate_queryset(self.get_queryset())
        counts = rule_member_counts(rules, today=workspace_today())
        for rule in rules:
            rule.members_today = counts[rule.pk]
        return self.get_paginated_response(DormancyRuleSerializer(rules, many=True).data)

    @extend_schema(tags=TAGS, summary="Create a dormancy rule (version 1)", request=DormancyRuleCreateSerializer,
                   responses={201: DormancyRuleDetailSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        serializer = DormancyRuleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        note = self.change_note(fields.pop("note", ""), action=CREATED)
        rule = dormancy_rule_create(**fields, user=request.user, note=note)
        url = reverse("api:dormancy_rule_detail", kwargs={"id": rule.pk})
        return Response(_detail(rule.pk), status=status.HTTP_201_CREATED, headers={"Location": url})


class DormancyRuleDetailView(ApiView):
    """One dormancy rule. Admins and marketers read it; only admins change it.

    A change is validated like the rule editor's; a change that alters the rule writes a new version recording
    who made it, when and why (`note`). The slug never changes.
    """

    read_roles, write_roles = READERS, WRITERS
    serializer_class = DormancyRuleDetailSerializer

    def get_queryset(self):
        return _with_versions()

    @extend_schema(tags=TAGS, summary="Read a dormancy rule with its versions and today's member count",
                   responses={200: DormancyRuleDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request, id):
        return Response(_represent(self.get_object()))

    @extend_schema(tags=TAGS, summary="Replace a rule's definition (a new version if anything changed)",
                   description="Optional fields left out take their defaults (no conditions, no scope, active).",
                   request=DormancyRuleSerializer,
                   responses={200: DormancyRuleDetailSerializer, **error_responses(400, 401, 403, 404)})
    def put(self, request, id):
        return self._update(request, partial=False)

    @extend_schema(tags=TAGS, summary="Change some of a rule's fields (a new version if anything changed)",
                   request=DormancyRuleSerializer,
                   responses={200: DormancyRuleDetailSerializer, **error_responses(400, 401, 403, 404)})
    def patch(self, request, id):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        rule = self.get_object()
        # The detail shape knows the read-only fields (versions too), so a client may PUT back what it read.
        serializer = DormancyRuleDetailSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        note = self.change_note(changes.pop("note", ""), action=CHANGED)
        if changes.get("slug") == rule.slug:
            del changes["slug"]  # sent back unchanged; a different one is refused by the service
        if not partial:
            changes = {**PUT_DEFAULTS, **changes}
        dormancy_rule_update(rule=rule, changes=changes, user=request.user, note=note)
        return Response(_detail(rule.pk))


def _detail(pk):
    return _represent(_with_versions().get(pk=pk))


def _represent(rule):
    rule.members_today = _member_count(rule, workspace_today())
    return DormancyRuleDetailSerializer(rule).data
