"""`manage.py recompute_scores` and the Celery task."""
from io import StringIO

import pytest
from django.core.management import call_command

from scoring.models import ContactScore, ScoringSettings
from scoring.tasks import scores_recompute

from .conftest import attribute_rule, make_contact

pytestmark = pytest.mark.django_db


def test_command_prints_scored_and_hot_counts():
    ScoringSettings.objects.update_or_create(pk=1, defaults={"hot_threshold": 10})
    attribute_rule("Decision maker", 15, "is_decision_maker")
    attribute_rule("Customer", 5, "status", value="customer")
    make_contact(is_decision_maker=True)
    make_contact(status="customer")
    make_contact(status="lead")
    out = StringIO()
    call_command("recompute_scores", stdout=out)
    assert out.getvalue() == "Scored 2 contacts, 1 hot.\n"
    assert ContactScore.objects.count() == 2


def test_task_recomputes_and_reports():
    attribute_rule("Decision maker", 60, "is_decision_maker")
    make_contact(is_decision_maker=True)
    assert scores_recompute() == {"scored": 1, "hot": 1}
