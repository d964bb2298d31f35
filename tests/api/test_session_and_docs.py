"""Session auth (CSRF enforced on writes), the OpenAPI schema and the Swagger UI page."""
import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from segments.models import Segment

from .conftest import messages

pytestmark = pytest.mark.django_db
LIST = reverse("api:segment_list")
SCHEMA = reverse("api:schema")
DOCS = reverse("api:docs")
LOST = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]}


@pytest.fixture
def csrf_client(marketer):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(marketer)
    return client


def test_session_reads_without_a_token(csrf_client):
    assert csrf_client.get(LIST).status_code == 200


def test_session_write_without_csrf_token_is_403_and_saves_nothing(csrf_client):
    response = csrf_client.post(LIST, json.dumps({"name": "Lost", "definition": LOST}),
                                content_type="application/json")
    assert response.status_code == 403
    assert messages(response) == ["CSRF Failed: CSRF cookie not set."]
    assert Segment.objects.count() == 0


def test_session_write_with_csrf_token_works(csrf_client):
    csrf_client.get(reverse("segments:list"))  # any page with a form sets the CSRF cookie
    token = csrf_client.cookies["csrftoken"].value
    response = csrf_client.post(LIST, json.dumps({"name": "Lost", "definition": LOST}),
                                content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    assert Segment.objects.get().name == "Lost"


def test_api_key_writes_need_no_csrf_token(marketer, make_key):
    _key, token = make_key(marketer)
    client = Client(enforce_csrf_checks=True)
    response = client.post(LIST, json.dumps({"name": "Lost", "definition": LOST}), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Api-Key {token}")
    assert response.status_code == 201


def test_anonymous_api_call_is_401_json_not_a_login_redirect(client):
    response = client.get(LIST)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def _schema(client):
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_openapi_3_with_every_endpoint_and_both_auth_schemes(key_client, rep):
    schema = _schema(key_client(rep))
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/dormancy-rules/", "/api/v1/dormancy-rules/{id}/", "/api/v1/segments/", "/api/v1/segments/{id}/",
        "/api/v1/segments/{id}/count/", "/api/v1/segments/{id}/members/", "/api/v1/segments/preview/",
        "/api/v1/events/",
    }
    assert set(schema["paths"]["/api/v1/dormancy-rules/{id}/"]) == {"get", "put", "patch"}
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKeyAuth"]["scheme"] == "bearer" and schemes["cookieAuth"]["in"] == "cookie"
    sort = next(p for p in schema["paths"]["/api/v1/segments/{id}/members/"]["get"]["parameters"]
                if p["name"] == "sort")
    assert "password" not in sort["schema"]["enum"] and "-last_touch" in sort["schema"]["enum"]


def test_schema_yaml_by_default(key_client, marketer):
    response = key_client(marketer).get(SCHEMA)
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "Rekindle API"


def test_schema_needs_authentication(client):
    assert client.get(SCHEMA).status_code == 401


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_docs_page_uses_only_local_assets(persona_client, marketer):
    client = persona_client(marketer)
    response = client.get(DOCS)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"https?://", html) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in assets
    script = next(asset for asset in assets if asset.startswith(DOCS))
    init = client.get(script)
    assert init.status_code == 200 and SCHEMA in init.content.decode()
    assert re.findall(r"https?://", init.content.decode()) == []
    for asset in assets:
        assert asset.startswith("/"), asset
        assert client.get(asset).status_code == 200, asset


def test_docs_page_sends_anonymous_people_to_login(client):
    response = client.get(DOCS)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
