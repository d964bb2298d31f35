from django.core.management.base import BaseCommand

from accounts.services import DEMO_PASSWORD, demo_users_ensure


class Command(BaseCommand):
    help = "Create the demo users (admin, marketer, inside-sales reps) and print their logins."

    def handle(self, *args, **options):
        users = demo_users_ensure()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for user in users:
            role = user.groups.first().name
            self.stdout.write(f"  {user.username:<12} {role}")
