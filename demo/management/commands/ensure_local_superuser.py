"""``manage.py ensure_local_superuser``: a superuser for the local admin, made once.

``make run`` calls this on every start. The first time it creates the user
with a generated password and prints both; after that it only says the user
exists. It is a local-development convenience, so it refuses to run unless
DEBUG is on: production accounts are made with ``createsuperuser``.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Make sure a local superuser exists (DEBUG only); prints a generated password the first time."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin", help='User name of the superuser (default "admin").')
        parser.add_argument("--email", default="admin@localhost", help="Email address for a new superuser.")

    def handle(self, *args, username, email, **options):
        if not settings.DEBUG:
            raise CommandError(
                "ensure_local_superuser only runs with DEBUG on: it is a local-development convenience that prints "
                "a password. On a real site create accounts with `python manage.py createsuperuser`."
            )
        user_model = get_user_model()
        existing = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        reset_hint = f"To set a new password: python manage.py changepassword {username}"
        if existing is not None:
            kind = "superuser" if existing.is_superuser else "user (not a superuser)"
            self.stdout.write(f'Local {kind} "{username}" already exists. {reset_hint}')
            return
        password = secrets.token_urlsafe(18)
        user_model._default_manager.create_superuser(
            **{user_model.USERNAME_FIELD: username}, email=email, password=password
        )
        self.stdout.write(self.style.SUCCESS(f'Created local superuser "{username}".'))
        self.stdout.write(f"  User name: {username}")
        self.stdout.write(f"  Password:  {password}")
        self.stdout.write(f"Keep it somewhere safe; it is not shown again. {reset_hint}")
