"""The rule editor: plain fields in, a definition for validate_rule_definition out.

People tick boxes and type numbers; the form turns them into the rule's JSON
and lets `dormancy.rules.validate_rule_definition` decide what is valid, so the
editor, the API and the services share one allow-list. Scope items and
conditions the form has no field for (custom attributes, a second condition of
the same type) are carried through unchanged rather than dropped.
"""
from crispy_forms.bootstrap import InlineCheckboxes, InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from contacts.models import ContactStatus, LostReason, TouchKind
from contacts.selectors import industry_choices, owner_choices
from dormancy.models.rule import ConditionMatch, ConditionType, ScopeField, ScopeOp
from dormancy.rules import validate_rule_definition

# Where a validation error on a definition key is shown.
ERROR_FIELDS = {
    "name": "name", "slug": "slug", "inactivity_days": "inactivity_days", "touch_kinds": "touch_kinds",
    "conditions": "condition_stage_days", "is_active": "is_active",
}
# Scope fields with a form field of their own: (form field, operator).
SCOPE_FORM_FIELDS = {
    ScopeField.INDUSTRY: "scope_industries", ScopeField.STATUS: "scope_statuses",
    ScopeField.LOST_REASON: "scope_lost_reasons", ScopeField.COMPANY_SIZE_MIN: "scope_size_min",
    ScopeField.COMPANY_SIZE_MAX: "scope_size_max", ScopeField.OWNER: "scope_owner",
}
LIST_SCOPE = (ScopeField.INDUSTRY, ScopeField.STATUS, ScopeField.LOST_REASON)
CONDITION_FORM_FIELDS = {
    ConditionType.LOST: "condition_lost", ConditionType.DEAL_STAGE_UNCHANGED_DAYS: "condition_stage_days",
    ConditionType.STATUS_IN: "condition_statuses",
}


def _hint(text):
    # Translated now, in the request's language; crispy renders HTML() as a template.
    return HTML(format_html('<p class="small text-muted">{}</p>', text))


def _checkboxes(choices=(), **extra):
    return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **extra)


class DormancyRuleForm(forms.Form):
    name = forms.CharField(label=_("Rule name"), max_length=200, required=False)
    slug = forms.CharField(
        label=_("Slug"), max_length=50, required=False,
        help_text=_("A short identifier in letters, digits and hyphens, used by commands and segments. "
                    "It cannot change later."),
    )
    inactivity_days = forms.IntegerField(
        label=_("No touch for at least (days)"), required=False,
        help_text=_("Counted in calendar days in the workspace time zone. A contact with no touch at all "
                    "counts from its acquisition date."),
    )
    touch_kinds = _checkboxes(TouchKind.choices, label=_("Touches that count"), required=False)
    condition_match = forms.ChoiceField(
        label=_("Extra conditions must"), choices=[(ConditionMatch.ANY, _("hold at least one")),
                                                  (ConditionMatch.ALL, _("all hold"))],
        initial=ConditionMatch.ANY, widget=forms.RadioSelect, required=False,
    )
    condition_lost = forms.BooleanField(label=_("The deal was lost (status Lost)"), required=False)
    condition_stage_days = forms.IntegerField(
        label=_("Deal stage unchanged for at least (days)"), required=False,
        help_text=_("Leave empty for no deal stage condition."),
    )
    condition_statuses = _checkboxes(ContactStatus.choices, label=_("Status is one of"), required=False)
    scope_industries = _checkboxes(label=_("Only these industries"), required=False)
    scope_statuses = _checkboxes(ContactStatus.choices, label=_("Only contacts whose status is"), required=False)
    scope_lost_reasons = _checkboxes(LostReason.choices, label=_("Only these lost reasons"), required=False)
    scope_size_min = forms.IntegerField(label=_("Company size at least (employees)"), required=False, min_value=0)
    scope_size_max = forms.IntegerField(label=_("Company size at most (employees)"), required=False, min_value=0)
    scope_owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True,
        help_text=_("Only active rules are applied and shown on contact pages."),
    )
    note = forms.CharField(
        label=_("What changed and why"), max_length=300, required=False,
        help_text=_("Kept in the version history."),
    )

    def __init__(self, data=None, *, rule=None, preview=False):
        self.rule = rule
        definition = rule.definition() if rule is not None else None
        self.extra_conditions, self.extra_scope = [], []
        initial = self._initial(definition) if definition else {
            "inactivity_days": 180, "touch_kinds": list(TouchKind.values), "is_active": True,
        }
        super().__init__(data, initial=initial)
        if rule is not None or preview:
            del self.fields["slug"]
        chosen = set(initial.get("scope_industries", []))
        self.fields["scope_industries"].choices = [(name, name) for name in sorted(set(industry_choices()) | chosen)]
        if not self.fields["scope_industries"].choices:
            self.fields["scope_industries"].help_text = _("No company has an industry recorded yet.")
        owners = owner_choices()
        owner_ids = {pk for pk, _name in owners}
        current = initial.get("scope_owner")
        if current is not None and current not in owner_ids:
            owners.append((current, f"#{current}"))
        self.fields["scope_owner"].choices = [("", _("Anyone"))] + [(str(pk), name) for pk, name in owners]
        self.definition = None
        self.helper = self._helper()

    def _initial(self, definition):
        initial = {
            "name": definition["name"], "inactivity_days": definition["inactivity_days"],
            "touch_kinds": definition["touch_kinds"], "is_active": definition["is_active"],
            "condition_match": (definition["conditions"] or {}).get("match", ConditionMatch.ANY),
        }
        for item in (definition["conditions"] or {}).get("items", []):
            name = CONDITION_FORM_FIELDS.get(item.get("type"))
            if name is None or name in initial:
                self.extra_conditions.append(item)
            elif name == "condition_lost":
                initial[name] = True
            elif name == "condition_stage_days":
                initial[name] = item["days"]
            else:
                initial[name] = item["values"]
        for item in definition["scope"] or []:
            name = SCOPE_FORM_FIELDS.get(item.get("field"))
            op, value = item.get("op"), item.get("value")
            if name is None or name in initial or (item["field"] == ScopeField.OWNER and op != ScopeOp.EQ):
                self.extra_scope.append(item)
            elif item["field"] in LIST_SCOPE:
                initial[name] = value if op == ScopeOp.IN else [value]
            else:
                initial[name] = value
        return initial

    def _helper(self):
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True  # the template has its own token
        first = ["name", "slug"] if "slug" in self.fields else ["name"]
        helper.layout = Layout(
            Fieldset(_("Rule"), *first),
            Fieldset(_("Silence"), "inactivity_days", InlineCheckboxes("touch_kinds")),
            Fieldset(
                _("Extra conditions"),
                _hint(_("Leave all three empty to use silence alone.")),
                InlineRadios("condition_match"), "condition_lost", "condition_stage_days",
                InlineCheckboxes("condition_statuses"),
            ),
            Fieldset(
                _("Only these contacts (scope)"),
                _hint(_("Empty means everyone. Every filled-in line must hold.")),
                InlineCheckboxes("scope_industries"), InlineCheckboxes("scope_statuses"),
                InlineCheckboxes("scope_lost_reasons"),
                Row(Column("scope_size_min"), Column("scope_size_max"), Column("scope_owner")),
            ),
            Fieldset(_("Save"), "is_active", "note"),
        )
        return helper

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {
            "name": cleaned.get("name") or "",
            "inactivity_days": cleaned.get("inactivity_days"),
            "touch_kinds": cleaned.get("touch_kinds") or [],
            "conditions": {"match": cleaned.get("condition_match") or ConditionMatch.ANY,
                           "items": self._condition_items(cleaned) + self.extra_conditions},
            "scope": self._scope_items(cleaned) + self.extra_scope,
            "is_active": bool(cleaned.get("is_active")),
        }
        if "slug" in self.fields:
            data["slug"] = cleaned.get("slug") or ""
        try:
            self.definition = validate_rule_definition(data)
        except ValidationError as exc:
            self.add_definition_errors(exc)
        return cleaned

    def add_definition_errors(self, exc):
        """Show a definition's (or a service's) ValidationError beside the fields it is about."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, messages in exc.message_dict.items():
            self.add_error(ERROR_FIELDS.get(key) if ERROR_FIELDS.get(key) in self.fields else None, messages)

    @staticmethod
    def _condition_items(cleaned):
        items = []
        if cleaned.get("condition_lost"):
            items.append({"type": ConditionType.LOST.value})
        if cleaned.get("condition_stage_days") is not None:
            items.append({"type": ConditionType.DEAL_STAGE_UNCHANGED_DAYS.value,
                          "days": cleaned["condition_stage_days"]})
        if cleaned.get("condition_statuses"):
            items.append({"type": ConditionType.STATUS_IN.value, "values": cleaned["condition_statuses"]})
        return items

    @staticmethod
    def _scope_items(cleaned):
        items = []
        for field in LIST_SCOPE:
            values = cleaned.get(SCOPE_FORM_FIELDS[field])
            if values:
                items.append({"field": field.value, "op": ScopeOp.IN.value, "value": values})
        for field in (ScopeField.COMPANY_SIZE_MIN, ScopeField.COMPANY_SIZE_MAX, ScopeField.OWNER):
            value = cleaned.get(SCOPE_FORM_FIELDS[field])
            if value is not None:
                items.append({"field": field.value, "op": ScopeOp.EQ.value, "value": value})
        return items

    def changes(self):
        """The editable fields of the validated definition (what dormancy_rule_update takes)."""
        return {key: value for key, value in self.definition.items() if key != "slug"}
