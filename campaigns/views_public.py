"""Public endpoints reached from sent mail (no login): unsubscribe, one-click unsubscribe, open pixel, click
redirect, and the provider webhook. Each validates its input and calls campaigns.sending.public.

A token that is malformed, unknown, or of a delivery that was never sent gets
404 and nothing is written. The unsubscribe forms are exempt from CSRF on
purpose: the token in the URL is the capability (as in a password-reset
link), and RFC 8058's one-click POST comes from a mail provider, not a
browser session.
"""
import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.throttle import per_ip_limit

from .sending import public

MAX_WEBHOOK_BYTES = 64 * 1024
MAX_WEBHOOK_EVENTS = 100
SIGNATURE_HEADER = "HTTP_X_REKINDLE_SIGNATURE"


def _delivery_or_404(token):
    delivery = public.delivery_by_token(token)
    if delivery is None:
        raise Http404
    return delivery


def _mail_language(delivery):
    template = delivery.step.template
    return template.language if template else settings.LANGUAGE_CODE


@login_not_required
@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@per_ip_limit("mail-page", "PUBLIC_PAGE_RATE_PER_MINUTE")
def unsubscribe(request, token):
    """GET shows the choices and changes nothing (scanners follow links); POST applies the chosen one.

    Two forms on the page: the topics to keep receiving (choice "topics"),
    and unsubscribe from all or pause (choices "all", "pause3", "pause6").
    """
    delivery = _delivery_or_404(token)
    with translation.override(_mail_language(delivery)):
        context = {"delivery": delivery, "sender": delivery.step.campaign.sender,
                   "email": mask_email(delivery.to_email or delivery.contact.email),
                   "mail_topic_id": delivery.step.campaign.topic_id,
                   # Both forms post here, also when the page was reached through the one-click URL
                   # (whose POST unsubscribes from everything).
                   "page_url": reverse("mail:unsubscribe", kwargs={"token": delivery.token})}
        if request.method != "POST":
            return _choices(request, delivery, context)
        choice = request.POST.get("choice", "")[:20]
        now = timezone.now()
        if choice == "all":
            public.contact_unsubscribe(delivery=delivery, now=now, source=_("unsubscribe page"))
            context["done"] = "all"
        elif choice in ("pause3", "pause6"):
            context["done"], context["until"] = "pause", public.contact_pause(delivery=delivery,
                                                                              months=int(choice[5:]), now=now)
        elif choice == "topics":
            kept, dropped = public.contact_topics_choose(delivery=delivery, shown=request.POST.getlist("shown"),
                                                         kept=request.POST.getlist("topic"))
            if not (kept or dropped):  # no topic the page offers was in the form: nothing was written
                return _refused(request, delivery, context)
            context.update(done="topics", kept=kept, dropped=dropped)
        else:
            return _refused(request, delivery, context)
        return render(request, "campaigns/public/unsubscribe_done.html", context)


def _refused(request, delivery, context):
    context["error"] = _("Choose one of the options.")
    return _choices(request, delivery, context, status=400)


def _choices(request, delivery, context, status=200):
    """The page with both forms; each topic is ticked unless the contact opted out of it."""
    opted_out = public.topics_opted_out(delivery.contact_id)
    context["topics"] = [(topic, topic.pk not in opted_out) for topic in public.topics_offered(delivery)]
    return render(request, "campaigns/public/unsubscribe.html", context, status=status)


@login_not_required
@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@per_ip_limit("mail-page", "PUBLIC_PAGE_RATE_PER_MINUTE")
def one_click(request, token):
    """RFC 8058: a POST unsubscribes at once (idempotent); a GET only shows the page with the choices."""
    if request.method != "POST":
        return unsubscribe(request, token)
    delivery = _delivery_or_404(token)
    public.contact_unsubscribe(delivery=delivery, now=timezone.now(), source="List-Unsubscribe one-click")
    with translation.override(_mail_language(delivery)):
        return render(request, "campaigns/public/one_click_done.html", {"email": mask_email(delivery.to_email)})


@login_not_required
@csrf_exempt
@require_POST
def bounce_webhook(request):
    """Provider events, signed: HMAC-SHA256 of the raw body with MAIL_WEBHOOK_SECRET in X-Rekindle-Signature."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"error": "too large"}, status=413)
    body = request.body
    if len(body) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"error": "too large"}, status=413)
    if not public.webhook_signature_valid(body, request.META.get(SIGNATURE_HEADER, "")[:200],
                                          settings.MAIL_WEBHOOK_SECRET):
        return JsonResponse({"error": "bad signature"}, status=403)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the decoder's stack ("[[[[…")
        return JsonResponse({"error": "not JSON"}, status=400)
    events = payload if isinstance(payload, list) else [payload]
    if len(events) > MAX_WEBHOOK_EVENTS or not all(isinstance(event, dict) for event in events):
        return JsonResponse({"error": f"send one event object or a list of at most {MAX_WEBHOOK_EVENTS}"}, status=400)
    now, applied = timezone.now(), 0
    for event in events:
        applied += public.provider_event_apply(
            email=_field(event, "email", 254), kind=_field(event, "type", 20),
            bounce_type=_field(event, "bounce_type", 20), detail=_field(event, "detail", 300), now=now)
    return JsonResponse({"applied": applied, "ignored": len(events) - applied})


def _field(event, key, limit):
    # NUL characters dropped: PostgreSQL refuses them in text, which would fail the request.
    return str(event.get(key, "")).replace("\x00", "")[:limit]


def mask_email(email):
    """taro@example.co.jp → t***@example.co.jp: enough to recognise, not a full address on a shared screen."""
    local, _at, domain = (email or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else ""
