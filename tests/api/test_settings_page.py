"""The API keys page: admins only; the token is shown once; revoking works."""
import hashlib
import re

import pytest
from django.urls import reverse

from accounts.models import ApiKey
from accounts.services import api_key_create

pytestmark = pytest.mark.django_db
PAGE = reverse("accounts:api_keys")


def _token(html):
    found = re.findall(r'id="new-key-token" type="text" readonly value="([^"]+)"', html)
    return found[0] if found else None


def test_admin_sees_the_page_and_the_menu_link(persona_client, admin_user):
    response = persona_client(admin_user).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{PAGE}"' in html and "No API keys yet." in html


@pytest.mark.parametrize("persona", ["marketer", "rep"])
def test_others_are_refused(persona_client, request, persona):
    user = request.getfixturevalue(persona)
    client = persona_client(user)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"name": "x", "user": user.pk}).status_code == 403
    assert ApiKey.objects.count() == 0
    assert f'href="{PAGE}"' not in client.get(reverse("contacts:list")).content.decode()


def test_create_shows_the_token_once(persona_client, admin_user, marketer):
    client = persona_client(admin_user)
    response = client.post(PAGE, {"name": "CRM sync", "user": marketer.pk})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = _token(response.content.decode())
    key = ApiKey.objects.get()
    assert token.startswith(f"rk_{key.prefix}_")
    assert key.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (key.name, key.user, key.created_by) == ("CRM sync", marketer, admin_user)
    assert "It is shown only this once" in response.content.decode()
    again = client.get(PAGE).content.decode()
    assert _token(again) is None and token not in again
    assert f"rk_{key.prefix}…" in again and "CRM sync" in again


def test_create_with_missing_name_shows_the_error_and_creates_nothing(persona_client, admin_user, marketer):
    response = persona_client(admin_user).post(PAGE, {"name": "", "user": marketer.pk})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert _token(response.content.decode()) is None
    assert ApiKey.objects.count() == 0


def test_revoke_works_and_the_key_stops_working(persona_client, admin_user, marketer, anon_client):
    key, token = api_key_create(name="CRM sync", user=marketer)
    client = persona_client(admin_user)
    assert client.get(reverse("accounts:api_key_revoke", args=[key.pk])).status_code == 405
    response = client.post(reverse("accounts:api_key_revoke", args=[key.pk]))
    assert response.status_code == 302 and response["Location"] == PAGE
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Revoked 2026-06-15 12:00" in client.get(PAGE).content.decode()
    assert anon_client.get(reverse("api:segment_list"), HTTP_AUTHORIZATION=f"Api-Key {token}").status_code == 401


def test_marketer_cannot_revoke(persona_client, marketer):
    key, _token = api_key_create(name="CRM sync", user=marketer)
    assert persona_client(marketer).post(reverse("accounts:api_key_revoke", args=[key.pk])).status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
