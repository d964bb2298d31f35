"""The recurring newsletter's form: the broadcast's fields, with a schedule instead of a send time."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import schedule as cron
from .forms import BroadcastForm
from .recurring_changes import DRAFT_ONLY, fixed_field_problem

CUSTOM = "custom"
PRESETS = (
    ("0 10 * * 1", _("Every Monday at 10:00")),
    ("0 10 1 * *", _("On the 1st of each month at 10:00")),
    ("0 9 * * 1-5", _("Every weekday at 09:00")),
    (CUSTOM, _("Custom (cron expression)")),
)


class RecurringForm(BroadcastForm):
    scheduled_at = None  # a recurring newsletter runs on its schedule, not at one time
    preset = forms.ChoiceField(label=_("Repeats"), choices=PRESETS, initial=PRESETS[0][0],
                               widget=forms.RadioSelect)
    schedule = forms.CharField(
        label=_("Cron expression"), max_length=100, required=False,
        widget=forms.TextInput(attrs={"placeholder": "0 10 * * 1", "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Only for Custom: minute hour day-of-month month day-of-week, in workspace time. Day of week "
                    "0 or 7 = Sunday, 1 = Monday. Examples: “30 8 * * 2” Tuesdays 08:30; “0 10 1,15 * *” the 1st "
                    "and 15th at 10:00; “0 10 * * 1-5” weekdays. The first business day of a month cannot be "
                    "expressed; use the 1st (quiet hours move a weekend or holiday send to the next allowed slot)."))

    field_order = ["name", "segment", "sender", "topic", "template", "template_b", "variant_b_percent",
                   "holdout_percent", "preset", "schedule"]

    def clean(self):
        data = super().clean()
        preset = data.get("preset")
        expression = data.get("schedule", "") if preset == CUSTOM else preset
        if preset == CUSTOM and not expression.strip():
            self.add_error("schedule", _("Enter a cron expression, or pick one of the schedules above."))
        elif preset:
            try:
                data["schedule"] = cron.validate(expression)
            except ValidationError as error:
                self.add_error("schedule" if preset == CUSTOM else "preset", error)
        return data

    @property
    def description(self):
        """The schedule in words, once it is valid (shown under the form after a submit)."""
        expression = self.cleaned_data.get("schedule") if hasattr(self, "cleaned_data") else None
        return cron.describe(expression) if expression and not self.errors.get("schedule") else ""

    @classmethod
    def initial_for(cls, campaign):
        initial = super().initial_for(campaign)
        initial.pop("scheduled_at")
        presets = {value for value, _label in PRESETS}
        initial["preset"] = campaign.schedule if campaign.schedule in presets else CUSTOM
        initial["schedule"] = campaign.schedule
        return initial


def recurring_fields(form):
    data = form.cleaned_data
    return {key: data[key] for key in ("name", "segment", "sender", "topic", "template", "template_b",
                                       "variant_b_percent", "holdout_percent", "schedule")}


class StartedRecurringForm(RecurringForm):
    """A running or paused newsletter's form: the draft-only fields are shown, fixed (campaigns.recurring_changes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DRAFT_ONLY:
            if name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed once the newsletter has started.")

    def clean(self):
        data = super().clean()
        for name in DRAFT_ONLY:  # a disabled field keeps its value whatever is posted: refuse a change out loud
            posted, initial = self.data.get(self.add_prefix(name)), self.initial.get(name)
            if name in self.fields and posted is not None and posted != ("" if initial is None else str(initial)):
                self.add_error(name, fixed_field_problem(name))
        return data
