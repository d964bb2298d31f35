"""The date-range filter every report takes: ?from=YYYY-MM-DD&to=YYYY-MM-DD, the last 90 days by default."""
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_DAYS = 90
MAX_DAYS = 366 * 3


@dataclass(frozen=True)
class DateRange:
    start: date  # inclusive, workspace calendar
    end: date  # inclusive

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def query(self):
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def default_range(today):
    return DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)


class DateRangeForm(forms.Form):
    """Validates the filter; an invalid one leaves the report on its default range with the errors shown."""

    start = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, input_formats=["%Y-%m-%d"],
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, input_formats=["%Y-%m-%d"],
                          widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, params, *, today):
        data = {"start": params.get("from", ""), "end": params.get("to", "")}
        super().__init__(data)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        default = default_range(self.today)
        start, end = cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        start = start or (end - timedelta(days=DEFAULT_DAYS - 1) if end else default.start)
        end = end or max(start, default.end)
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(_("Choose a range of at most %(days)s days.") % {"days": MAX_DAYS})
        cleaned["range"] = DateRange(start, end)
        return cleaned


def date_range_from(params, *, today):
    """(DateRange, form): the requested range when valid, else the default with the form carrying the errors."""
    form = DateRangeForm(params, today=today)
    if form.is_valid():
        return form.cleaned_data["range"], form
    return default_range(today), form
