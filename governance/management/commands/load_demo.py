import os

from django.core.management.base import BaseCommand
from django.db import transaction

from governance.demo import GovernanceLoader
from recruitment import demo as recruitment_demo
from roles.demo import DEMO_USERS, Loader

DEFAULT_PASSWORD = "demo-pass-2022"


class Command(BaseCommand):
    help = (
        "Load the demo data from the seed board papers (South East London with Bexley, Joined Up Care "
        "Derbyshire) and one demo user per kind of user. Idempotent: rows that exist are left alone, so it "
        "is safe to run on every start; --reset puts the demo rows back as defined. "
        "Some figures are ASSUMPTIONS where the papers give none (sessions for most Bexley roles, how the "
        "11 interim sessions split, which roles were filled by April 2022, functions): see roles/demo.py; "
        "the boards' quorum, attendance and decisions: see governance/demo.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Put demo rows back as defined.")
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD),
            help="Password for the demo users (default: $DEMO_PASSWORD or %(default)s).",
        )

    def handle(self, *args, reset, password, **options):
        with transaction.atomic():
            if reset:
                recruitment_demo.clear()
            created = Loader(reset=reset, password=password).load()
            recruitment_demo.panel_user(password, reset=reset)
            created += recruitment_demo.RecruitmentLoader(reset=reset).load()
            created += GovernanceLoader(reset=reset).load()
        action = "created or reset" if reset else "created (existing rows left as they were)"
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {created} rows {action}."))
        self.stdout.write("Figures the papers do not give are assumptions; `manage.py help load_demo` says which.")
        self.stdout.write("")
        self.stdout.write(f"Demo users (password: {password}):")
        for username, _first, _last, kind, scopes, is_staff in DEMO_USERS:
            where = ", ".join(scope.split(":")[1] for scope in scopes)
            admin = " + admin site" if is_staff else ""
            self.stdout.write(f"  {username:<13} {kind.label}: {where}{admin}")
        self.stdout.write(f"  {recruitment_demo.PANEL_USERNAME:<13} Panel member: scores Bexley's recruitment rounds")
