import socket
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.models import TouchKind

from . import outbound
from .models import Outcome, Trigger, TriggerKind, WebhookEndpoint

SNOOZE_CHOICES = [("30m", _("30 minutes")), ("2h", _("2 hours")), ("1d", _("Until tomorrow"))]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class SnoozeForm(forms.Form):
    duration = forms.ChoiceField(label=_("Snooze for"), choices=SNOOZE_CHOICES)


class TriggerForm(forms.ModelForm):
    touch_kinds = forms.MultipleChoiceField(
        label=_("Touches that count"), choices=TouchKind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Dormant-contact triggers: which touches mean the contact came back."),
    )

    class Meta:
        model = Trigger
        fields = ["name", "kind", "url_patterns", "dormancy_rule", "touch_kinds", "dedup_hours", "routing",
                  "is_active"]
        widgets = {"url_patterns": forms.Textarea(attrs={"rows": 3})}

    def clean_dedup_hours(self):
        hours = self.cleaned_data["dedup_hours"]
        if not 1 <= hours <= 24 * 90:
            raise forms.ValidationError(_("Enter between 1 and 2160 hours."))
        return hours

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == TriggerKind.PAGE_VIEW and not (cleaned.get("url_patterns") or "").strip():
            self.add_error("url_patterns", _("A page trigger needs at least one URL fragment."))
        if cleaned.get("kind") == TriggerKind.DORMANT_RETURN and not cleaned.get("touch_kinds"):
            self.add_error("touch_kinds", _("Choose at least one touch."))
        return cleaned


class WebhookURLField(forms.URLField):
    """A URL our server may post to (outbound.destination_check), checked before the syntax.

    First, so that `http://2130706433/` is refused as the loopback address it is, not as a typo.
    """

    def run_validators(self, value):
        if value not in self.empty_values:
            try:
                outbound.destination_check(value)
            except outbound.Refused as refusal:
                raise forms.ValidationError(refusal.message(), code=f"webhook_{refusal.code}") from None
            except socket.gaierror:
                raise forms.ValidationError(_("The host %(host)s could not be found."), code="webhook_unresolved",
                                            params={"host": urlsplit(value).hostname}) from None
        super().run_validators(value)


class WebhookForm(forms.ModelForm):
    url = WebhookURLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "user", "url", "secret", "is_active"]

    def __init__(self, *args, reps=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reps is not None:
            self.fields["user"].queryset = reps
        self.fields["user"].required = False
        self.fields["user"].empty_label = _("Whole workspace")
