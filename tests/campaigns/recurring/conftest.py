"""Fixtures for recurring newsletters: the sending tests' sender and template, a rule-based segment."""
import pytest

from campaigns.recurring import recurring_save
from segments.models import Segment

from ..sending.conftest import sender, template  # noqa: F401 (fixtures)

# Who can receive marketing mail: the snapshot is recomputed from this at every run.
CONSENTED = {"op": "and", "items": [{"type": "consent", "can_receive_marketing": True}]}


@pytest.fixture
def segment(db):
    return Segment.objects.create(name="Consented", definition=CONSENTED)


@pytest.fixture
def newsletter(sender, template, segment):  # noqa: F811
    return recurring_save(name="Monday news", segment=segment, sender=sender, template=template, template_b=None,
                          variant_b_percent=50, holdout_percent=0, schedule="0 10 * * 1")
