"""Read-only queries and the preview for the template library, sender profiles and sending settings.

The preview renders a template exactly as the sending engine will (same
sandbox, same merge fields from campaigns.merge) for a real contact, with
sample links in place of the per-message ones, which exist only once a
message is sent.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings

from contacts.models import Contact, Contract, ContractStatus
from contacts.selectors import SEARCH_ALIASES, search_q

from .merge import MERGE_RELATED, merge_context, sample_context
from .models import MessageTemplate, SenderProfile, TemplateStyle
from .starter import KEYS as STARTER_KEYS
from .templating import TemplateError, referenced_names, render_message

CONTACT_SEARCH_LIMIT = 10
# The option deadline the preview shows for a real contract (the campaign sets the real one).
PREVIEW_DEADLINE_BEFORE_LAPSE = timedelta(days=7)


def preview_links(language, contract):
    """The sample's links, options and what-lapses text, in the shape the sending engine passes them.

    They exist only per sent message (or per playbook), so a preview borrows
    the sample's; the options' deadline follows the chosen contract.
    """
    sample = sample_context(language)
    return {"unsubscribe_url": sample["unsubscribe_url"], "preferences_url": sample["preferences_url"],
            "rescue_options": sample["rescue"]["options"],
            "rescue_deadline": contract.expires_at - PREVIEW_DEADLINE_BEFORE_LAPSE if contract else "",
            "contract_loses": sample["contract"]["loses"]}


def template_library():
    """(own templates, starter templates): what marketers wrote first, then what ships with Rekindle.

    Starters follow the library's order (a contact's life: check-in, content,
    webinar, then the rescue playbook), Japanese first. Each template carries
    `sample_subject`, its subject as the sample contact would read it.
    """
    templates = list(MessageTemplate.objects.select_related("created_by").order_by("name", "id"))
    for template in templates:
        template.sample_subject = _sample_subject(template)
    order = {key: index for index, key in enumerate(STARTER_KEYS)}
    return ([t for t in templates if not t.is_starter],
            sorted((t for t in templates if t.is_starter),
                   key=lambda t: (order.get(t.starter_key, len(order)), t.starter_key, t.language != "ja")))


def _sample_subject(template):
    try:
        return render_message({"subject": template.subject}, sample_context(template.language)).subject
    except TemplateError:
        return template.subject


def template_fields(template):
    return {"subject": template.subject, "body_text": template.body_text,
            "body_html": template.body_html if template.style == TemplateStyle.NEWSLETTER else ""}


def template_uses_contract(template):
    """Whether any field reads contract or rescue fields (only then does the preview offer a contract)."""
    names = set()
    for source in template_fields(template).values():
        names |= referenced_names(source)
    return bool(names & {"contract", "rescue"})


def preview_contact_search(text):
    """Contacts whose name, email or company matches `text` (the contact list's search), first ten."""
    text = (text or "").strip()
    if not text:
        return []
    return list(Contact.objects.alias(**SEARCH_ALIASES).filter(search_q(text)).select_related("company")
                .order_by("last_name", "first_name", "id")[:CONTACT_SEARCH_LIMIT])


def preview_contact(contact_id):
    """The contact with everything merge_context reads (one query), or None for a bad or unknown id."""
    if not str(contact_id or "").isdigit():
        return None
    return Contact.objects.select_related(*MERGE_RELATED).filter(pk=int(contact_id)).first()


def preview_contracts(contact):
    """The contact's contracts, the one a playbook would most likely be about first.

    Active contracts by nearest lapse date, then the others by latest lapse date.
    """
    contracts = list(Contract.objects.filter(contact=contact).order_by("expires_at", "id"))
    active = [c for c in contracts if c.status == ContractStatus.ACTIVE]
    return active + [c for c in reversed(contracts) if c.status != ContractStatus.ACTIVE]


@dataclass
class Preview:
    subject: str = ""
    text: str = ""
    html: str = ""
    from_header: str = ""
    reply_to: str = ""
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    uses_sample: bool = False


def template_preview(*, template, contact=None, contract=None, now=None):
    """Render `template` for `contact` (sample data when None) with the From and Reply-To it would carry."""
    if contact is None:
        context = sample_context(template.language)
    else:
        context = merge_context(contact=contact, contract=contract, links=preview_links(template.language, contract),
                                now=now, language=template.language)
    preview = Preview(uses_sample=contact is None)
    try:
        rendered = render_message(template_fields(template), context)
    except TemplateError as error:
        preview.problems = error.problems
    else:
        preview.subject, preview.text, preview.html = rendered.subject, rendered.text, rendered.html
    preview.from_header, preview.reply_to, preview.warnings = _sender_lines(template, context)
    return preview


def _sender_lines(template, context):
    """From, Reply-To and anything missing: the owner rep for a personal mail, else the default sender profile."""
    if template.style == TemplateStyle.PERSONAL:
        owner = context["owner"]
        if not owner["email"]:
            return "", "", ["no_owner"]
        return _address(owner["name"], owner["email"]), owner["email"], []
    profile = default_sender_profile()
    if profile is None:
        return _address("", settings.DEFAULT_FROM_EMAIL), "", ["no_sender"]
    return _address(profile.from_name, profile.from_email), profile.reply_to, []


def default_sender_profile():
    return SenderProfile.objects.order_by("-is_default", "name", "id").first()


def _address(name, email):
    """'Name <address>' as people read it; a name with address punctuation is quoted (RFC 5322)."""
    if not name:
        return email
    if any(ch in name for ch in '",<>@;:()[]\\'):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{email}>"
