"""Forms for the template editor, sender profiles, mail topics and sending settings (validation of shape only).

Whether a template renders is the service's question (services_templates.
template_validate), so the editor and any other caller get the same answer.
"""
from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MailTopic, MessageTemplate, SenderProfile, SendingSettings

_CODE = {"class": "font-monospace", "spellcheck": "false"}


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    return helper


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ("name", "style", "language", "subject", "body_text", "body_html")
        widgets = {
            "style": forms.RadioSelect,
            "subject": forms.TextInput(attrs=_CODE),
            "body_text": forms.Textarea(attrs={**_CODE, "rows": 16}),
            "body_html": forms.Textarea(attrs={**_CODE, "rows": 16}),
        }
        labels = {"language": _("Language of the mail")}
        help_texts = {
            "name": _("Only shown inside Rekindle, e.g. “Spring webinar invitation”."),
            "subject": _("Merge fields work here too, e.g. {{ contact.company }}."),
            "body_text": _("Always sent: the whole mail for a personal template, the plain-text part of a newsletter."),
            "body_html": _("Optional. Mail programs that show HTML use this part; the others show the text body."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body_html"].required = False
        self.helper = _helper()


class SenderProfileForm(forms.ModelForm):
    class Meta:
        model = SenderProfile
        fields = ("name", "from_name", "from_email", "reply_to", "organisation", "postal_address", "inquiry_contact",
                  "unsubscribe_email", "is_default")
        widgets = {"postal_address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "from_name": _("What recipients see as the sender, e.g. “Rekindle Inc. Sales”."),
            "reply_to": _("Optional. Where replies go when not to the sender address."),
            "organisation": _("Optional. Shown in the footer above the address."),
            "postal_address": _("Required by law in every marketing mail."),
            "inquiry_contact": _("Required by law. A phone number, email address or web page where recipients can "
                                 "ask questions."),
            "unsubscribe_email": _("Optional. Receives unsubscribe requests sent by mail; empty means the sender "
                                   "address."),
            "is_default": _("Used for new campaigns and for previews. Only one profile is the default."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class MailTopicForm(forms.ModelForm):
    class Meta:
        model = MailTopic
        fields = ("key", "name", "name_en", "description", "description_en", "position", "is_active")
        widgets = {"description": forms.Textarea(attrs={"rows": 2}),
                   "description_en": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the key is fixed once the topic exists (opt-out forms carry it)
            self.fields["key"].disabled = True
        self.helper = _helper()


class SendingSettingsForm(forms.ModelForm):
    class Meta:
        model = SendingSettings
        fields = ("frequency_cap_count", "frequency_cap_days", "quiet_start", "quiet_end", "quiet_weekends",
                  "quiet_holidays", "rate_per_minute")
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "quiet_start": _("No marketing mail goes out from this time…"),
            "quiet_end": _("…until this time (workspace time zone). A mail due in between waits for the end."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["frequency_cap_days"].widget.attrs["min"] = 1
        self.helper = _helper()

    def clean_frequency_cap_days(self):
        days = self.cleaned_data["frequency_cap_days"]
        if days < 1:
            raise forms.ValidationError(_("Count over at least one day."))
        return days
