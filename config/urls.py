from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("config.i18n_urls")),
    path("login/", account_views.RekindleLoginView.as_view(), name="login"),
    path("logout/", account_views.RekindleLogoutView.as_view(), name="logout"),
    path("", account_views.home, name="home"),
    path("contacts/", include("contacts.urls")),
    path("segments/", include("segments.urls")),
    path("dormancy/", include("dormancy.urls")),
    path("", include("scoring.urls")),  # /scoring/… and /calls/
    path("campaigns/", include("campaigns.urls")),
    path("alerts/", include("alerts.urls")),
    path("reports/", include("reports.urls")),
    # public: links in sent mail (campaigns' pages; the open pixel and click on tracking's event pipeline)
    path("m/", include("tracking.urls_mail")),
    path("", include("tracking.urls_public")),  # public: /t.js, the page-view beacon /t/e, forms /t/f
    path("tracking/", include("tracking.urls")),
    path("r/", include("campaigns.urls_rescue")),  # public: rescue options of a lapsing contract
    path("settings/", include("accounts.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]
handler404 = "config.views.page_not_found"
if settings.TRACKING_BENCH_ENDPOINTS:  # bench/tracking_bench.py only
    urlpatterns.append(path("bench/", include("tracking.urls_bench")))
