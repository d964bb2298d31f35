"""Read-only queries on accounts: API keys, the users a key may act as, a rep's profile."""
import hmac

from django.contrib.auth import get_user_model

from .models import ApiKey, RepProfile


def api_key_for_token(token):
    """The key `token` belongs to (revoked ones too, so the caller can say why it refuses), else None.

    The prefix narrows the lookup to an index hit; the hash comparison is
    constant-time so response timing says nothing about how close a guess was.
    """
    prefix = ApiKey.prefix_of(token)
    if prefix is None:
        return None
    digest = ApiKey.hash_token(token)
    for key in ApiKey.objects.select_related("user").filter(prefix=prefix):
        if hmac.compare_digest(key.key_hash, digest):
            return key
    return None


def api_key_list():
    return list(ApiKey.objects.select_related("user", "created_by").order_by("-created_at", "-id"))


def api_key_user_choices():
    """Users a new key may act as: the active ones, by username."""
    return get_user_model().objects.filter(is_active=True).order_by("username")


def rep_profile_for(user):
    """The user's profile, or an unsaved empty one (a profile is created on its first save)."""
    return RepProfile.objects.filter(user=user).first() or RepProfile(user=user)
