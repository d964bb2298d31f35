"""Settings, deploy checks, Celery reliability settings and docker-compose."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.celery import app as celery_app
from config.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-" + "k3y-" * 15,
    "ALLOWED_HOSTS": "rekindle.example.co.jp",
    "HTTPS": "1",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/rekindle",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_check_deploy_with_production_env_reports_nothing(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(PRODUCTION_ENV, REKINDLE_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_default_time_zone_is_tokyo_and_languages_are_japanese_and_english():
    assert settings.TIME_ZONE == "Asia/Tokyo"
    assert [code for code, _ in settings.LANGUAGES] == ["ja", "en"]


def test_env_readers_parse_and_reject(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "42")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 1) == 42
    assert env_list("X_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ValueError, match="X_BOOL must be a boolean"):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ValueError, match="X_INT must be an integer"):
        env_int("X_INT", 1)


def test_celery_redelivers_lost_work_and_time_limit_is_below_visibility_timeout():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_time_limit < visibility
    assert conf.task_soft_time_limit < conf.task_time_limit
    for entry in conf.beat_schedule.values():
        assert 0 < entry["options"]["expires"] <= entry["schedule"]


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_defines_the_services_the_app_needs():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    redis_cmd = services["redis"]["command"]
    assert redis_cmd[redis_cmd.index("--appendonly") + 1] == "yes"
    assert redis_cmd[redis_cmd.index("--maxmemory-policy") + 1] == "noeviction"
    assert services["web"]["command"][:2] == ["gunicorn", "config.wsgi:application"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]


def test_compose_app_services_point_at_compose_postgres_and_redis():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "SECRET_KEY" in env
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_commands_name_modules_that_exist():
    import importlib

    assert importlib.import_module("config.wsgi").application is not None
    assert importlib.import_module("config").celery_app.main == "rekindle"
