"""Step sequences and expiry-rescue playbooks: builder pages (login, marketer or admin)."""
from django.urls import path

from . import views_flows

urlpatterns = [
    path("sequence/new/", views_flows.sequence_edit, name="sequence_new"),
    path("sequence/<int:pk>/edit/", views_flows.sequence_edit, name="sequence_edit"),
    path("playbook/new/", views_flows.playbook_edit, name="playbook_new"),
    path("playbook/<int:pk>/edit/", views_flows.playbook_edit, name="playbook_edit"),
    path("<int:pk>/", views_flows.flow_detail, name="flow_detail"),
    path("<int:pk>/start/", views_flows.flow_start, name="flow_start"),
    path("call-tasks/<int:pk>/done/", views_flows.call_task_done, name="call_task_done"),
]
