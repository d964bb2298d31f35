"""Template library pages (marketers and admins), sender profiles, mail topics and sending settings (admins).

Views validate and delegate: rendering checks and writes are in
services_templates, reads and the preview in selectors_templates.
"""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required
from config.csp import csp_update

from . import selectors_templates as selectors
from . import services_templates as services
from .forms_templates import MailTopicForm, MessageTemplateForm, SenderProfileForm, SendingSettingsForm
from .merge import FIELD_HELP, SAMPLE_CONTEXT
from .models import MailTopic, MessageTemplate, SenderProfile, SendingSettings
from .selectors import mail_topic_list

EDITORS = (Role.ADMIN, Role.MARKETER)


@role_required(*EDITORS)
def template_list(request):
    own, starters = selectors.template_library()
    return render(request, "campaigns/templates/template_list.html", {
        "nav": "campaigns", "tab": "templates", "own": own, "starters": starters,
    })


@role_required(*EDITORS)
def template_new(request):
    return _editor(request, template=None)


@role_required(*EDITORS)
def template_edit(request, pk):
    template = get_object_or_404(MessageTemplate, pk=pk)
    if template.is_starter:  # read-only: the page shows it with a Copy button
        return render(request, "campaigns/templates/template_starter.html", {
            "nav": "campaigns", "tab": "templates", "template": template,
        })
    return _editor(request, template=template)


def _editor(request, *, template):
    form = MessageTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.message_template_save(fields=form.cleaned_data, user=request.user, template=template)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Template saved. Preview it with a real contact below."))
            return redirect("campaigns:template_preview", pk=saved.pk)
    return render(request, "campaigns/templates/template_form.html", {
        "nav": "campaigns", "tab": "templates", "form": form, "template": template,
        "field_help": [(name, text, _sample_value(name)) for name, text in FIELD_HELP],
    })


def _sample_value(dotted):
    value = SAMPLE_CONTEXT
    for part in dotted.split("."):
        value = value[part]
    if isinstance(value, list):
        return ", ".join(item["label"] for item in value)
    return str(value).replace("\n", " / ")


@require_POST
@role_required(*EDITORS)
def template_copy(request, pk):
    original = get_object_or_404(MessageTemplate, pk=pk)
    copy = services.message_template_copy(template=original, user=request.user)
    messages.success(request, _("This is your copy of “%(name)s”. Change it and save.") % {"name": original.name})
    return redirect("campaigns:template_edit", pk=copy.pk)


@require_POST
@role_required(*EDITORS)
def template_delete(request, pk):
    template = get_object_or_404(MessageTemplate, pk=pk)
    try:
        services.message_template_delete(template=template)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("campaigns:template_edit", pk=pk)
    messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
    return redirect("campaigns:template_list")


@role_required(*EDITORS)
# The mail's HTML part shows in a sandboxed srcdoc frame, which inherits this page's policy: mail HTML styles
# inline and loads its images from anywhere. The frame runs no script (sandbox=""), and script-src stays 'self'.
@csp_update(style_src=("'unsafe-inline'",), img_src=("https:", "http:"))
def template_preview(request, pk):
    template = get_object_or_404(MessageTemplate, pk=pk)
    contact, contracts, contract = _preview_subjects(request.GET)
    query = request.GET.get("q", "").strip()
    return render(request, "campaigns/templates/template_preview.html", {
        "nav": "campaigns", "tab": "templates", "template": template, "contact": contact,
        "contracts": contracts, "contract": contract, "query": query,
        "uses_contract": selectors.template_uses_contract(template),
        "matches": selectors.preview_contact_search(query) if query else None,
        "preview": selectors.template_preview(template=template, contact=contact, contract=contract),
    })


def _preview_subjects(params):
    """(contact, its contracts, the chosen contract) from ?contact= and ?contract=; contact None for sample data."""
    contact = selectors.preview_contact(params.get("contact"))
    if params.get("contact") and contact is None:
        raise Http404
    if contact is None:
        return None, [], None
    contracts = selectors.preview_contracts(contact)
    chosen = params.get("contract", "")
    contract = next((c for c in contracts if str(c.pk) == chosen), contracts[0] if contracts else None)
    return contact, contracts, contract


@require_POST
@role_required(*EDITORS)
def template_test_send(request, pk):
    template = get_object_or_404(MessageTemplate, pk=pk)
    contact, _contracts, contract = _preview_subjects(request.POST)
    try:
        services.message_template_test_send(template=template, user=request.user, contact=contact, contract=contract)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("A test was sent to %(email)s.") % {"email": request.user.email})
    params = {key: value for key in ("contact", "contract") if (value := request.POST.get(key))}
    url = reverse("campaigns:template_preview", args=[pk])
    return redirect(f"{url}?{urlencode(params)}" if params else url)


# -- sender profiles and sending settings (admins) ------------------------------------------------------

@role_required(Role.ADMIN)
def sender_list(request):
    return render(request, "campaigns/settings/sender_list.html", {
        "nav": "campaigns", "tab": "senders", "profiles": SenderProfile.objects.all(),
    })


@role_required(Role.ADMIN)
def sender_edit(request, pk=None):
    profile = get_object_or_404(SenderProfile, pk=pk) if pk else None
    form = SenderProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.sender_profile_save(fields=form.cleaned_data, profile=profile)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            missing = saved.missing()
            if missing:
                messages.warning(request, _("Saved. Campaigns cannot start with this profile until it has: %(list)s.")
                                 % {"list": ", ".join(missing)})
            else:
                messages.success(request, _("Sender profile saved. It has every detail the law asks for."))
            return redirect("campaigns:sender_list")
    return render(request, "campaigns/settings/sender_form.html", {
        "nav": "campaigns", "tab": "senders", "form": form, "profile": profile,
    })


@role_required(Role.ADMIN)
def topic_list(request):
    return render(request, "campaigns/settings/topic_list.html", {
        "nav": "campaigns", "tab": "topics", "topics": mail_topic_list(),
    })


@role_required(Role.ADMIN)
def topic_edit(request, pk=None):
    topic = get_object_or_404(MailTopic, pk=pk) if pk else None
    form = MailTopicForm(request.POST or None, instance=topic)
    if request.method == "POST" and form.is_valid():
        try:
            services.mail_topic_save(fields=form.cleaned_data, topic=topic)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Topic saved."))
            return redirect("campaigns:topic_list")
    return render(request, "campaigns/settings/topic_form.html", {
        "nav": "campaigns", "tab": "topics", "form": form, "topic": topic,
    })


@role_required(Role.ADMIN)
def sending_settings(request):
    form = SendingSettingsForm(request.POST or None, instance=SendingSettings.load())
    if request.method == "POST" and form.is_valid():
        services.sending_settings_save(fields=form.cleaned_data)
        messages.success(request, _("Sending settings saved. They apply to every mail from now on."))
        return redirect("campaigns:sending_settings")
    return render(request, "campaigns/settings/sending_settings.html", {
        "nav": "campaigns", "tab": "sending", "form": form,
    })
