"""Roles are Django groups; every view names the roles it admits."""
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MARKETER = "marketer", _("Marketer")
    INSIDE_SALES = "inside_sales", _("Inside sales")


ALL_ROLES = tuple(Role.values)


def user_roles(user):
    """The set of role names a user holds (superusers hold every role)."""
    if not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return frozenset(ALL_ROLES)
    cached = getattr(user, "_rekindle_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._rekindle_roles = cached
    return cached


def has_role(user, *roles):
    return bool(user_roles(user) & set(roles))


def role_required(*roles):
    """View decorator: 403 unless the logged-in user holds one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = roles
        return wrapper

    return decorator
