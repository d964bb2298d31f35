"""Which columns each kind of file has, and how headers map onto fields.

Headers are matched after trimming, lowercasing, NFKC folding (full-width
letters) and dropping a stray BOM. In a contacts file every unknown column is
a custom attribute; in events and contracts files unknown columns are shown
as ignored so nothing disappears silently.
"""
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from contacts.models import ImportKind

from .errors import FileRejected

CUSTOM_ATTRIBUTE = "custom attribute"
IGNORED = "ignored"


@dataclass(frozen=True)
class KindColumns:
    required: tuple
    optional: tuple
    extra_is_attribute: bool

    @property
    def known(self):
        return self.required + self.optional


COLUMNS = {
    ImportKind.CONTACTS: KindColumns(
        required=("email",),
        optional=(
            "first_name", "last_name", "first_name_kana", "last_name_kana", "company", "title", "industry",
            "employees", "phone", "owner", "status", "lost_reason", "deal_stage", "deal_stage_changed_at",
            "acquired_at", "consent", "consent_at", "consent_source", "tags", "is_decision_maker",
        ),
        extra_is_attribute=True,
    ),
    ImportKind.EVENTS: KindColumns(
        required=("email", "kind", "occurred_at"), optional=("url", "detail"), extra_is_attribute=False,
    ),
    ImportKind.CONTRACTS: KindColumns(
        required=("email", "contract_id", "expires_at"),
        optional=("plan", "starts_at", "amount", "status"),
        extra_is_attribute=False,
    ),
}


def header_normalize(raw):
    return unicodedata.normalize("NFKC", raw.replace("\ufeff", "")).strip().lower()


def headers_check(kind, raw_headers):
    """Normalise the header row and refuse files this kind can't read.

    Returns the normalised names (blank headers become placeholders so the
    names stay unique) and the mapping [(header, field / custom attribute /
    ignored)] in file order.
    """
    spec = COLUMNS[kind]
    names = [header_normalize(raw) for raw in raw_headers]
    if len(names) == 1:
        for separator, label in ((";", "';'"), ("\t", _("tabs")), ("|", "'|'")):
            if separator in names[0]:
                raise FileRejected(
                    _("This file seems to be separated by %(separator)s, not commas. Save it as a comma-separated "
                      "CSV file and upload again.") % {"separator": label}
                )
    seen = set()
    for name in names:
        if name and name in seen:
            raise FileRejected(_("The column '%(column)s' appears more than once in the header.") % {"column": name})
        seen.add(name)
    for column in spec.required:
        if column not in seen:
            raise FileRejected(_("Required column '%(column)s' is missing.") % {"column": column})
    mapping = []
    for position, name in enumerate(names):
        if not name:
            names[position] = f"__blank_{position}"
            mapping.append((names[position], IGNORED))
        elif name in spec.known:
            mapping.append((name, name))
        else:
            mapping.append((name, CUSTOM_ATTRIBUTE if spec.extra_is_attribute else IGNORED))
    return names, mapping
