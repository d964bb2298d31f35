from django.contrib import admin

from .models import ContactScore, ScoringRule, ScoringSettings


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "touch_kind", "url_contains", "attribute", "points", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(ScoringSettings)
class ScoringSettingsAdmin(admin.ModelAdmin):
    list_display = ("half_life_days", "hot_threshold", "updated_at")


@admin.register(ContactScore)
class ContactScoreAdmin(admin.ModelAdmin):
    list_display = ("contact", "score", "is_hot", "computed_at")
    list_filter = ("is_hot",)
    raw_id_fields = ("contact",)
