from django.urls import path

from . import views

app_name = "dormancy"
urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_create, name="create"),
    path("preview/", views.rule_preview, name="preview"),
    path("<int:pk>/", views.rule_detail, name="detail"),
    path("<int:pk>/edit/", views.rule_edit, name="edit"),
    path("<int:pk>/versions/<int:number>/restore/", views.rule_restore, name="restore"),
]
