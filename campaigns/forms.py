"""Campaign forms: a broadcast (one send to a segment), and the topic field every campaign form shares."""
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from segments.models import Segment

from .models import MailTopic, MessageTemplate, SenderProfile


def topic_field():
    return forms.ModelChoiceField(
        label=_("Topic (optional)"), queryset=MailTopic.objects.none(), required=False,
        empty_label=_("None: general marketing mail"),
        help_text=_("Recipients who opted out of this topic on the unsubscribe page do not get this campaign. "
                    "Without a topic, only a full unsubscribe or a pause stops it."))


def topic_choices(current=None):
    """The topics a campaign form offers: the active ones, and the campaign's own even if it was retired."""
    offered = Q(is_active=True)
    if current:
        offered |= Q(pk=getattr(current, "pk", current))
    return MailTopic.objects.filter(offered).order_by("position", "id")


class BroadcastForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=200)
    segment = forms.ModelChoiceField(label=_("Send to segment"), queryset=Segment.objects.none())
    sender = forms.ModelChoiceField(label=_("Sender profile"), queryset=SenderProfile.objects.none())
    topic = topic_field()
    template = forms.ModelChoiceField(label=_("Template"), queryset=MessageTemplate.objects.none())
    template_b = forms.ModelChoiceField(
        label=_("Variant B template (optional)"), queryset=MessageTemplate.objects.none(), required=False,
        help_text=_("Leave empty for no A/B test. With a variant B, the share below gets it instead of the template."))
    variant_b_percent = forms.IntegerField(label=_("Variant B share (%)"), min_value=1, max_value=99, initial=50)
    holdout_percent = forms.IntegerField(
        label=_("Holdout (%)"), min_value=0, max_value=50, initial=0,
        help_text=_("Kept out at random (the same contacts every time) so you can measure the lift."))
    scheduled_at = forms.DateTimeField(
        label=_("Send at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Workspace time. Empty: as soon as it is started (quiet hours still apply)."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(is_active=True).order_by("name")
        self.fields["sender"].queryset = SenderProfile.objects.all()
        self.fields["topic"].queryset = topic_choices(self.initial.get("topic"))
        templates = MessageTemplate.objects.order_by("-is_starter", "name")
        self.fields["template"].queryset = templates
        self.fields["template_b"].queryset = templates

    def clean_scheduled_at(self):
        at = self.cleaned_data.get("scheduled_at")
        if at is not None and at < timezone.now():
            raise ValidationError(_("That time has passed. Pick a later one, or leave it empty to send when started."))
        return at

    def clean(self):
        data = super().clean()
        if data.get("template") and data.get("template_b") and data["template"] == data["template_b"]:
            self.add_error("template_b", _("Variant B must be a different template (or none)."))
        return data

    @classmethod
    def initial_for(cls, campaign):
        step = campaign.steps.order_by("position").first()
        return {
            "name": campaign.name, "segment": campaign.segment_id, "sender": campaign.sender_id,
            "topic": campaign.topic_id, "template": step.template_id if step else None,
            "template_b": step.template_b_id if step else None,
            "variant_b_percent": campaign.variant_b_percent, "holdout_percent": campaign.holdout_percent,
            "scheduled_at": timezone.localtime(campaign.scheduled_at).strftime("%Y-%m-%dT%H:%M")
            if campaign.scheduled_at else None,
        }


def broadcast_fields(form):
    data = form.cleaned_data
    return {key: data[key] for key in ("name", "segment", "sender", "topic", "template", "template_b",
                                       "variant_b_percent", "holdout_percent", "scheduled_at")}

