import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Segment
from .rules import validate_definition
from .selectors import PhaseOffsets


class SegmentForm(forms.ModelForm):
    definition = forms.CharField(widget=forms.HiddenInput, label=_("Rules"))

    class Meta:
        model = Segment
        fields = ("name", "description", "is_active")
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["definition"] = json.dumps(self.instance.definition or {"op": "and", "items": []},
                                                    ensure_ascii=False)

    def clean_definition(self):
        try:
            data = json.loads(self.cleaned_data["definition"])
        except ValueError:
            raise ValidationError(_("The rules are not valid JSON.")) from None
        return validate_definition(data)


def _offset_field(*, min_value, initial, label):
    return forms.IntegerField(required=False, min_value=min_value, max_value=730, initial=initial, label=label)


class ExpiringForm(forms.Form):
    """Day offsets of the near-expiry phases; bad input falls back to the defaults with an error shown."""

    pre_notice = _offset_field(min_value=1, initial=60, label=_("Pre-notice from (days before)"))
    notice = _offset_field(min_value=1, initial=30, label=_("Notice from (days before)"))
    final_days = _offset_field(min_value=0, initial=7, label=_("Final days from (days before)"))
    lapsed = _offset_field(min_value=1, initial=7, label=_("Lapsed up to (days after)"))

    def clean(self):
        data = super().clean()
        for name, field in self.fields.items():
            if data.get(name) is None and name not in self.errors:
                data[name] = field.initial
        pre, notice, final = data.get("pre_notice"), data.get("notice"), data.get("final_days")
        if None not in (pre, notice, final) and not pre > notice > final:
            raise ValidationError(_("The offsets must run pre-notice > notice > final days."))
        return data

    def offsets(self):
        if self.is_bound and self.is_valid():
            return PhaseOffsets(**self.cleaned_data)
        return PhaseOffsets()
