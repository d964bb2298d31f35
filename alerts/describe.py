"""Alerts in words: the one-line "why" and the lines of the context, translated when shown."""
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from contacts.models import ContactStatus, LostReason, TouchKind

from .models import TriggerKind


def _label(choices, value):
    return str(choices(value).label) if value in choices.values else (value or "")


def when(value):
    """An ISO time from a context, in the workspace zone, as the active language writes it."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def why_text(why):
    kind = why.get("kind")
    if kind == TriggerKind.DORMANT_RETURN:
        return _("Dormant contact came back (%(rules)s): %(touch)s") % {
            "rules": ", ".join(why.get("rules", [])), "touch": _label(TouchKind, why.get("touch"))}
    if kind == TriggerKind.PAGE_VIEW:
        return _("Viewed %(url)s") % {"url": why.get("url", "")}
    if kind == TriggerKind.HOT_SCORE:
        return _("Score %(score)s reached the hot-lead threshold %(threshold)s") % {
            "score": why.get("score"), "threshold": why.get("threshold")}
    if kind == TriggerKind.REPLY_OR_FORM:
        return _("%(touch)s: %(detail)s") % {"touch": _label(TouchKind, why.get("touch")),
                                             "detail": why.get("detail") or "—"}
    if kind == TriggerKind.RESCUE_CHOICE:
        return _("Chose “%(option)s” for contract %(contract)s") % {
            "option": why.get("option", ""), "contract": why.get("contract", "")}
    return ""


def context_lines(context):
    """[(label, text)] of everything but the visit: for the email and the webhook."""
    contact, owner = context.get("contact", {}), context.get("owner")
    lines = [
        (_("Contact"), " / ".join(part for part in (contact.get("name"), contact.get("company"), contact.get("title"))
                                  if part)),
        (_("Phone"), contact.get("phone") or "—"),
        (_("Email"), contact.get("email") or "—"),
        (_("Owner"), owner["name"] if owner else _("Unassigned")),
        (_("Status"), _label(ContactStatus, contact.get("status")) or "—"),
        (_("Dormant by"), ", ".join(context.get("dormant_by", [])) or "—"),
        (_("Lost reason"), _label(LostReason, contact.get("lost_reason")) or "—"),
        (_("Deal stage"), contact.get("deal_stage") or "—"),
        (_("Score"), str(context.get("score", 0))),
    ]
    if context.get("previous_touch_at"):
        silent = context.get("silent_days")
        text = when(context["previous_touch_at"])
        if silent:
            text = _("%(when)s (silent for %(days)s days)") % {"when": text, "days": silent}
        lines.append((_("Previous touch"), text))
    elif context.get("visit"):
        lines.append((_("Previous touch"), _("None recorded")))
    if context.get("campaign"):
        lines.append((_("Brought back by"), context["campaign"]))
    for contract in context.get("contracts", []):
        lines.append((_("Contract"), _("%(id)s %(plan)s, lapses %(date)s") % {
            "id": contract["id"], "plan": contract.get("plan") or "", "date": contract["expires_at"]}))
    return lines


def visit_lines(context):
    """[(time, "Kind URL — title or detail")] for the touches of the visit."""
    lines = []
    for touch in context.get("visit", []):
        parts = [str(_label(TouchKind, touch["kind"])), touch.get("url") or "", touch.get("detail") or ""]
        text = " ".join(part for part in parts[:2] if part)
        lines.append((when(touch["at"]), f"{text} — {parts[2]}" if parts[1] and parts[2] else text + (
            f" {parts[2]}" if parts[2] else "")))
    return lines
