"""Per-IP request limits for the public endpoints (no login): 429 with Retry-After past the limit.

A fixed one-minute window per (scope, client IP) counted in Redis with INCR,
so every web process shares it. Redis being unreachable lets requests
through (logged): the public endpoints carry unsubscribes and opens, and
losing those is worse than a burst. The client IP is REMOTE_ADDR, or the
first X-Forwarded-For hop when BEHIND_PROXY says a trusted proxy sets it.
"""
import logging
import time
from functools import wraps

import redis
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
_client = None


def _redis():
    global _client  # noqa: PLW0603 - one connection pool per process
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _client


def client_ip(request):
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def window_key(scope, ip):
    """The Redis counter of this scope and client IP for the current minute (expires after two)."""
    return f"rk:throttle:{scope}:{ip}:{int(time.time() // 60)}"


def too_many_requests():
    response = HttpResponse(_("Too many requests. Please wait a minute and try again."), status=429,
                            content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "60"
    return response


def over_limit(scope, ip, per_minute):
    """Count this request; True when it is past `per_minute` in the current minute."""
    key = window_key(scope, ip)
    try:
        pipe = _redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ok = pipe.execute()
    except redis.RedisError:
        logger.warning("throttle: Redis unreachable, letting %s through", scope)
        return False
    return count > per_minute


def per_ip_limit(scope, setting):
    """Decorator: at most settings.<setting> requests a minute per client IP for this view."""
    def decorate(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            per_minute = getattr(settings, setting)
            if per_minute and over_limit(scope, client_ip(request), per_minute):
                return too_many_requests()
            return view(request, *args, **kwargs)
        return limited
    return decorate
