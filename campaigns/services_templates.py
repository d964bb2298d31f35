"""State changes for the template library, sender profiles, mail topics and sending settings; the test send.

A template is saved only when it renders: every problem `template_problems`
finds against the sample merge fields is raised as a ValidationError on its
field, with its line, and nothing is written. Starters (the library shipped
with Rekindle) are read-only: they are copied, never changed, so the
migration that loaded them keeps meaning what it says.
"""
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from .merge import SAMPLE_CONTEXT
from .models import MailTopic, MessageTemplate, SenderProfile, SendingSettings, TemplateStyle
from .selectors_templates import template_preview
from .starter import CURRENT as STARTER_LIBRARY
from .templating import FIELDS, template_problems

TEMPLATE_FIELDS = ("name", "style", "language", "subject", "body_text", "body_html")
SENDER_FIELDS = ("name", "from_name", "from_email", "reply_to", "organisation", "postal_address", "inquiry_contact",
                 "unsubscribe_email", "is_default")
TOPIC_FIELDS = ("name", "name_en", "description", "description_en", "position", "is_active")
QUOTE_CHARS = 60
SENDING_FIELDS = ("frequency_cap_count", "frequency_cap_days", "quiet_start", "quiet_end", "quiet_weekends",
                  "quiet_holidays", "rate_per_minute")


def template_validate(fields):
    """Raise ValidationError {field: ["Line 3 (“…”): …"]} for every problem the template has; return nothing.

    The line's own text is quoted: a textarea shows no line numbers, and the
    marketer should not have to count.
    """
    sources = {name: fields.get(name) or "" for name in FIELDS}
    errors = {}
    for field, line, message in template_problems(sources, SAMPLE_CONTEXT):
        errors.setdefault(field, []).append(_problem_text(sources[field], line, message))
    if errors:
        raise ValidationError(errors)


def _problem_text(source, line, message):
    lines = source.splitlines()
    if not line or line > len(lines):
        return message
    quoted = lines[line - 1].strip()
    if len(quoted) > QUOTE_CHARS:
        quoted = quoted[: QUOTE_CHARS - 1] + "…"
    return _("Line %(line)d (“%(text)s”): %(message)s") % {"line": line, "text": quoted, "message": message}


def message_template_save(*, fields, user, template=None):
    """Create (template=None) or change a template from `fields`; refuses starters and broken templates.

    A personal template is plain text: its HTML body is dropped, so nothing
    hidden in the form could ever be sent.
    """
    if template is not None and template.is_starter:
        raise ValidationError(_("Starter templates cannot be changed. Make a copy and edit the copy."))
    values = {name: fields[name] for name in TEMPLATE_FIELDS if name in fields}
    if values.get("style", template.style if template else None) == TemplateStyle.PERSONAL:
        values["body_html"] = ""
    template_validate(values)
    if template is None:
        return MessageTemplate.objects.create(**values, created_by=user)
    for name, value in values.items():
        setattr(template, name, value)
    template.save(update_fields=[*values, "updated_at"])
    return template


def message_template_copy(*, template, user):
    """A new, editable template with `template`'s content (how starters are changed)."""
    return MessageTemplate.objects.create(
        name=_("%(name)s (copy)") % {"name": template.name}, style=template.style, language=template.language,
        subject=template.subject, body_text=template.body_text, body_html=template.body_html, created_by=user,
    )


def message_template_delete(*, template):
    if template.is_starter:
        raise ValidationError(_("Starter templates cannot be deleted."))
    try:
        template.delete()
    except ProtectedError:
        raise ValidationError(_("This template is used by a campaign, so it cannot be deleted.")) from None


def message_template_test_send(*, template, user, contact=None, contract=None, connection=None):
    """Send `template` as rendered for `contact` (sample data when None) to `user` alone, marked [TEST].

    Goes through Django's email backend like any mail, so what arrives is
    what the preview showed (the engine's legal footer aside). Raises
    ValidationError when the user has no address or the template does not render.
    """
    if not (user.email or "").strip():
        raise ValidationError(_("Your user account has no email address, so there is nowhere to send the test. "
                                "Ask an admin to add one."))
    preview = template_preview(template=template, contact=contact, contract=contract)
    if preview.problems:
        raise ValidationError(_("The template cannot be rendered for this contact, so nothing was sent."))
    message = EmailMultiAlternatives(
        subject=f"[TEST] {preview.subject}", body=preview.text, from_email=preview.from_header or None,
        to=[user.email], reply_to=[preview.reply_to] if preview.reply_to else None, connection=connection,
    )
    if preview.html:
        message.attach_alternative(preview.html, "text/html")
    message.send()
    return message


def starter_templates_ensure():
    """Load the current starter library (idempotent); for databases emptied after migrating, e.g. test flushes."""
    for entry in STARTER_LIBRARY:
        MessageTemplate.objects.update_or_create(
            is_starter=True, starter_key=entry["key"], language=entry["language"],
            defaults={"name": entry["name"], "style": entry["style"], "subject": entry["subject"],
                      "body_text": entry["body_text"], "body_html": entry["body_html"]},
        )


@transaction.atomic
def sender_profile_save(*, fields, profile=None):
    """Create or change a sender profile; the default one is unique (the others lose the flag)."""
    profile = profile or SenderProfile()
    for name in SENDER_FIELDS:
        if name in fields:
            setattr(profile, name, fields[name])
    if not SenderProfile.objects.exclude(pk=profile.pk).exists():
        profile.is_default = True  # the only profile is the default, whatever the box said
    profile.full_clean()
    profile.save()
    if profile.is_default:
        SenderProfile.objects.exclude(pk=profile.pk).filter(is_default=True).update(is_default=False)
    return profile


def mail_topic_save(*, fields, topic=None):
    """Create (topic=None, with `fields["key"]`) or change a mail topic; an existing topic keeps its key.

    Topics are deactivated (is_active False), never deleted, so the opt-outs
    recorded for them keep their meaning.
    """
    topic = topic or MailTopic(key=fields["key"])
    for name in TOPIC_FIELDS:
        if name in fields:
            setattr(topic, name, fields[name])
    topic.full_clean()
    topic.save()
    return topic


def sending_settings_save(*, fields):
    """Change the workspace's sending policy (the one SendingSettings row)."""
    settings = SendingSettings.load()
    for name in SENDING_FIELDS:
        if name in fields:
            setattr(settings, name, fields[name])
    settings.full_clean()
    settings.save()
    return settings
