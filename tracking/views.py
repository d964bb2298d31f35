"""Admin pages of website tracking: the tracked sites, each with its snippet to copy."""
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.roles import Role, role_required

from . import selectors, services
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
