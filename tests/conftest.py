"""Shared fixtures: personas for each role."""
import pytest
from django.contrib.auth.models import Group, User

from accounts.roles import Role


def _make_user(username, role, **extra):
    password = "pw-" + username + "-1234"
    user = User.objects.create_user(username=username, password=password, email=f"{username}@example.com", **extra)
    # get_or_create: transactional tests flush the groups the migration made.
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def admin_user(db):
    return _make_user("admin1", Role.ADMIN, is_staff=True)


@pytest.fixture
def marketer(db):
    return _make_user("marketer1", Role.MARKETER)


@pytest.fixture
def rep(db):
    return _make_user("rep1", Role.INSIDE_SALES, first_name="Taro", last_name="Sato")


@pytest.fixture
def other_rep(db):
    return _make_user("rep2", Role.INSIDE_SALES, first_name="Hanako", last_name="Suzuki")


@pytest.fixture
def persona_client(client):
    """Log `client` in as the given user: persona_client(marketer)."""

    def login(user):
        client.force_login(user)
        return client

    return login
