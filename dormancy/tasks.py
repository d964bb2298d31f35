"""Celery tasks for dormancy: thin wrappers that take ids and call services."""
from functools import partial

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import services


@shared_task(name="dormancy.tasks.rule_members_refresh")
def rule_members_refresh(rule_id):
    return services.rule_members_refresh(rule_id=rule_id, run_at=timezone.now())


@shared_task(name="dormancy.tasks.rules_members_refresh_all")
def rules_members_refresh_all():
    for rule_id in services.rules_to_refresh():
        transaction.on_commit(partial(rule_members_refresh.delay, rule_id))
