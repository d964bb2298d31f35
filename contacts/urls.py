from django.urls import path

from . import views

app_name = "contacts"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("", views.contact_list, name="list"),
    path("<int:pk>/", views.contact_detail, name="detail"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_new, name="import_new"),
    path("imports/<uuid:pk>/", views.import_detail, name="import_detail"),
]
