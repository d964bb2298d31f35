"""Operational endpoints."""
import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rest_framework.exceptions import NotFound


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _redis_ok():
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Database and Redis status for load balancers and monitors: 200 or 503."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    healthy = all(checks.values())
    body = {name: ("ok" if ok else "down") for name, ok in checks.items()}
    body["status"] = "ok" if healthy else "degraded"
    return JsonResponse(body, status=200 if healthy else 503)


def page_not_found(request, exception):
    """404s: the API's JSON error format under /api/, the standalone templates/404.html page elsewhere.

    A path that matches no API route (say `/api/v1/segments/-1/`) never reaches DRF, so without this an API
    client would get an HTML page its schema does not describe.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": [{"field": None, "message": str(NotFound.default_detail)}]}, status=404)
    return defaults.page_not_found(request, exception)
