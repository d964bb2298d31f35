"""Demo users for the embedded run: one per role plus extra reps as owners."""
from django.contrib.auth.models import Group, User

from .roles import Role

DEMO_PASSWORD = "rekindle-demo"  # noqa: S105  (demo logins, printed by `make run`)

# (username, role, first name, last name, email, can log in)
DEMO_USERS = [
    ("admin", Role.ADMIN, "Kenji", "Yamada", "admin@rekindle.example", True),
    ("marketer", Role.MARKETER, "Yui", "Takahashi", "marketer@rekindle.example", True),
    ("rep", Role.INSIDE_SALES, "Taro", "Sato", "rep@rekindle.example", True),
    ("rep.suzuki", Role.INSIDE_SALES, "Hanako", "Suzuki", "suzuki@rekindle.example", True),
    ("rep.tanaka", Role.INSIDE_SALES, "Makoto", "Tanaka", "tanaka@rekindle.example", True),
]


def demo_users_ensure():
    """Create the demo users if missing (idempotent); returns them in order.

    Existing users keep their passwords: an operator who changed one after the
    first run is not reset by the next `make run`.
    """
    users = []
    for username, role, first, last, email, _can_login in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": email, "is_staff": role == Role.ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        users.append(user)
    return users


def demo_reps():
    usernames = [entry[0] for entry in DEMO_USERS]
    return list(User.objects.filter(groups__name=Role.INSIDE_SALES, username__in=usernames).order_by("id"))
