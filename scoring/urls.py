from django.urls import path

from . import views

app_name = "scoring"
urlpatterns = [
    path("scoring/", views.scoring_home, name="home"),
    path("scoring/rules/new/", views.rule_edit, name="rule_new"),
    path("scoring/rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("scoring/rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("scoring/settings/", views.settings_edit, name="settings"),
    path("scoring/recompute/", views.recompute, name="recompute"),
    path("calls/", views.call_list, name="call_list"),
]
