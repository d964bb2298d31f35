"""The Sending health page: what the sending machinery is doing and what went wrong, for admins and marketers.

Read-only: nothing here resends or changes a delivery (an interrupted mail is never resent automatically).
"""
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import Role, role_required

from .sending.health import sending_health as sending_health_read


@role_required(Role.ADMIN, Role.MARKETER)
def sending_health(request):
    return render(request, "campaigns/settings/sending_health.html",
                  {"nav": "campaigns", "tab": "health", **sending_health_read(now=timezone.now())})
