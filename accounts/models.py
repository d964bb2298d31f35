"""API keys (how machines authenticate to the REST API) and reps' own mail details.

A key acts as one user, with that user's roles. Only a SHA-256 hash of the
token is stored: the token is shown once, when the key is created. A fast
hash is right here (unlike passwords): tokens are long random strings, so
there is nothing to guess from a leaked hash.
"""
import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    TOKEN_START = "rk_"  # noqa: S105  (the fixed start of every token, not a secret)
    PREFIX_LENGTH = 8

    name = models.CharField(_("name"), max_length=100)
    # The token's first characters after "rk_": shown in the UI so people can
    # tell keys apart, and the index a request's key is looked up by.
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("acts as"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.name} ({self.TOKEN_START}{self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None

    @classmethod
    def prefix_of(cls, token):
        """The prefix of a well-formed token (`rk_<prefix>_<secret>`), else None."""
        start, size = len(cls.TOKEN_START), cls.PREFIX_LENGTH
        if (not isinstance(token, str) or not token.startswith(cls.TOKEN_START) or len(token) < start + size + 2
                or token[start + size] != "_"):
            return None
        return token[start:start + size]

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RepProfile(models.Model):
    """What a rep's one-to-one mails carry: their signature and their booking page.

    Personal-style templates are sent in the owner rep's name, so these are
    the rep's to edit (Settings → My profile), not the marketer's.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rep_profile", verbose_name=_("user"),
    )
    signature = models.TextField(
        _("email signature"), blank=True,
        help_text=_("Plain text placed under your one-to-one mails. Empty: your name and email address."),
    )
    scheduling_url = models.URLField(
        _("scheduling page"), max_length=500, blank=True,
        help_text=_("Where contacts can book a meeting with you, e.g. your Calendly or TimeRex page."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rep profile")
        verbose_name_plural = _("rep profiles")

    def __str__(self):
        return str(self.user)
