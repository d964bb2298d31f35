"""Admin pages of website tracking: the tracked sites, each with its snippet to copy, and the event buffer's
health (what waits, what the drain set aside) with retry and discard."""
import redis
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, role_required

from . import buffer, pipeline, selectors, services
from .forms import TrackingSiteForm
from .models import TrackingSite


@role_required(Role.ADMIN)
def site_list(request):
    return render(request, "tracking/site_list.html", {"nav": "tracking", "sites": selectors.site_list()})


@role_required(Role.ADMIN)
def site_new(request):
    return _edit(request, None)


@role_required(Role.ADMIN)
def site_edit(request, pk):
    return _edit(request, get_object_or_404(TrackingSite, pk=pk))


def _edit(request, site):
    form = TrackingSiteForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        saved = services.site_save(site=site, name=form.cleaned_data["name"],
                                   allowed_origins=form.cleaned_data["origins"],
                                   is_active=form.cleaned_data["is_active"])
        messages.success(request, _("The site “%(name)s” is saved.") % {"name": saved.name})
        return redirect("tracking:site_edit", pk=saved.pk)
    context = {"nav": "tracking", "form": form, "site": site, "base_url": settings.PUBLIC_BASE_URL}
    if site is not None:
        context["recent"] = selectors.recent_anonymous_views(site)
    return render(request, "tracking/site_form.html", context)


@role_required(Role.ADMIN)
def buffer_health(request):
    """The event buffer now: waiting, in flight, set aside; the set-aside records with what they hold."""
    try:
        state, records = buffer.state(), pipeline.set_aside_list()
    except redis.RedisError:
        state, records = None, []
    return render(request, "tracking/buffer.html", {"nav": "tracking", "state": state, "records": records})


@role_required(Role.ADMIN)
@require_POST
def buffer_resolve(request):
    """Retry or discard the picked set-aside records (POST: digests, action=retry|discard)."""
    action, digests = request.POST.get("action", ""), request.POST.getlist("record")[:1000]
    if action not in ("retry", "discard") or not digests:
        messages.error(request, _("Pick at least one record, then Retry or Discard."))
        return redirect("tracking:buffer")
    moved = pipeline.set_aside_resolve(digests, retry=action == "retry")
    if action == "retry":
        messages.success(request, _("%(count)d records are back in the queue; the drain stores them now (a record "
                                    "that fails again is set aside again).") % {"count": moved})
    else:
        messages.success(request, _("%(count)d records discarded.") % {"count": moved})
    return redirect("tracking:buffer")
