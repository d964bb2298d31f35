"""Forms of the sequence and playbook builders: the campaign fields, then its steps (or phases and options)."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from contacts.models import TouchKind
from segments.models import Segment

from .flows.rules import EXIT_LABELS, SEQUENCE_EXITS
from .flows.services import DEFAULT_PHASES
from .forms import topic_choices, topic_field
from .models import DeadlineRule, MailTopic, MessageTemplate, PlaybookPhase, RescueOptionKind, SenderProfile, StepKind

SEGMENT_ENTER, TOUCH = "segment_enter", "touch"


def _templates():
    return MessageTemplate.objects.order_by("-is_starter", "name")


def _segments():
    return Segment.objects.filter(is_active=True).order_by("name")


STEP_KINDS = [(StepKind.EMAIL, _("Send an email")), (StepKind.CALL_TASK, _("Call task for inside sales")),
              (StepKind.WAIT_UNTIL, _("Wait until a condition holds"))]


class _FlowBase(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    sender = forms.ModelChoiceField(label=_("Sender profile"), queryset=SenderProfile.objects.none())
    topic = topic_field()
    holdout_percent = forms.IntegerField(
        label=_("Holdout (%)"), min_value=0, max_value=50, initial=0,
        help_text=_("Kept out at random (the same contacts every time) so you can measure the lift."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].queryset = SenderProfile.objects.all()
        self.fields["topic"].queryset = topic_choices(self.initial.get("topic"))
        if "segment" in self.fields:
            self.fields["segment"].queryset = _segments()


class SequenceForm(_FlowBase):
    trigger_type = forms.ChoiceField(label=_("Contacts enter when they"), widget=forms.RadioSelect,
                                     initial=SEGMENT_ENTER, choices=[(SEGMENT_ENTER, _("enter a segment")),
                                              (TOUCH, _("do something (a touch of a kind you choose)"))])
    segment = forms.ModelChoiceField(
        label=_("Segment"), queryset=Segment.objects.none(), required=False,
        help_text=_("Needed when contacts enter on joining it, and for the “left the segment” exit."))
    touch_kind = forms.ChoiceField(label=_("Touch kind"), choices=[("", "—"), *TouchKind.choices], required=False)
    url_contains = forms.CharField(label=_("…at a URL containing (optional)"), max_length=500, required=False,
                                   help_text=_("e.g. /pricing or whitepaper-2025"))
    exit_on = forms.MultipleChoiceField(
        label=_("Leave the sequence when the contact"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(reason, EXIT_LABELS[reason]) for reason in SEQUENCE_EXITS],
        initial=["reply", "meeting", "unsubscribed"])
    allow_reentry = forms.BooleanField(label=_("Let a contact go through it again after finishing or leaving"),
                                       required=False)
    variant_b_percent = forms.IntegerField(label=_("Variant B share (%)"), min_value=1, max_value=99, initial=50,
                                           help_text=_("For email steps that have a variant B."))

    def clean(self):
        data = super().clean()
        if data.get("trigger_type") == SEGMENT_ENTER and not data.get("segment"):
            self.add_error("segment", _("Choose the segment whose new members enter the sequence."))
        if data.get("trigger_type") == TOUCH and not data.get("touch_kind"):
            self.add_error("touch_kind", _("Choose which kind of touch starts the sequence."))
        if "left_segment" in (data.get("exit_on") or []) and not data.get("segment"):
            self.add_error("exit_on", _("“Left the segment” needs a segment."))
        return data

    def trigger(self):
        data = self.cleaned_data
        if data["trigger_type"] == TOUCH:
            return {"type": TOUCH, "kind": data["touch_kind"], "url_contains": data["url_contains"].strip()}
        return {"type": SEGMENT_ENTER}

    @classmethod
    def initial_for(cls, campaign):
        trigger = campaign.trigger or {}
        return {"name": campaign.name, "sender": campaign.sender_id, "segment": campaign.segment_id,
                "topic": campaign.topic_id, "trigger_type": trigger.get("type", SEGMENT_ENTER),
                "touch_kind": trigger.get("kind", ""),
                "url_contains": trigger.get("url_contains", ""), "exit_on": campaign.exit_on,
                "allow_reentry": campaign.allow_reentry, "holdout_percent": campaign.holdout_percent,
                "variant_b_percent": campaign.variant_b_percent or 50}


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), required=False,
                             choices=[("", _("— (no step)")), *STEP_KINDS])
    wait_days = forms.IntegerField(label=_("days"), min_value=0, max_value=365, initial=0, required=False)
    wait_hours = forms.IntegerField(label=_("hours"), min_value=0, max_value=23, initial=0, required=False)
    template = forms.ModelChoiceField(label=_("Template"), queryset=MessageTemplate.objects.none(), required=False)
    template_b = forms.ModelChoiceField(label=_("Variant B (optional)"), queryset=MessageTemplate.objects.none(),
                                        required=False)
    purpose = forms.CharField(label=_("Why call"), max_length=300, required=False)
    condition_segment = forms.ModelChoiceField(label=_("Wait until the contact matches"),
                                               queryset=Segment.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = self.fields["template_b"].queryset = _templates()
        self.fields["condition_segment"].queryset = _segments()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == StepKind.EMAIL and not data.get("template"):
            self.add_error("template", _("Choose the template to send."))
        if kind == StepKind.EMAIL and data.get("template_b") and data.get("template_b") == data.get("template"):
            self.add_error("template_b", _("Variant B must be a different template (or none)."))
        if kind == StepKind.CALL_TASK and not data.get("purpose"):
            self.add_error("purpose", _("Say why the rep should call; it is shown on the call list."))
        if kind == StepKind.WAIT_UNTIL:
            if not data.get("condition_segment"):
                self.add_error("condition_segment", _("Choose the segment whose rules the contact must match."))
            if not (data.get("wait_days") or data.get("wait_hours")):
                self.add_error("wait_days", _("Say how long to wait at most before giving up."))
        return data

    def step_fields(self):
        data = self.cleaned_data
        kind = data["kind"]
        return {"kind": kind, "wait_days": data.get("wait_days") or 0, "wait_hours": data.get("wait_hours") or 0,
                "template": data.get("template") if kind == StepKind.EMAIL else None,
                "template_b": data.get("template_b") if kind == StepKind.EMAIL else None,
                "purpose": data.get("purpose", "") if kind == StepKind.CALL_TASK else "",
                "condition": data["condition_segment"].definition if kind == StepKind.WAIT_UNTIL else {},
                "name": data["condition_segment"].name if kind == StepKind.WAIT_UNTIL else ""}


StepFormSet = forms.formset_factory(StepForm, extra=0)


def step_initial(campaign):
    if campaign is None:
        return [{"kind": StepKind.EMAIL}, {"kind": StepKind.CALL_TASK, "wait_days": 3}, {}, {}]
    segments = {segment.name: segment.pk for segment in _segments()}
    rows = [{"kind": step.kind, "wait_days": step.wait_days, "wait_hours": step.wait_hours,
             "template": step.template_id, "template_b": step.template_b_id, "purpose": step.purpose,
             "condition_segment": segments.get(step.name)} for step in campaign.steps.order_by("position")]
    return rows + [{}, {}]


class PlaybookForm(_FlowBase):
    # A new playbook starts with the renewal topic (seeded by the 0007 migration) when it is active.
    DEFAULT_TOPIC_KEY = "renewal"

    segment = forms.ModelChoiceField(label=_("Contracts of the members of"), queryset=Segment.objects.none(),
                                     required=False)
    all_active_contracts = forms.BooleanField(label=_("…or every active contract"), required=False)
    lapse_text = forms.CharField(
        label=_("What the customer loses on the lapse date"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the options page and available to templates as contract.loses."))
    deadline_days = forms.IntegerField(label=_("Options can be chosen until"), min_value=0, max_value=120, initial=1)
    deadline_rule = forms.ChoiceField(label=_("counted as"), choices=DeadlineRule.choices,
                                      initial=DeadlineRule.BEFORE_LAPSE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.initial:
            self.initial["topic"] = MailTopic.objects.filter(key=self.DEFAULT_TOPIC_KEY, is_active=True).values_list(
                "id", flat=True).first()

    def clean(self):
        data = super().clean()
        if not data.get("segment") and not data.get("all_active_contracts"):
            self.add_error("segment", _("Choose a segment, or tick every active contract."))
        return data

    @classmethod
    def initial_for(cls, campaign):
        flow = campaign.flow
        return {"name": campaign.name, "sender": campaign.sender_id, "segment": campaign.segment_id,
                "topic": campaign.topic_id, "all_active_contracts": flow.all_active_contracts,
                "lapse_text": flow.lapse_text,
                "deadline_days": flow.deadline_days, "deadline_rule": flow.deadline_rule,
                "holdout_percent": campaign.holdout_percent}


OWNER_ROLES = [(Role.MARKETER, _("Marketing")), (Role.INSIDE_SALES, _("Inside sales"))]


class PhaseForm(forms.Form):
    enabled = forms.BooleanField(label=_("Use"), required=False)
    phase = forms.ChoiceField(choices=PlaybookPhase.choices, widget=forms.HiddenInput)
    offset_days = forms.IntegerField(label=_("Day from lapse"), min_value=-365, max_value=365)
    purpose = forms.CharField(label=_("Purpose"), max_length=300, required=False)
    owner_role = forms.ChoiceField(label=_("Owner"), choices=OWNER_ROLES)
    kind = forms.ChoiceField(label=_("Channel"), choices=STEP_KINDS[:2])
    template = forms.ModelChoiceField(label=_("Template"), queryset=MessageTemplate.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = _templates()
        for name, field in self.fields.items():  # shown as bare widgets in a table row
            css = {"enabled": "form-check-input", "phase": ""}.get(name)
            if css is None:
                select = isinstance(field.widget, forms.Select)
                css = "form-select form-select-sm" if select else "form-control form-control-sm"
            field.widget.attrs.update({"class": css, "aria-label": str(field.label or name)})

    def clean(self):
        data = super().clean()
        if data.get("enabled") and data.get("kind") == StepKind.EMAIL and not data.get("template"):
            self.add_error("template", _("Choose the template to send."))
        return data

    def step_fields(self):
        data = self.cleaned_data
        email = data["kind"] == StepKind.EMAIL
        return {"kind": data["kind"], "phase": data["phase"], "offset_days": data["offset_days"],
                "purpose": data["purpose"], "owner_role": data["owner_role"],
                "template": data["template"] if email else None,
                "name": str(PlaybookPhase(data["phase"]).label)}


PhaseFormSet = forms.formset_factory(PhaseForm, extra=0)

PHASE_DEFAULTS = {
    "pre_notice": (_("Remind them what they use, before any notice"), Role.MARKETER, StepKind.EMAIL),
    "notice": (_("Notice with what lapses, the options and the deadline"), Role.MARKETER, StepKind.EMAIL),
    "final": (_("Call before it lapses"), Role.INSIDE_SALES, StepKind.CALL_TASK),
    "after_lapse": (_("Win back after lapse"), Role.MARKETER, StepKind.EMAIL),
}


def phase_initial(campaign):
    if campaign is not None:
        saved = {step.phase: step for step in campaign.steps.all()}
    else:
        saved = {}
    rows = []
    for phase, offset in DEFAULT_PHASES:
        step = saved.get(phase)
        purpose, role, kind = PHASE_DEFAULTS[phase]
        rows.append({"enabled": step is not None or campaign is None, "phase": phase,
                     "offset_days": step.offset_days if step else offset,
                     "purpose": step.purpose if step else purpose, "owner_role": step.owner_role if step else role,
                     "kind": step.kind if step else kind, "template": step.template_id if step else None})
    return rows


class OptionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RescueOptionKind.choices)
    label = forms.CharField(label=_("Button label"), max_length=200, required=False)
    description = forms.CharField(label=_("Details"), max_length=1000, required=False)


OptionFormSet = forms.formset_factory(OptionForm, extra=0)

OPTION_DEFAULTS = [
    {"kind": RescueOptionKind.RENEW, "label": _("Renew on the same plan")},
    {"kind": RescueOptionKind.REDUCED, "label": _("Switch to a smaller plan")},
    {"kind": RescueOptionKind.EXTENSION, "label": _("Extend by one month to decide")},
]


def option_initial(campaign):
    if campaign is None:
        return [{**row, "label": str(row["label"])} for row in OPTION_DEFAULTS]
    rows = [{"kind": option.kind, "label": option.label, "description": option.description}
            for option in campaign.rescue_options.order_by("position")]
    return rows + [{"kind": RescueOptionKind.EXTENSION}] * (3 - len(rows))


def chosen_options(formset):
    """The filled-in options, in order; 2–3 are required."""
    options = [{"kind": form.cleaned_data["kind"], "label": form.cleaned_data["label"],
                "description": form.cleaned_data["description"]}
               for form in formset if form.cleaned_data.get("label")]
    if not 2 <= len(options) <= 3:
        raise ValidationError(_("Offer two or three options (fill in their button labels)."))
    return options
