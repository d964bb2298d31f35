from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ApiKeyForm, LoginForm, RepProfileForm
from .models import ApiKey
from .roles import Role, has_role, role_required


class RekindleLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class RekindleLogoutView(auth_views.LogoutView):
    pass


def home(request):
    """Reps land on their alert inbox (which links to their call list); marketers and admins on the dashboard."""
    if has_role(request.user, Role.INSIDE_SALES) and not has_role(request.user, Role.ADMIN, Role.MARKETER):
        return redirect("alerts:inbox")
    return redirect("reports:dashboard")


@never_cache  # the response to a create carries the token: no cache may keep it
@role_required(Role.ADMIN)
def api_keys(request):
    """The keys, and a form that creates one and shows its token in this response only.

    No redirect after the create: the token would have to wait in the session
    for the next page, and only its hash may be stored anywhere.
    """
    form = ApiKeyForm(request.POST or None)
    created, token = None, None
    if request.method == "POST" and form.is_valid():
        try:
            created, token = services.api_key_create(
                name=form.cleaned_data["name"], user=form.cleaned_data["user"], created_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = ApiKeyForm()
    return render(request, "accounts/api_keys.html", {
        "nav": "api_keys", "form": form, "keys": selectors.api_key_list(), "created": created, "token": token,
    })


@require_POST
@role_required(Role.ADMIN)
def api_key_revoke(request, pk):
    key = get_object_or_404(ApiKey, pk=pk)
    services.api_key_revoke(key=key)
    messages.success(request, _("The key “%(name)s” is revoked: requests with it are refused from now on.")
                     % {"name": key.name})
    return redirect("accounts:api_keys")


def profile(request):
    """Any logged-in user's own signature and booking page, used by personal-style mails sent in their name."""
    form = RepProfileForm(request.POST or None, instance=selectors.rep_profile_for(request.user))
    if request.method == "POST" and form.is_valid():
        services.rep_profile_save(user=request.user, signature=form.cleaned_data["signature"],
                                  scheduling_url=form.cleaned_data["scheduling_url"])
        messages.success(request, _("Your profile is saved. Personal mails sent in your name use it from now on."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"nav": "profile", "form": form})
