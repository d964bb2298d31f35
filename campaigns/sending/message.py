"""A claimed delivery → the MIME message that goes to SMTP, with what the law and the mailbox providers ask.

Every marketing mail gets the sender's name, organisation, postal address
and inquiry contact in a footer (text and HTML) with an unsubscribe sentence
and link, `List-Unsubscribe` (https one-click and mailto) with
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), and a
Message-ID derived from the delivery id, so a message sent twice would be
recognisable as the same one. HTML mail gets an open pixel, and each http(s)
link is replaced by a signed click URL that carries its destination
(signed_links: the click endpoint needs no database read), or /m/c/TOKEN/N
for a destination too long to carry (and /m/o/TOKEN.gif, /m/c/TOKEN/N for
ids too large for the signed form). The destinations are returned so they
are stored (DeliveryLink) before the message leaves.
"""
import html
import re
import time
from dataclasses import dataclass
from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.html import escape, format_html
from django.utils.translation import gettext as _

from campaigns.merge import person_name
from campaigns.models import TemplateStyle
from campaigns.templating import render_message
from contacts.rules import is_valid_email

from . import signed_links

MAX_LINKS = 200
MAX_URL_CHARS = 2000
_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']+)""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    message: EmailMultiAlternatives
    to_email: str
    message_id: str
    links: tuple  # destinations, position 1 first
    previous_attempts: int = 0  # claims before this rendering (a retry has links stored already)


def public_url(path):
    return f"{settings.PUBLIC_BASE_URL}{path}"


def unsubscribe_page_url(token):
    return public_url(f"/m/u/{token}/")


def message_id_for(delivery_id, domain):
    """<rk.ID.MAC@domain>: the same delivery always gets the same Message-ID; the MAC keeps installs apart."""
    mac = salted_hmac("campaigns.sending.message-id", str(delivery_id)).hexdigest()[:16]
    return f"<rk.{delivery_id}.{mac}@{domain}>"


def safe_http_url(url):
    """True for an absolute http(s) URL with a host, nothing that browsers read differently from us."""
    if not url or len(url) > MAX_URL_CHARS or "\\" in url or any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        return False
    if not url.lower().startswith(("http://", "https://")):
        return False
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(hostname) and not parts.username and not parts.password


def rewrite_links(body_html, token, *, signer=None):
    """(html with tracked links, destinations): each safe http(s) link → its tracked URL (same URL, same N).

    `signer` (url → signed path or None) gives the signed form; without it, or
    for a URL it cannot carry, the link is /m/c/TOKEN/N.
    """
    own = public_url("/m/")
    links = []

    def replace(match):
        prefix, quoted = match.group(1), match.group(2)
        raw = quoted[1:-1] if quoted[:1] in "\"'" else quoted
        url = html.unescape(raw).strip()
        if url.lower().startswith(_UNSAFE_SCHEMES):
            return f'{prefix}"#"'
        if url.startswith(own) or not safe_http_url(url):
            return match.group(0)
        if url not in links:
            if len(links) >= MAX_LINKS:
                return match.group(0)
            links.append(url)
        path = (signer and signer(url)) or f"/m/c/{token}/{links.index(url) + 1}"
        return f'{prefix}"{escape(public_url(path))}"'

    return _HREF.sub(replace, body_html), tuple(links)


def footer(sender, *, unsubscribe_url):
    """(text, html) footer in the active language: who sends, where they are, whom to ask, how to opt out."""
    lines = [sender.from_name + (f" / {sender.organisation}" if sender.organisation else ""),
             *[line.strip() for line in sender.postal_address.splitlines() if line.strip()],
             _("Inquiries: %(contact)s") % {"contact": sender.inquiry_contact}]
    opt_out = _("To stop receiving these emails, go to the %(link)s.")
    text = "\n".join(["", "--", *lines, opt_out % {"link": unsubscribe_url}, ""])
    link = format_html('<a href="{}">{}</a>', unsubscribe_url, _("unsubscribe page"))
    html_lines = "<br>".join(escape(line) for line in lines)
    body = format_html('<div class="rk-footer" style="margin-top:24px;padding-top:12px;border-top:1px solid #ddd;'
                       'font-size:12px;color:#666;line-height:1.6">{}<br>{}</div>',
                       html_lines, opt_out_html(opt_out, link))
    return text, str(body)


def opt_out_html(sentence, link):
    # The sentence is ours (translated), the link already escaped: escape the sentence, then put the link in.
    template = str(escape(sentence)).replace("{", "{{").replace("}", "}}").replace("%(link)s", "{}")
    return format_html(template, link)


def _insert_before_body_end(body_html, addition):
    matches = list(_BODY_END.finditer(body_html))
    if not matches:
        return body_html + addition
    at = matches[-1].start()
    return body_html[:at] + addition + body_html[at:]


def _addresses(delivery, template):
    """(From, Reply-To list): a personal mail comes from the owner rep; everything else from the profile."""
    sender, owner = delivery.step.campaign.sender, delivery.contact.owner
    if template.style == TemplateStyle.PERSONAL and owner is not None and is_valid_email(owner.email or ""):
        name = person_name(owner)
        return formataddr((name, owner.email)), [owner.email]
    reply_to = [sender.reply_to] if sender.reply_to else []
    return formataddr((sender.from_name, sender.from_email)), reply_to


def build_message(delivery, context, *, issued=None):
    """Render and assemble the message for a claimed delivery (raises TemplateError).

    `issued` (epoch seconds, default now) goes into the signed open and click
    URLs: the endpoints read "seconds since sending" from it without a query.
    """
    step, sender = delivery.step, delivery.step.campaign.sender
    template = step.template_b if delivery.variant == "B" and step.template_b_id else step.template
    token, to_email = delivery.token, delivery.contact.email
    rendered = render_message({"subject": template.subject, "body_text": template.body_text,
                               "body_html": template.body_html if template.style != TemplateStyle.PERSONAL else ""},
                              context)
    unsubscribe_url = unsubscribe_page_url(token)
    with translation.override(template.language):
        text_footer, html_footer = footer(sender, unsubscribe_url=unsubscribe_url)
    links = ()
    body_html = rendered.html
    if body_html:
        issued = int(time.time() if issued is None else issued)
        ids = (delivery.pk, delivery.contact_id, issued)
        body_html, links = rewrite_links(body_html, token, signer=lambda url: signed_links.click_path(*ids, url))
        pixel_path = signed_links.open_path(*ids) or f"/m/o/{token}.gif"  # None: an id too large to sign
        pixel = (f'<img src="{escape(public_url(pixel_path))}" width="1" height="1" alt="" '
                 'style="display:block;border:0;width:1px;height:1px">')
        body_html = _insert_before_body_end(body_html, html_footer + pixel)
    body_text = rendered.text or _text_from_html(rendered.html)
    from_header, reply_to = _addresses(delivery, template)
    domain = sender.from_email.rsplit("@", 1)[-1]
    message_id = message_id_for(delivery.pk, domain)
    mailto = sender.unsubscribe_email or sender.from_email
    message = EmailMultiAlternatives(
        subject=rendered.subject, body=body_text.rstrip("\n") + "\n" + text_footer, from_email=from_header,
        to=[to_email], reply_to=reply_to,
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{public_url(f'/m/u/{token}/one-click')}>, "
                                f"<mailto:{mailto}?subject=unsubscribe-{token}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    if body_html:
        message.attach_alternative(body_html, "text/html")
    return Outgoing(delivery_id=delivery.pk, message=message, to_email=to_email, message_id=message_id, links=links,
                    previous_attempts=delivery.attempts)


def _text_from_html(body_html):
    """A plain-text part for an HTML-only template: the HTML with tags dropped (a fallback, not a converter)."""
    return html.unescape(re.sub(r"<[^>]+>", "", body_html or ""))
