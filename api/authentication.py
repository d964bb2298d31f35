"""API-key authentication: `Authorization: Api-Key <token>` (or `Bearer <token>`).

The request acts as the key's user, with that user's roles, so the API needs
no permission model of its own. Header-borne keys are not sent by browsers on
their own, which is why requests authenticated this way need no CSRF token
(session-authenticated ones do).
"""
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.selectors import api_key_for_token
from accounts.services import api_key_touch

KEYWORDS = ("api-key", "bearer")


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None  # no key sent: let session authentication try
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the key as “Authorization: Api-Key <key>”, nothing else in the header."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            token = ""
        key = api_key_for_token(token)
        if key is None:
            raise AuthenticationFailed(_("Unknown API key. Check that it was copied whole, or ask an admin for a "
                                         "new one."))
        if key.revoked_at is not None:
            when = timezone.localtime(key.revoked_at).strftime("%Y-%m-%d %H:%M")
            raise AuthenticationFailed(_("This API key was revoked on %(when)s. Ask an admin for a new one.")
                                       % {"when": when})
        if not key.user.is_active:
            raise AuthenticationFailed(_("The user this API key acts as is deactivated."))
        api_key_touch(key=key, now=timezone.now())
        return key.user, key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return 'Api-Key realm="api"'
