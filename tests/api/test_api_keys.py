"""API keys: stored as a hash, shown once, accepted in the header, refused when wrong or revoked."""
import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke, api_key_touch

from .conftest import NOW, messages

pytestmark = pytest.mark.django_db
SEGMENTS = reverse("api:segment_list")


def test_create_stores_the_hash_never_the_token(marketer, admin_user):
    key, token = api_key_create(name="CRM sync", user=marketer, created_by=admin_user)
    assert token.startswith(f"rk_{key.prefix}_") and len(key.prefix) == 8 and len(token) >= 50
    stored = ApiKey.objects.get()
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    row = ApiKey.objects.values().get()
    assert not any(token in str(value) for value in row.values())
    assert (stored.name, stored.user, stored.created_by, stored.revoked_at) == ("CRM sync", marketer, admin_user, None)


def test_two_keys_never_share_a_token(marketer):
    (_a, first), (_b, second) = api_key_create(name="a", user=marketer), api_key_create(name="b", user=marketer)
    assert first != second


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_refuses_a_bad_name_and_stores_nothing(marketer, name):
    with pytest.raises(Exception, match="Give the key a name of 1 to 100 characters."):
        api_key_create(name=name, user=marketer)
    assert ApiKey.objects.count() == 0


def test_create_refuses_an_inactive_user(marketer):
    marketer.is_active = False
    with pytest.raises(Exception, match="An API key cannot act as an inactive user."):
        api_key_create(name="CI", user=marketer)
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize("scheme", ["Api-Key", "api-key", "Bearer"])
def test_key_in_the_header_authenticates_as_its_user(key_client, marketer, scheme):
    response = key_client(marketer, scheme=scheme).get(SEGMENTS)
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


UNKNOWN = "Unknown API key. Check that it was copied whole, or ask an admin for a new one."


@pytest.mark.parametrize("header, message", [
    ("Api-Key rk_abcdefgh_" + "x" * 43, UNKNOWN),
    ("Api-Key not-a-key", UNKNOWN),
    ("Api-Key rk_abcdefgh_", UNKNOWN),
    ("Bearer", "Send the key as “Authorization: Api-Key <key>”, nothing else in the header."),
    ("Api-Key a b", "Send the key as “Authorization: Api-Key <key>”, nothing else in the header."),
])
def test_wrong_key_is_401_with_a_clear_message(anon_client, header, message):
    response = anon_client.get(SEGMENTS, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"field": None, "message": message}]}
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'


def test_a_token_with_a_known_prefix_but_another_secret_is_refused(anon_client, make_key, marketer):
    key, token = make_key(marketer)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = anon_client.get(SEGMENTS, HTTP_AUTHORIZATION=f"Api-Key {forged}")
    assert response.status_code == 401
    assert messages(response) == [UNKNOWN]


def test_revoked_key_is_401_and_says_so(anon_client, make_key, marketer):
    key, token = make_key(marketer)
    api_key_revoke(key=key)
    response = anon_client.get(SEGMENTS, HTTP_AUTHORIZATION=f"Api-Key {token}")
    assert response.status_code == 401
    assert messages(response) == ["This API key was revoked on 2026-06-15 12:00. Ask an admin for a new one."]


def test_revoking_twice_keeps_the_first_time(make_key, marketer):
    key, _token = make_key(marketer)
    api_key_revoke(key=key, now=NOW - timedelta(hours=1))
    api_key_revoke(key=key, now=NOW)
    key.refresh_from_db()
    assert key.revoked_at == NOW - timedelta(hours=1)


def test_key_of_a_deactivated_user_is_401(anon_client, make_key, marketer):
    _key, token = make_key(marketer)
    marketer.is_active = False
    marketer.save(update_fields=["is_active"])
    response = anon_client.get(SEGMENTS, HTTP_AUTHORIZATION=f"Api-Key {token}")
    assert response.status_code == 401
    assert messages(response) == ["The user this API key acts as is deactivated."]


def test_no_credentials_is_401_saying_what_to_send(anon_client):
    response = anon_client.get(SEGMENTS)
    assert response.status_code == 401
    assert messages(response) == ["Log in, or send an API key in the header “Authorization: Api-Key <key>”."]


def test_basic_auth_header_is_not_taken_for_a_key(anon_client):
    response = anon_client.get(SEGMENTS, HTTP_AUTHORIZATION="Basic YWRtaW46YWRtaW4=")
    assert response.status_code == 401
    assert messages(response) == ["Log in, or send an API key in the header “Authorization: Api-Key <key>”."]


def test_last_used_is_written_at_most_once_a_minute(key_client, marketer, monkeypatch):
    client = key_client(marketer)
    client.get(SEGMENTS)
    key = ApiKey.objects.get()
    assert key.last_used_at == NOW
    later = NOW + timedelta(seconds=59)
    monkeypatch.setattr(timezone, "now", lambda: later)
    client.get(SEGMENTS)
    assert ApiKey.objects.get().last_used_at == NOW
    much_later = NOW + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: much_later)
    client.get(SEGMENTS)
    assert ApiKey.objects.get().last_used_at == much_later


def test_touch_is_conditional_so_a_stale_copy_does_not_write_again(make_key, marketer):
    key, _token = make_key(marketer)
    assert api_key_touch(key=key, now=NOW) is True
    stale_copy = ApiKey.objects.get(pk=key.pk)
    stale_copy.last_used_at = None
    assert api_key_touch(key=stale_copy, now=NOW + timedelta(seconds=30)) is False
    assert ApiKey.objects.get().last_used_at == NOW


def test_create_api_key_command_prints_the_token_once(marketer):
    out, err = StringIO(), StringIO()
    call_command("create_api_key", "--user", marketer.username, "--name", "CI", stdout=out, stderr=err)
    token = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(token.encode()).hexdigest() and key.user == marketer
    assert key.created_by is None and token not in err.getvalue()
    assert f"rk_{key.prefix}…" in err.getvalue()


def test_create_api_key_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'nobody'."):
        call_command("create_api_key", "--user", "nobody", "--name", "CI")
    assert ApiKey.objects.count() == 0
