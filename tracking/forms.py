"""The tracked-site form: a name and the origins whose pages may send page views and forms."""
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TrackingSite
from .selectors import origin_of

ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
MAX_ORIGINS = 20


class TrackingSiteForm(forms.ModelForm):
    origins = forms.CharField(
        label=_("Allowed origins"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, scheme and host (and port if not the default), no path: "
                    "https://www.example.co.jp. Only pages on these origins may send page views and forms."))

    class Meta:
        model = TrackingSite
        fields = ["name", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["origins"] = "\n".join(self.instance.allowed_origins)

    def clean_origins(self):
        lines = [line.strip().rstrip("/") for line in self.cleaned_data["origins"].splitlines() if line.strip()]
        if not lines:
            raise forms.ValidationError(_("Enter at least one origin."))
        if len(lines) > MAX_ORIGINS:
            raise forms.ValidationError(_("Enter at most %(count)d origins.") % {"count": MAX_ORIGINS})
        origins = []
        for line in lines:
            origin = origin_of(line) if ORIGIN_RE.match(line) else ""
            if not origin:
                raise forms.ValidationError(
                    _("“%(value)s” is not an origin like https://www.example.co.jp.") % {"value": line[:100]})
            origins.append(origin)
        return sorted(set(origins))
