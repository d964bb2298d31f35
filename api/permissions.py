"""Role checks for API views, mirroring the HTML pages' `role_required`."""
from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.roles import has_role


class HasRole(BasePermission):
    """Reads need one of the view's `read_roles`, anything else one of its `write_roles`.

    A view that names no roles admits nobody: forgetting them fails closed.
    """

    def has_permission(self, request, view):
        roles = getattr(view, "read_roles" if request.method in SAFE_METHODS else "write_roles", ())
        if has_role(request.user, *roles):
            return True
        # A fresh instance per request, so setting the message here is safe.
        self.message = (_("Your role does not allow this request. It needs one of the roles: %(roles)s.")
                        % {"roles": ", ".join(str(role) for role in roles) or "—"})
        return False
