"""The rescue playbook, running for about 90 days over every active contract.

One timeline per contract enrolled when the playbook started (the phases
already past then are skipped: campaigns.flows.rules.first_reachable), each
phase due at 10:00 on its day (playbook_due_at), moved out of quiet hours
when sent. Customers choose an option between the notice and the deadline
(rescue_deadline) at different distances from it; a choice, a renewal or a
cancellation ends the timeline (the exit reasons the engine applies).
Renewals are recorded as a contract import records them: the old contract
becomes *renewed* and the next term is a new active contract; an extension
moves the lapse date later; a lapse is the status *lapsed*.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.utils import translation

from campaigns.flows.advance import call_note
from campaigns.flows.enrol import timelines_create
from campaigns.flows.rules import ExitReason, playbook_due_at, rescue_deadline
from campaigns.models import (
    CallTask,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    FlowSettings,
    RescueChoice,
    RescueOptionKind,
    StepKind,
)
from campaigns.rescue import CHOICE_TOUCH_PREFIX
from contacts.models import Contact, ContactStatus, Contract, ContractStatus, TouchKind
from contacts.rules import workspace_today, workspace_tz

from .common import between, call_task_settle, chance, local_moment, office_hours, pick, touch, touches_store
from .mail import MailPlan, contacts_facts, mailable
from .reactions import Rates, mail_reactions
from .setup import flow_started

STARTED_DAYS_AGO = 90
RATES = Rates(open=0.5, open_b=0.5, click=0.22, pricing=0.2, case_study=0.1, visit=0.02, download=0.0, reply=0.04,
              meeting=0.3)
DAY = timedelta(days=1)
# Days before the deadline a choice was made, and how often.
CHOICE_DAYS = [(20, 2), (14, 2), (10, 1), (6, 2), (4, 2), (2, 1), (1, 1), (0, 1)]
OPTION_WEIGHTS = {RescueOptionKind.RENEW: 55, RescueOptionKind.REDUCED: 25, RescueOptionKind.EXTENSION: 20}
RENEWS_AFTER_CHOICE = {RescueOptionKind.RENEW: 0.92, RescueOptionKind.REDUCED: 0.85, RescueOptionKind.EXTENSION: 0.9}
CALL_OUTCOMES = [("reached", 5), ("no_answer", 3), ("meeting_booked", 1)]


@dataclass
class Timeline:
    contract: dict
    steps: list  # (step, due) reachable when enrolled
    exit_at: object = None
    exit_reason: str = ""
    option: object = None
    chosen_at: object = None
    renewed_at: object = None
    lapsed: bool = False


def playbook_run(campaign, *, seed, now, stats):
    """Timelines, deliveries, call tasks, choices and renewals of the demo playbook; returns its choices."""
    tz, today = workspace_tz(), workspace_today(now=now)
    started = local_moment(today - timedelta(days=STARTED_DAYS_AGO), 9, 30)
    steps = list(campaign.steps.order_by("position"))
    options = list(campaign.rescue_options.order_by("position"))
    flow = FlowSettings.objects.get(campaign=campaign)
    notice = next((step.offset_days for step in steps if step.phase == "notice"), None)
    contracts = list(Contract.objects.filter(expires_at__gte=started.date() - timedelta(days=max(
        step.offset_days for step in steps))).filter(
        # Active contracts, and those that lapsed since despite the playbook (a cancelled one was cancelled before
        # it started: never enrolled).
        Q(status=ContractStatus.ACTIVE) | Q(status=ContractStatus.LAPSED, expires_at__lte=today))
        .order_by("external_id", "contact__email")
        .values("id", "external_id", "contact_id", "contact__email", "expires_at", "plan", "amount", "status"))
    facts = contacts_facts({contract["contact_id"] for contract in contracts})
    timelines = []
    for contract in contracts:
        lapse = contract["expires_at"]
        reachable = [(step, playbook_due_at(lapse, step.offset_days, tz)) for step in steps
                     if lapse + timedelta(days=step.offset_days) >= started.date()]
        if reachable:
            timeline = Timeline(contract=contract, steps=reachable)
            _outcome(timeline, seed=seed, now=now, started=started, today=today, options=options,
                     deadline=rescue_deadline(flow, lapse, notice), notice=notice, tz=tz,
                     mailable=mailable(facts[contract["contact_id"]]))
            timelines.append(timeline)
    enrollments = _enrollments_write(campaign, timelines, started=started, now=now)
    plan, touches = MailPlan(seed=seed, now=now), []
    calls = []
    for timeline in timelines:
        key = f"{timeline.contract['external_id']}:{timeline.contract['contact__email']}"
        for step, due in _performed(timeline, now):
            if step.kind == StepKind.CALL_TASK:
                calls.append((timeline, step, due, key))
            else:
                plan.mail(step=step, contact=facts[timeline.contract["contact_id"]], due=due,
                          key=f"pb{step.position}:{key}", contract_id=timeline.contract["id"])
    rows = plan.write(stats)
    _call_tasks_write(campaign, calls, enrollments, facts, seed=seed, now=now, stats=stats)
    # Reactions are keyed by natural keys (address, phase, contract number): the same seed, the same story.
    numbers = {t.contract["id"]: t.contract["external_id"] for t in timelines}
    positions = {step.pk: step.position for step in steps}
    sent = [{"contact_id": row.contact_id, "sent_at": row.sent_at,
             "email": f"{row.to_email}:{positions[row.step_id]}:{numbers[row.contract_id]}"}
            for row in rows if row.status == DeliveryStatus.SENT]
    touches += mail_reactions(sent, rates=RATES, campaign_name=campaign.name, seed=seed, purpose="playbook")[0]
    choices = _choices_write(campaign, timelines, touches, stats=stats)
    touches_store(touches, now=now, stats=stats)
    _renewals_write(timelines, stats=stats)
    flow_started(campaign, created=started - timedelta(days=1), started=started)
    stats.add("playbook_timelines", len(timelines))
    return choices


def _outcome(timeline, *, seed, now, started, today, options, deadline, notice, tz, mailable):
    """Only a contact the notice could reach (the options link is in it) chooses an option."""
    contract = timeline.contract
    key, lapse = f"{contract['external_id']}:{contract['contact__email']}", contract["expires_at"]
    if contract["status"] == ContractStatus.CANCELLED:
        cancelled = office_hours(local_moment(lapse - timedelta(days=5 + int(35 * chance(seed, "cancel", key))), 11),
                                 seed, key)
        timeline.exit_at, timeline.exit_reason = max(cancelled, started + DAY), ExitReason.CONTRACT_ENDED
        return
    notice_at = playbook_due_at(lapse, notice, tz) if notice is not None else None
    if mailable and notice_at and started <= notice_at <= now and chance(seed, "choose", key) < 0.5:
        days = pick(seed, "choice-day", key, CHOICE_DAYS)
        chosen = local_moment(deadline - timedelta(days=days), 8 + int(13 * chance(seed, "choice-hour", key)),
                              int(59 * chance(seed, "choice-minute", key)))
        chosen = max(chosen, notice_at + between(seed, "choice-read", key, timedelta(hours=1), timedelta(hours=30)))
        if chosen <= min(now, local_moment(deadline, 23, 59)):
            kind = pick(seed, "option", key, list(OPTION_WEIGHTS.items()))
            timeline.option = next(option for option in options if option.kind == kind)
            timeline.chosen_at, timeline.exit_at, timeline.exit_reason = chosen, chosen, ExitReason.OPTION_CHOSEN
            if chance(seed, "renews", key) < RENEWS_AFTER_CHOICE[kind]:
                renewed = office_hours(chosen + between(seed, "renew-at", key, 2 * DAY, 10 * DAY), seed, key)
                timeline.renewed_at = renewed if renewed <= now else None
            return
    if chance(seed, "direct-renewal", key) < 0.35:
        renewed = office_hours(local_moment(lapse - timedelta(days=3 + int(25 * chance(seed, "direct-at", key))), 10),
                               seed, key)
        if started + DAY <= renewed <= now:
            timeline.renewed_at, timeline.exit_at, timeline.exit_reason = renewed, renewed, ExitReason.RENEWED
            return
    timeline.lapsed = (contract["status"] == ContractStatus.ACTIVE and lapse < today - timedelta(days=7)
                       and chance(seed, "lapse-recorded", key) < 0.8)


def _performed(timeline, now):
    return [(step, due) for step, due in timeline.steps
            if due <= now and (timeline.exit_at is None or due < timeline.exit_at)]


def _enrollments_write(campaign, timelines, *, started, now):
    rows = []
    for timeline in timelines:
        done = _performed(timeline, now)
        ahead = [(step, due) for step, due in timeline.steps if (step, due) not in done]
        row = Enrollment(campaign=campaign, contact_id=timeline.contract["contact_id"],
                         contract_id=timeline.contract["id"], entered_at=started)
        if timeline.exit_at is not None and timeline.exit_at <= now:
            row.status, row.exit_reason = EnrollmentStatus.EXITED, timeline.exit_reason
            row.next_position = ahead[0][0].position if ahead else timeline.steps[-1][0].position + 1
        elif not ahead:
            row.status, row.next_position = EnrollmentStatus.COMPLETED, timeline.steps[-1][0].position + 1
        else:
            row.next_position, row.next_at = ahead[0][0].position, ahead[0][1]
        rows.append(row)
    Enrollment.objects.bulk_create(rows, batch_size=1000)
    timelines_create(campaign, {t.contract["id"]: t.contract["expires_at"] for t in timelines})
    return dict(Enrollment.objects.filter(campaign=campaign).values_list("contract_id", "id"))


def _call_tasks_write(campaign, calls, enrollments, facts, *, seed, now, stats):
    tasks = []
    with translation.override(settings.LANGUAGE_CODE):
        for timeline, step, due, key in calls:
            contract = timeline.contract
            row = {"contract_id": contract["id"], "contract__plan": contract["plan"],
                   "contract__expires_at": contract["expires_at"], "contact__last_touch_at": None,
                   "contact__last_touch_kind": ""}
            task = CallTask(step=step, enrollment_id=enrollments[contract["id"]], contact_id=contract["contact_id"],
                            assigned_to_id=facts[contract["contact_id"]]["owner_id"], due_at=due,
                            note=call_note(campaign, step, row))
            tasks.append(call_task_settle(task, seed=seed, key=key, due=due, now=now, slowest=timedelta(hours=30),
                                          settled_before=timedelta(hours=12), outcomes=CALL_OUTCOMES))
    CallTask.objects.bulk_create(tasks, batch_size=1000)
    stats.add("call_tasks", len(tasks))


def _choices_write(campaign, timelines, touches, *, stats):
    """RescueChoice rows and the form-submit touch each choice records (campaigns.rescue.rescue_choose's)."""
    chosen = [t for t in timelines if t.option is not None]
    RescueChoice.objects.bulk_create([
        RescueChoice(campaign=campaign, contract_id=t.contract["id"], contact_id=t.contract["contact_id"],
                     option=t.option, chosen_at=t.chosen_at) for t in chosen], batch_size=1000)
    for t in chosen:
        touches.append(touch(t.contract["contact_id"], TouchKind.FORM_SUBMIT, t.chosen_at,
                             detail=f"{CHOICE_TOUCH_PREFIX}{t.option.label}"))
    stats.add("rescue_choices", len(chosen))
    return [{"contact_id": t.contract["contact_id"], "at": t.chosen_at, "option": t.option.label,
             "contract": t.contract["external_id"], "expires_at": t.contract["expires_at"].isoformat()}
            for t in chosen]


def _renewals_write(timelines, *, stats):
    """Renewed: the old contract renewed and the next term a new contract (a smaller plan for the reduced
    option), or the lapse date moved a month later for an extension. Lapsed: status lapsed."""
    renewed = [t for t in timelines if t.renewed_at is not None]
    extended = {t.contract["id"]: t for t in renewed if t.option and t.option.kind == RescueOptionKind.EXTENSION}
    renewing = [t for t in renewed if t.contract["id"] not in extended]
    Contract.objects.filter(pk__in=[t.contract["id"] for t in renewing]).update(
        status=ContractStatus.RENEWED,
        updated_at=Case(*[When(pk=t.contract["id"], then=Value(t.renewed_at)) for t in renewing],
                        default=F("updated_at")))
    if extended:
        Contract.objects.filter(pk__in=list(extended)).update(
            status=ContractStatus.ACTIVE, expires_at=Case(*[When(pk=pk, then=Value(_months_later(
                t.contract["expires_at"], 1))) for pk, t in extended.items()]),
            updated_at=Case(*[When(pk=pk, then=Value(t.renewed_at)) for pk, t in extended.items()]))
    Contract.objects.bulk_create([_next_term(t) for t in renewing], batch_size=1000, ignore_conflicts=True)
    # Former customers whose lapsed contract was rescued are customers again (as a contacts import would say).
    Contact.objects.filter(pk__in=[t.contract["contact_id"] for t in renewed],
                           status=ContactStatus.FORMER_CUSTOMER).update(status=ContactStatus.CUSTOMER, lost_reason="")
    lapsed = [t.contract["id"] for t in timelines if t.lapsed]
    Contract.objects.filter(pk__in=lapsed, status=ContractStatus.ACTIVE).update(status=ContractStatus.LAPSED)
    stats.add("contracts_renewed", len(renewed))
    stats.add("contracts_lapsed", len(lapsed))


def _next_term(timeline):
    old = timeline.contract
    starts = old["expires_at"] + DAY
    reduced = timeline.option is not None and timeline.option.kind == RescueOptionKind.REDUCED
    amount = old["amount"]
    if reduced and amount is not None:
        amount = max(round(float(amount) * 0.6 / 10_000), 1) * 10_000
    number = old["external_id"].rsplit("-", 1)[-1]
    return Contract(contact_id=old["contact_id"], external_id=f"CT-{starts.year}-{number}",
                    plan="スタンダード" if reduced else old["plan"], starts_at=starts,
                    expires_at=_months_later(starts, 12) - DAY, amount=amount, status=ContractStatus.ACTIVE)


def _months_later(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)

