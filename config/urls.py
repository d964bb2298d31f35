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
    path("m/", include("campaigns.urls_public")),  # public: links in sent mail
    path("r/", include("campaigns.urls_rescue")),  # public: rescue options of a lapsing contract
    path("settings/", include("accounts.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]
