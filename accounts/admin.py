"""Django admin is for the admin role only."""
from django.contrib import admin

from .models import ApiKey
from .roles import Role, has_role


def _admin_role_only(request):
    return request.user.is_active and request.user.is_staff and has_role(request.user, Role.ADMIN)


admin.site.has_permission = _admin_role_only
admin.site.site_header = "Rekindle admin"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are created on the API keys page (which shows the token once) or by command."""

    list_display = ("name", "prefix", "user", "created_by", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user", "created_by")
    search_fields = ("name", "prefix", "user__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
