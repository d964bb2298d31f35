import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_reports_database_and_redis_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "status": "ok"}


@pytest.mark.django_db
def test_healthz_is_503_when_redis_is_unreachable(client):
    from config.embedded_redis import free_port

    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "redis": "down", "status": "degraded"}


@pytest.mark.django_db
def test_healthz_is_503_when_database_fails(client, monkeypatch):
    from config import views

    monkeypatch.setattr(views, "_database_ok", lambda: False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
