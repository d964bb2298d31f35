"""Forms for the contacts app: CSV upload and import confirmation."""
from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from contacts.models import ImportKind


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file contains"), choices=ImportKind.choices, initial=ImportKind.CONTACTS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
        help_text=_("UTF-8 (with or without BOM) or Shift_JIS (CP932) as Japanese Excel saves it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template has its own token

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("This file is %(size)s; files can be at most %(limit)s. Split it into smaller files."),
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        return upload


class ImportConfirmForm(forms.Form):
    import_good_rows = forms.BooleanField(
        label=_("Import only the good rows and skip the bad ones"), required=False,
    )

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template has its own token
        if not job.bad_rows:
            del self.fields["import_good_rows"]

    def clean(self):
        cleaned = super().clean()
        if self.job.bad_rows and not cleaned.get("import_good_rows"):
            raise forms.ValidationError(
                _("This file has %(count)d bad rows. Nothing will be imported until the file is fixed, unless you "
                  "tick 'import only the good rows'."),
                code="bad_rows",
                params={"count": self.job.bad_rows},
            )
        return cleaned
