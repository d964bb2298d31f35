from django.contrib import admin

from .forms import WebhookForm
from .models import Alert, Notification, RepDuty, Trigger, WebhookEndpoint


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "dedup_hours", "routing", "is_active")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("id", "trigger", "contact", "fired_at", "status", "assignee", "outcome")
    list_filter = ("status", "trigger")
    raw_id_fields = ("contact", "assignee")
    readonly_fields = ("context",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "alert", "channel", "status", "attempts", "next_at", "last_error")
    list_filter = ("status", "channel")
    raw_id_fields = ("alert",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookForm  # the same destination check as the alerts pages: no loopback or metadata URLs here either
    list_display = ("name", "user", "url", "is_active")


admin.site.register(RepDuty)
