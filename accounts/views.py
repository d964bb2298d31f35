from django.contrib.auth import views as auth_views
from django.shortcuts import redirect

from .forms import LoginForm
from .roles import Role, has_role


class RekindleLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class RekindleLogoutView(auth_views.LogoutView):
    pass


def home(request):
    """Reps land on their call list (own contacts first); marketers and admins on the overview."""
    if has_role(request.user, Role.INSIDE_SALES) and not has_role(request.user, Role.ADMIN, Role.MARKETER):
        return redirect("scoring:call_list")
    return redirect("contacts:overview")
