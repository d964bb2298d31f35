from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateStyle(models.TextChoices):
    # Plain text, From and Reply-To the owner rep: a one-to-one check-in mail.
    PERSONAL = "personal", _("Personal (plain text from the owner rep)")
    # HTML with a text part, from the sender profile.
    NEWSLETTER = "newsletter", _("Newsletter (HTML and text)")


class MessageTemplate(models.Model):
    """A marketer's message: subject and bodies in Jinja2, rendered in a sandbox (campaigns.templating)."""

    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="ja")
    style = models.CharField(_("style"), max_length=20, choices=TemplateStyle.choices,
                             default=TemplateStyle.NEWSLETTER)
    subject = models.CharField(_("subject"), max_length=500)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    # Shipped with Rekindle (the starter library); a copy is what marketers edit.
    is_starter = models.BooleanField(_("starter template"), default=False)
    starter_key = models.SlugField(_("starter key"), max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(fields=["starter_key", "language"], condition=models.Q(is_starter=True),
                                    name="template_starter_unique"),
        ]

    def __str__(self):
        return self.name
