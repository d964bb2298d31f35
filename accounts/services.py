"""State changes on accounts: demo users for the embedded run, API keys, and reps' own mail details."""
import secrets
import string
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiKey, RepProfile
from .roles import Role

DEMO_PASSWORD = "rekindle-demo"  # noqa: S105  (demo logins, printed by `make run`)

# (username, role, first name, last name, email, can log in)
DEMO_USERS = [
    ("admin", Role.ADMIN, "Kenji", "Yamada", "admin@rekindle.example", True),
    ("marketer", Role.MARKETER, "Yui", "Takahashi", "marketer@rekindle.example", True),
    ("rep", Role.INSIDE_SALES, "Taro", "Sato", "rep@rekindle.example", True),
    ("rep.suzuki", Role.INSIDE_SALES, "Hanako", "Suzuki", "suzuki@rekindle.example", True),
    ("rep.tanaka", Role.INSIDE_SALES, "Makoto", "Tanaka", "tanaka@rekindle.example", True),
]


def demo_users_ensure():
    """Create the demo users if missing (idempotent); returns them in order.

    Existing users keep their passwords: an operator who changed one after the
    first run is not reset by the next `make run`.
    """
    users = []
    for username, role, first, last, email, _can_login in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": email, "is_staff": role == Role.ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        users.append(user)
    return users


def demo_reps():
    usernames = [entry[0] for entry in DEMO_USERS]
    return list(User.objects.filter(groups__name=Role.INSIDE_SALES, username__in=usernames).order_by("id"))


# -- API keys ---------------------------------------------------------------

# How stale last_used_at may get: recording every request would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


def api_key_create(*, name, user, created_by=None):
    """Create a key acting as `user`; returns (key, token).

    The token is returned here and nowhere else: only its hash is stored, so
    whoever creates a key must pass the token on now.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("Give the key a name of 1 to 100 characters.")]})
    if not user.is_active:
        raise ValidationError({"user": [_("An API key cannot act as an inactive user.")]})
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _position in range(ApiKey.PREFIX_LENGTH))
    token = f"{ApiKey.TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name, prefix=prefix, key_hash=ApiKey.hash_token(token), user=user,
                                created_by=created_by)
    return key, token


def api_key_revoke(*, key, now=None):
    """Revoke `key` from now on; revoking a revoked key keeps its first revocation time."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=now or timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return key


def api_key_touch(*, key, now):
    """Record that `key` was used, at most once per LAST_USED_RESOLUTION.

    The conditional UPDATE keeps concurrent requests from writing more than
    once; the in-memory check spares the query on most requests.
    """
    stale = now - LAST_USED_RESOLUTION
    if key.last_used_at is not None and key.last_used_at > stale:
        return False
    updated = (ApiKey.objects.filter(pk=key.pk)
               .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale))
               .update(last_used_at=now))
    key.last_used_at = now
    return bool(updated)


# -- My profile -------------------------------------------------------------

def rep_profile_save(*, user, signature, scheduling_url):
    """Set the signature and booking page `user`'s one-to-one mails carry (creates the profile on first save)."""
    profile, _created = RepProfile.objects.update_or_create(
        user=user, defaults={"signature": signature.strip(), "scheduling_url": scheduling_url.strip()},
    )
    return profile
