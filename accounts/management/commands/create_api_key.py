from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import api_key_create


class Command(BaseCommand):
    help = ("Create an API key acting as USERNAME and print it. The key is printed once: only its hash is "
            "stored.")

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username the key acts as (it gets that user's roles)")
        parser.add_argument("--name", required=True, help="what uses the key, shown on the API keys page")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}.")
        try:
            key, token = api_key_create(name=options["name"], user=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(f"Created API key {key.name!r} (rk_{key.prefix}…) acting as {user.username}. "
                          "Copy it now: it is not shown again.")
        self.stdout.write(token)
