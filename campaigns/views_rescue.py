"""The public rescue-options page of a lapsing contract (no login; reached from a playbook mail).

GET shows and never writes (mail scanners follow links); POST records the
choice. An unknown or tampered token is a 404 before anything is read.
"""
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from config.throttle import per_ip_limit

from . import rescue


@login_not_required
@require_http_methods(["GET", "POST"])
@per_ip_limit("rescue-page", "PUBLIC_PAGE_RATE_PER_MINUTE")
def rescue_options(request, token):
    timeline = rescue.timeline_for_token(token)
    if timeline is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            rescue.rescue_choose(timeline=timeline, position=_position(request.POST.get("option")),
                                 now=timezone.now())
        except ValidationError as problem:
            error = problem.messages[0]
        else:
            return redirect("rescue:options", token)
    context = rescue.rescue_page(timeline, now=timezone.now())
    context.update({"error": error, "token": token, "preselected": _position(request.GET.get("option"))})
    return render(request, "campaigns/rescue/options.html", context, status=400 if error else 200)


def _position(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None
