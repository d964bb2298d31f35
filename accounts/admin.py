"""Django admin is for the admin role only."""
from django.contrib import admin

from .roles import Role, has_role


def _admin_role_only(request):
    return request.user.is_active and request.user.is_staff and has_role(request.user, Role.ADMIN)


admin.site.has_permission = _admin_role_only
admin.site.site_header = "Rekindle admin"
