"""Merge fields: what a template may say about a contact, as plain data.

`merge_context` turns a contact (and, in a playbook, one of its contracts,
plus the links the sending engine made for this message) into nested dicts
of strings and numbers. Only plain values enter, never a model instance: a
template must not be able to follow a relation, call a manager or reach the
settings, whatever the sandbox lets through.

The names here are the merge fields marketers see (SAMPLE_CONTEXT fills
every one of them with a realistic value; templates are checked against it
when they are saved, so a field missing here is reported at save time, not
at send time). Dates are YYYY-MM-DD in the workspace time zone; the
`ja_date` / `en_date` filters write them out in words.

Cost: at most two queries per contact — one for the contact with its company,
owner and the owner's rep profile (none when the caller loaded them with
`MERGE_RELATED`), one for the last meeting (none when the caller passes
`last_meeting_at`, e.g. from `last_meetings()` for a whole batch).
"""
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact, TouchEvent, TouchKind
from contacts.rules import workspace_today, workspace_tz

MERGE_RELATED = ("company", "owner", "owner__rep_profile")
_UNSET = object()

SAMPLE_CONTEXT = {
    "contact": {"first_name": "太郎", "last_name": "山田", "full_name": "山田 太郎", "company": "株式会社サンプル商事",
                "title": "情報システム部 部長", "email": "taro.yamada@sample-shoji.co.jp"},
    "owner": {"name": "佐藤 花子", "email": "hanako.sato@rekindle.example",
              "signature": "佐藤 花子\n株式会社リキンドル 営業部\nTEL 03-1234-5678\nhanako.sato@rekindle.example",
              "scheduling_url": "https://calendar.example.com/hanako-sato"},
    "last_touch": {"date": "2025-11-04", "kind": "ミーティング"},
    "last_meeting": {"date": "2025-11-04"},
    "contract": {"plan": "スタンダードプラン（年間）", "lapse_date": "2026-07-31", "days_left": 30,
                 "loses": "過去3年分の配信履歴と分析レポート"},
    "rescue": {
        "options": [
            {"label": "同じプランで1年間更新する", "url": "https://rekindle.example/m/o/sample-renew"},
            {"label": "ライトプランに切り替える", "url": "https://rekindle.example/m/o/sample-downgrade"},
            {"label": "1か月だけ延長して検討する", "url": "https://rekindle.example/m/o/sample-extend"},
        ],
        "deadline": "2026-07-24",
    },
    "unsubscribe_url": "https://rekindle.example/m/u/sample-token",
    "preferences_url": "https://rekindle.example/m/p/sample-token",
}

# The same fields for English templates' previews (save-time checks always use SAMPLE_CONTEXT: same shape).
SAMPLE_CONTEXT_EN = {
    "contact": {"first_name": "Emily", "last_name": "Carter", "full_name": "Carter Emily",
                "company": "Northwind Trading Ltd.", "title": "Head of IT", "email": "emily.carter@northwind.example"},
    "owner": {"name": "Sato Hanako", "email": "hanako.sato@rekindle.example",
              "signature": "Hanako Sato\nAccount Executive, Rekindle Inc.\n+81 3-1234-5678",
              "scheduling_url": "https://calendar.example.com/hanako-sato"},
    "last_touch": {"date": "2025-11-04", "kind": "Meeting"},
    "last_meeting": {"date": "2025-11-04"},
    "contract": {"plan": "Standard (annual)", "lapse_date": "2026-07-31", "days_left": 30,
                 "loses": "three years of campaign history and reports"},
    "rescue": {
        "options": [
            {"label": "Renew the same plan for a year", "url": "https://rekindle.example/m/o/sample-renew"},
            {"label": "Switch to the Lite plan", "url": "https://rekindle.example/m/o/sample-downgrade"},
            {"label": "Extend by one month to decide", "url": "https://rekindle.example/m/o/sample-extend"},
        ],
        "deadline": "2026-07-24",
    },
    "unsubscribe_url": SAMPLE_CONTEXT["unsubscribe_url"],
    "preferences_url": SAMPLE_CONTEXT["preferences_url"],
}


def sample_context(language):
    """The sample a template is shown with when no contact is chosen: in the template's own language."""
    return SAMPLE_CONTEXT_EN if language == "en" else SAMPLE_CONTEXT


# One line per merge field for the editor's reference list: (field, what it is). Kept beside the sample
# so the two cannot drift apart (a test checks every field here exists in SAMPLE_CONTEXT).
FIELD_HELP = (
    ("contact.last_name", _("family name")),
    ("contact.first_name", _("given name")),
    ("contact.full_name", _("family name first, then given name")),
    ("contact.company", _("company name")),
    ("contact.title", _("job title")),
    ("contact.email", _("email address")),
    ("owner.name", _("the contact's owner rep")),
    ("owner.email", _("the owner rep's email address")),
    ("owner.signature", _("the owner rep's signature (My profile)")),
    ("owner.scheduling_url", _("the owner rep's booking page (My profile)")),
    ("last_touch.date", _("date of the last counted touch")),
    ("last_touch.kind", _("what the last touch was")),
    ("last_meeting.date", _("date of the last meeting")),
    ("contract.plan", _("plan of the contract this mail is about")),
    ("contract.lapse_date", _("the contract's lapse date")),
    ("contract.days_left", _("days until it lapses (negative after)")),
    ("contract.loses", _("what is lost on lapse (the playbook's “what lapses”; may be empty)")),
    ("rescue.options", _("list of options, each with .label and .url")),
    ("rescue.deadline", _("last day to choose an option")),
    ("unsubscribe_url", _("link to unsubscribe")),
    ("preferences_url", _("link to mail preferences")),
)


def merge_context(*, contact, contract=None, links=None, now=None, language=None, last_meeting_at=_UNSET):
    """The merge fields for one message to `contact` (about `contract`, with the engine's `links`).

    `links`: {"unsubscribe_url", "preferences_url", "rescue_options": [{"label", "url"}],
    "rescue_deadline", "contract_loses"} as made for this message (campaigns.rescue supplies the
    playbook's part); missing ones are empty.
    `language` translates the touch-kind label (the template's language).
    """
    contact = _with_relations(contact)
    links = links or {}
    tz = workspace_tz()
    if last_meeting_at is _UNSET:
        last_meeting_at = last_meetings([contact.pk]).get(contact.pk)
    return {
        "contact": _contact(contact),
        "owner": _owner(contact.owner),
        "last_touch": {"date": _local_date(contact.last_touch_at, tz),
                       "kind": _kind_label(contact.last_touch_kind, language)},
        "last_meeting": {"date": _local_date(last_meeting_at, tz)},
        "contract": _contract(contract, today=workspace_today(now=now), loses=links.get("contract_loses")),
        "rescue": {"options": [{"label": str(option.get("label") or ""), "url": str(option.get("url") or "")}
                               for option in links.get("rescue_options") or ()],
                   "deadline": _iso(links.get("rescue_deadline"), tz)},
        "unsubscribe_url": str(links.get("unsubscribe_url") or ""),
        "preferences_url": str(links.get("preferences_url") or ""),
    }


def last_meetings(contact_ids):
    """{contact id: time of the latest meeting not flagged as a bot} for many contacts, in one query."""
    rows = (TouchEvent.objects.filter(contact_id__in=list(contact_ids), kind=TouchKind.MEETING, flagged_as_bot=False)
            .values("contact_id").annotate(last=Max("occurred_at")).values_list("contact_id", "last"))
    return dict(rows)


def _with_relations(contact):
    """The contact with company, owner and the owner's rep profile loaded (one query unless already so)."""
    cached = Contact.company.is_cached(contact) or contact.company_id is None
    cached = cached and (contact.owner_id is None or (
        Contact.owner.is_cached(contact) and type(contact.owner).rep_profile.is_cached(contact.owner)))
    if cached:
        return contact
    return Contact.objects.select_related(*MERGE_RELATED).get(pk=contact.pk)


def _contact(contact):
    return {
        "first_name": contact.first_name, "last_name": contact.last_name, "full_name": contact.full_name,
        "company": contact.company.name if contact.company_id else "", "title": contact.title,
        "email": contact.email,
    }


def person_name(user):
    """A rep's name as Japanese business mail writes it: family name first (also the From of personal mail)."""
    return " ".join(part for part in (user.last_name, user.first_name) if part) or user.username


def _owner(user):
    if user is None:
        return {"name": "", "email": "", "signature": "", "scheduling_url": ""}
    name = person_name(user)
    try:
        profile = user.rep_profile
    except ObjectDoesNotExist:
        profile = None
    signature = (profile.signature.strip() if profile else "") or "\n".join(filter(None, (name, user.email)))
    return {"name": name, "email": user.email, "signature": signature,
            "scheduling_url": profile.scheduling_url if profile else ""}


def _contract(contract, *, today, loses):
    if contract is None:
        return {"plan": "", "lapse_date": "", "days_left": "", "loses": ""}
    # What is lost on lapse is not a contract field: the playbook says it ("what lapses"), through `links`.
    return {"plan": contract.plan, "lapse_date": contract.expires_at.isoformat(),
            "days_left": contract.days_left(today), "loses": str(loses or "")}


def _kind_label(kind, language):
    if not kind:
        return ""
    label = dict(TouchKind.choices).get(kind, kind)
    if language:
        with translation.override(language):
            return str(label)
    return str(label)


def _local_date(moment, tz):
    return moment.astimezone(tz).date().isoformat() if moment else ""


def _iso(value, tz):
    """A date, a datetime (read in the workspace zone) or a string, as YYYY-MM-DD; empty when missing."""
    if not value:
        return ""
    if hasattr(value, "astimezone") and hasattr(value, "hour"):
        return value.astimezone(tz).date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)[:10]
