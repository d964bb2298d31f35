from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Dashboard and reports")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the receivers that keep the campaign report's answers)
