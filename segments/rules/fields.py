"""The allow-list: which contact fields a segment can test, their types, and each type's operators."""
from django.utils.translation import gettext_lazy as _

from contacts.models import ConsentState, ContactStatus, LostReason

TEXT, NUMBER, DATE, DATETIME, BOOL, CHOICE, TAG, USER = (
    "text", "number", "date", "datetime", "bool", "choice", "tag", "user",
)
ATTRIBUTE_PREFIX = "attribute:"

# field -> (type, ORM path, label). Paths are fixed strings chosen here, never user text.
FIELDS = {
    "email": (TEXT, "email", _("Email")),
    "first_name": (TEXT, "first_name", _("First name")),
    "last_name": (TEXT, "last_name", _("Last name")),
    "title": (TEXT, "title", _("Title")),
    "is_decision_maker": (BOOL, "is_decision_maker", _("Decision maker")),
    "status": (CHOICE, "status", _("Status")),
    "lost_reason": (CHOICE, "lost_reason", _("Lost reason")),
    "deal_stage": (TEXT, "deal_stage", _("Deal stage")),
    "deal_stage_changed_at": (DATE, "deal_stage_changed_at", _("Deal stage changed")),
    "acquired_at": (DATE, "acquired_at", _("Acquired")),
    "consent": (CHOICE, "consent", _("Consent")),
    "owner": (USER, "owner", _("Owner")),
    "company.name": (TEXT, "company__name", _("Company name")),
    "company.industry": (TEXT, "company__industry", _("Industry")),
    "company.employee_count": (NUMBER, "company__employee_count", _("Employees")),
    "tag": (TAG, "tags", _("Tag")),
    "last_touch_at": (DATETIME, "last_touch_at", _("Last touch")),
}

CHOICES = {"status": ContactStatus, "lost_reason": LostReason, "consent": ConsentState}

# Operators per type, and the shape of the value each takes.
NONE, SINGLE, LIST, PAIR, DAYS = "none", "single", "list", "pair", "days"
OPERATORS = {
    TEXT: {"equals": SINGLE, "not_equals": SINGLE, "in": LIST, "contains": SINGLE, "starts_with": SINGLE,
           "is_empty": NONE, "is_not_empty": NONE},
    NUMBER: {"equals": SINGLE, "gt": SINGLE, "lt": SINGLE, "between": PAIR, "is_empty": NONE},
    DATE: {"before": SINGLE, "after": SINGLE, "between": PAIR, "within_last_days": DAYS,
           "more_than_days_ago": DAYS, "is_empty": NONE},
    BOOL: {"is_true": NONE, "is_false": NONE},
    CHOICE: {"equals": SINGLE, "in": LIST},
    TAG: {"has": SINGLE, "has_not": SINGLE},
    USER: {"equals": SINGLE, "in": LIST, "is_empty": NONE},
}
OPERATORS[DATETIME] = OPERATORS[DATE]

OPERATOR_LABELS = {
    "equals": _("equals"), "not_equals": _("does not equal"), "in": _("is one of"), "contains": _("contains"),
    "starts_with": _("starts with"), "is_empty": _("is empty"), "is_not_empty": _("is not empty"),
    "gt": _("greater than"), "lt": _("less than"), "between": _("between"), "before": _("before"),
    "after": _("after"), "within_last_days": _("within the last N days"),
    "more_than_days_ago": _("more than N days ago"), "is_true": _("is yes"), "is_false": _("is no"),
    "has": _("has tag"), "has_not": _("does not have tag"),
}


def field_type(field):
    """The type of an allow-listed field or `attribute:<key>`, else None."""
    if isinstance(field, str) and field.startswith(ATTRIBUTE_PREFIX):
        return TEXT
    spec = FIELDS.get(field) if isinstance(field, str) else None
    return spec[0] if spec else None
