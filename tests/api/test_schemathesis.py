"""Schemathesis against the API's own OpenAPI schema: every operation, generated input, two roles.

The schema is fetched from the WSGI application with an API key, as a client would, and every operation is
called in-process with data generated from it (valid and invalid). Each response must be no 5xx, carry a
documented status code and content type, and match the documented body schema. Valid input goes to real
objects (a segment, a dormancy rule, contacts), so the 200 paths are exercised too; invalid input brings its
own ids (unknown, negative, not numbers).

Bounded and deterministic: a few examples per operation, derandomized, no deadline.
"""
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contacts.models import Company, Contact
from dormancy.services import dormancy_rule_create
from segments.models import Segment

from .conftest import TODAY, at

load_all_checks()
pytestmark = pytest.mark.django_db
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
MAX_EXAMPLES = 5
LOST = {"op": "and", "items": [{"type": "attribute", "field": "status", "op": "equals", "value": "lost"}]}
FUZZ = settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, in this test's transaction.

    A real WSGI request ends with `close_old_connections`, which would close the connection the test's
    transaction lives on; Django's test client detaches it the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def objects(marketer):
    """Real objects for the path ids: a segment, a dormancy rule (besides the default one), some contacts."""
    company = Company.objects.create(name="株式会社テスト")
    for i in range(6):
        Contact.objects.create(email=f"c{i}@example.jp", last_name=f"姓{i}", first_name="名", title="部長",
                               status="lost" if i % 2 else "lead", company=company if i % 3 else None,
                               last_touch_at=at(TODAY.replace(day=1 + i)) if i % 2 else None)
    segment = Segment.objects.create(name="Lost", definition=LOST, created_by=marketer)
    rule = dormancy_rule_create(name="Quiet", slug="quiet", inactivity_days=90, touch_kinds=["email_click"],
                                user=marketer)
    return {"segment": segment.pk, "rule": rule.pk}


@pytest.fixture
def marketer_auth(make_key, marketer):
    return {"Authorization": f"Api-Key {make_key(marketer)[1]}"}


@pytest.fixture
def admin_auth(make_key, admin_user):
    return {"Authorization": f"Api-Key {make_key(admin_user)[1]}"}


@pytest.fixture
def api_schema(wsgi_app, marketer_auth, objects):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app, headers=marketer_auth)


def _real_id(operation, objects):
    """The id of a real object for this path (valid input then reaches the 200 paths), or None."""
    if "{id}" not in operation.path:
        return None
    return objects["segment"] if operation.path.startswith("/api/v1/segments/") else objects["rule"]


def _fuzz(api_schema, auth, objects, *, only=lambda operation: True):
    """Run the operations on generated valid and invalid input; return the failures' reports."""
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14, [operation.label for operation in operations]  # all of them, new ones too
    for operation in filter(only, operations):
        real_id = _real_id(operation, objects)
        # Valid input at a real object; invalid input (ids included: mostly unknown or not numbers).
        for mode, fixed in ((GenerationMode.POSITIVE, {"id": real_id} if real_id else None),
                            (GenerationMode.NEGATIVE, None)):

            @FUZZ
            @given(case=operation.as_strategy(mode, path_parameters=fixed))
            def call(case):
                case.call_and_validate(headers=auth, checks=CHECKS)

            try:
                call()
            except (AssertionError, FailureGroup) as exc:  # every operation runs; all failures are reported
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    return failures


def test_marketer_gets_no_5xx_and_only_documented_answers(api_schema, marketer_auth, objects):
    """Every operation; the dormancy-rule writes answer a marketer 403, which must be documented too."""
    failures = _fuzz(api_schema, marketer_auth, objects)
    assert not failures, "\n\n".join(failures)


def test_admin_rule_writes_get_no_5xx_and_only_documented_answers(api_schema, admin_auth, objects):
    """Writes only admins may make (dormancy rules) reach validation and the services with an admin's key."""
    failures = _fuzz(api_schema, admin_auth, objects,
                     only=lambda operation: operation.method.upper() != "GET"
                     and operation.path.startswith("/api/v1/dormancy-rules/"))
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("path", ["/api/v1/segments/-1/", "/api/v1/dormancy-rules/false/", "/api/v1/nothing"])
def test_an_api_path_no_route_matches_is_a_json_404_in_the_error_format(client, marketer_auth, path):
    """Found by schemathesis: these fell through to Django's HTML 404 page, which the schema does not describe."""
    response = client.get(path, headers=marketer_auth)
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json() == {"errors": [{"field": None, "message": "Not found."}]}


def test_a_page_no_route_matches_is_still_django_s_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/v1/events/", "/api/v1/segments/", "/api/v1/segments/preview/",
                                  "/api/v1/dormancy-rules/"])
@pytest.mark.parametrize("body", ["[" * 50_000, '{"a":' * 20_000 + "1" + "}" * 20_000])
def test_json_nested_past_the_parser_s_depth_is_a_400_in_the_error_format(client, admin_auth, path, body):
    """Not generated by schemathesis (its bodies follow the schema's shape); a hostile client sends them."""
    response = client.post(path, body, content_type="application/json", headers=admin_auth)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] is None
