from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import RepProfile
from .selectors import api_key_user_choices


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"), max_length=100,
        help_text=_("What uses the key, e.g. “CRM nightly sync”. Shown in this list only."),
    )
    user = forms.ModelChoiceField(
        label=_("Acts as user"), queryset=None,
        help_text=_("The key can do exactly what this user's roles allow. A dedicated user per machine keeps "
                    "the version history clear."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = api_key_user_choices()
        self.fields["user"].label_from_instance = _user_label
        self.helper = FormHelper()
        self.helper.form_tag = False


def _user_label(user):
    full = user.get_full_name()
    return f"{user.username} ({full})" if full else user.username


def _https_by_default(field, **kwargs):
    """A booking link typed without a scheme is an https one (Django 6's default, chosen now)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class RepProfileForm(forms.ModelForm):
    class Meta:
        model = RepProfile
        formfield_callback = _https_by_default
        fields = ("signature", "scheduling_url")
        widgets = {"signature": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
