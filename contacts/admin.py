from django.contrib import admin

from .models import Company, Contact, Contract, ImportJob, Tag, TouchEvent


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "industry", "employee_count"]
    search_fields = ["name", "domain"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "last_name", "first_name", "company", "status", "owner", "last_touch_at"]
    list_filter = ["status", "lost_reason", "consent"]
    search_fields = ["email", "last_name", "first_name"]
    raw_id_fields = ["company", "owner"]
    show_full_result_count = False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["external_id", "contact", "plan", "expires_at", "status"]
    list_filter = ["status"]
    raw_id_fields = ["contact"]


@admin.register(TouchEvent)
class TouchEventAdmin(admin.ModelAdmin):
    list_display = ["contact", "kind", "occurred_at", "source", "flagged_as_bot"]
    list_filter = ["kind", "source", "flagged_as_bot"]
    raw_id_fields = ["contact"]
    show_full_result_count = False


admin.site.register(Tag)
admin.site.register(ImportJob)
