import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from segments.rules import validate_definition

from .models import ScoringRule, ScoringSettings


class ScoringRuleForm(forms.ModelForm):
    class Meta:
        model = ScoringRule
        fields = ("name", "kind", "touch_kind", "url_contains", "attribute", "value", "min_employees", "points",
                  "is_active")
        help_texts = {
            "value": _("For “Status equals”: a status code such as lost; for “Has tag”: the tag name."),
            "points": _("Negative points lower the score."),
        }


class ScoringSettingsForm(forms.ModelForm):
    hot_rule = forms.CharField(
        label=_("Hot-lead rules (segment rule tree, JSON)"), required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=_('Optional. A hot lead must also match these rules, e.g. {"op": "and", "items": '
                    '[{"type": "dormancy", "rule": "default"}, {"type": "behaviour", "did": true, '
                    '"kind": "page_view", "url_contains": "/pricing", "min_count": 1, "within_days": 7}]}'),
    )

    class Meta:
        model = ScoringSettings
        fields = ("half_life_days", "hot_threshold")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.hot_rule:
            self.initial["hot_rule"] = json.dumps(self.instance.hot_rule, ensure_ascii=False, indent=2)

    def clean_hot_rule(self):
        text = self.cleaned_data["hot_rule"].strip()
        if not text:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            raise ValidationError(_("The rules are not valid JSON.")) from None
        return validate_definition(data)
