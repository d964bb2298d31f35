"""Endpoints only the bench enables (TRACKING_BENCH_ENDPOINTS): the yardstick view, no database, no Redis."""
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path


@login_not_required
def bare(request):
    return HttpResponse(status=204)


app_name = "bench"
urlpatterns = [path("bare", bare, name="bare")]
