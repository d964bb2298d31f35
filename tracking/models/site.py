"""TrackingSite: a customer web site carrying t.js, named by a public random key."""
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_site_key():
    """Public, but random: 24 url-safe characters nobody can guess or enumerate."""
    return secrets.token_urlsafe(18)


class TrackingSite(models.Model):
    """A customer web site that carries the t.js snippet; beacons and forms name it by its public key."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(_("site key"), max_length=40, unique=True, default=new_site_key, editable=False)
    # Origins ("https://www.example.co.jp", "http://localhost:8080") whose pages may send beacons and forms.
    allowed_origins = models.JSONField(_("allowed origins"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("tracked site")
        verbose_name_plural = _("tracked sites")

    def __str__(self):
        return self.name
