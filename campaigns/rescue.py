"""Rescue options of a playbook: the signed options-page link, the deadline, and recording a choice.

The link is /r/<signed>/ where <signed> is the timeline's random token
signed with a salt (django.core.signing): opaque (no database id), and a
tampered or foreign value fails the signature or finds no timeline → 404
before anything is read or written. It does not expire by itself: after the
deadline the page still opens and says so, offering the owner rep instead.

A choice is recorded once per (playbook, contract) by a unique constraint;
it stops that contract's timeline, withdraws its queued mails, emails the
owner rep after commit, and is recorded as a `form_submit` touch on the
contact (a customer choosing an option is the strongest sign of interest
there is; scoring and "active again" exits see it like any form).
"""
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from contacts.models import TouchKind, TouchSource
from contacts.rules import workspace_today
from contacts.services import touch_event_record

from .flows.exits import deliveries_withdraw
from .flows.rules import ExitReason, rescue_deadline
from .models import (
    CampaignKind,
    CampaignStep,
    Enrollment,
    EnrollmentStatus,
    FlowSettings,
    PlaybookPhase,
    PlaybookTimeline,
    RescueChoice,
    RescueOption,
)

SALT = "campaigns.rescue.options"


def rescue_token(timeline):
    return signing.Signer(salt=SALT).sign(timeline.token)


def timeline_for_token(signed):
    """The timeline a link names, or None for anything tampered, truncated or unknown."""
    try:
        raw = signing.Signer(salt=SALT).unsign(signed)
    except signing.BadSignature:
        return None
    return (PlaybookTimeline.objects.select_related("campaign__flow", "contract", "enrollment__contact__owner")
            .filter(token=raw, campaign__kind=CampaignKind.PLAYBOOK).first())


def rescue_url(timeline):
    return f"{settings.PUBLIC_BASE_URL}{reverse('rescue:options', args=[rescue_token(timeline)])}"


def deadline_for(timeline):
    notice = timeline.campaign.steps.filter(phase=PlaybookPhase.NOTICE).values_list("offset_days", flat=True).first()
    flow = FlowSettings.objects.get_or_create(campaign_id=timeline.campaign_id)[0]
    return rescue_deadline(flow, timeline.lapse_date, notice)


EMPTY_LINKS = {"rescue_options": [], "rescue_deadline": None, "contract_loses": ""}
# The detail of the form-submit touch a choice records: alerts tell it from other forms by it (the choice has
# its own trigger, "rescue option chosen").
CHOICE_TOUCH_PREFIX = "rescue option: "


def rescue_links(delivery):
    """For one delivery: see rescue_links_for."""
    return rescue_links_for([delivery])[delivery.pk]


def rescue_links_for(deliveries):
    """For the sending engine, per delivery id: {"rescue_options": [{"label", "url"}], "rescue_deadline":
    "YYYY-MM-DD" | None, "contract_loses": str} for playbook mail about a contract, empty values otherwise.

    Three queries for a whole batch (timelines with their flow settings,
    options, notice offsets), whatever its size.
    """
    pairs = {(d.step.campaign_id, d.contract_id) for d in deliveries if d.contract_id}
    if not pairs:
        return {d.pk: EMPTY_LINKS for d in deliveries}
    campaigns = {campaign_id for campaign_id, _contract in pairs}
    timelines = {(t.campaign_id, t.contract_id): t for t in PlaybookTimeline.objects.select_related("campaign__flow")
                 .filter(campaign_id__in=campaigns, contract_id__in={contract for _c, contract in pairs})}
    options = {}
    for option in RescueOption.objects.filter(campaign_id__in=campaigns).order_by("campaign_id", "position"):
        options.setdefault(option.campaign_id, []).append(option)
    notices = dict(CampaignStep.objects.filter(campaign_id__in=campaigns, phase=PlaybookPhase.NOTICE)
                   .values_list("campaign_id", "offset_days"))
    links = {}
    for delivery in deliveries:
        timeline = timelines.get((delivery.step.campaign_id, delivery.contract_id)) if delivery.contract_id else None
        if timeline is None:
            links[delivery.pk] = EMPTY_LINKS
            continue
        url, flow = rescue_url(timeline), timeline.campaign.flow
        deadline = rescue_deadline(flow, timeline.lapse_date, notices.get(timeline.campaign_id))
        links[delivery.pk] = {
            "rescue_options": [{"label": option.label, "url": f"{url}?option={option.position}"}
                               for option in options.get(timeline.campaign_id, ())],
            "rescue_deadline": deadline.isoformat(),
            "contract_loses": flow.lapse_text,
        }
    return links


def rescue_page(timeline, *, now):
    """What the options page shows: the contract, the options, the deadline, a recorded choice."""
    today = workspace_today(now=now)
    deadline = deadline_for(timeline)
    choice = RescueChoice.objects.select_related("option").filter(
        campaign_id=timeline.campaign_id, contract_id=timeline.contract_id).first()
    return {
        "timeline": timeline, "contract": timeline.contract, "contact": timeline.enrollment.contact,
        "owner": timeline.enrollment.contact.owner, "flow": timeline.campaign.flow,
        "options": list(timeline.campaign.rescue_options.order_by("position")), "deadline": deadline,
        "closed": today > deadline, "choice": choice, "days_left": (timeline.contract.expires_at - today).days,
    }


class RescueClosed(ValidationError):
    """The deadline has passed: nothing is recorded."""


def rescue_choose(*, timeline, position, now):
    """Record the customer's choice (once); returns (choice, created). Raises RescueClosed after the deadline."""
    option = RescueOption.objects.filter(campaign_id=timeline.campaign_id, position=position).first()
    if option is None:
        raise ValidationError(_("Please choose one of the options."))
    if workspace_today(now=now) > deadline_for(timeline):
        raise RescueClosed(_("The deadline for choosing has passed."))
    contact = timeline.enrollment.contact
    with transaction.atomic():
        choice, created = RescueChoice.objects.get_or_create(
            campaign_id=timeline.campaign_id, contract_id=timeline.contract_id,
            defaults={"option": option, "contact": contact, "chosen_at": now})
        if created:
            Enrollment.objects.filter(pk=timeline.enrollment_id, status=EnrollmentStatus.ACTIVE).update(
                status=EnrollmentStatus.EXITED, exit_reason=ExitReason.OPTION_CHOSEN, next_at=None)
            deliveries_withdraw(timeline.campaign, contract=timeline.contract)
            touch_event_record(contact=contact, kind=TouchKind.FORM_SUBMIT, occurred_at=now,
                               detail=f"{CHOICE_TOUCH_PREFIX}{option.label}"[:1000], source=TouchSource.TRACKING)
            transaction.on_commit(lambda: owner_notify(choice_id=choice.pk))
    return choice, created


def owner_notify(*, choice_id):
    """Email the contact's owner rep (or, without one, whoever built the playbook) about a choice."""
    choice = RescueChoice.objects.select_related("contact__owner", "contract", "option", "campaign__created_by").get(
        pk=choice_id)
    to = choice.contact.owner or choice.campaign.created_by
    if to is None or not to.email:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(contact)s chose “%(option)s” for contract %(contract)s") % {
            "contact": choice.contact, "option": choice.option.label, "contract": choice.contract}
        body = _("%(contact)s (%(email)s) chose “%(option)s” on the rescue options page of “%(campaign)s”.\n\n"
                 "Contract: %(contract)s, lapse date %(date)s.\nThe playbook has stopped for this contract; "
                 "please follow up.\n\n%(url)s") % {
            "contact": choice.contact, "email": choice.contact.email, "option": choice.option.label,
            "campaign": choice.campaign.name, "contract": choice.contract, "date": choice.contract.expires_at,
            "url": f"{settings.PUBLIC_BASE_URL}{reverse('contacts:detail', args=[choice.contact_id])}"}
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to.email])
