"""Import applications into an advert round from a CSV file: `manage.py import_applications ROUND_ID FILE`.

The columns are in docs/applications-csv.md. Without `--as` the import is made by the system (a
command run from the server's shell); with `--as USERNAME` it is made, and checked, as that user.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from recruitment.imports import ImportRefused, applications_import
from roles.formatting import day
from roles.models import AdvertRound
from roles.services import ChangeRefused


class Command(BaseCommand):
    help = "Import applications into an advert round from a CSV file, all or nothing (see docs/applications-csv.md)."

    def add_arguments(self, parser):
        parser.add_argument("round_id", type=int, help="The advert round's id (the number in its admin address).")
        parser.add_argument("file", help="The CSV file, saved as CSV UTF-8.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and show what would be imported.")
        parser.add_argument("--as", dest="username", help="Import as this user (default: the system).")

    def handle(self, *args, round_id, file, dry_run, username, **options):
        round_ = AdvertRound.objects.select_related("role__place").filter(pk=round_id).first()
        if round_ is None:
            raise CommandError(
                f"There is no advert round {round_id}: give the id of an existing round "
                "(the number in its admin address)."
            )
        by = None
        if username:
            by = get_user_model().objects.filter(username=username).first()
            if by is None:
                raise CommandError(
                    f"There is no user “{username}”: give an existing username to --as, or leave --as out to import "
                    "as the system."
                )
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file at {path}: give the path of the CSV file to import.")
        try:
            with path.open("rb") as opened:
                report = applications_import(round=round_, file=opened, by=by, dry_run=dry_run)
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(problem)
            raise CommandError(refused.message) from refused
        except ChangeRefused as refused:
            raise CommandError(f"{refused} Nothing was imported.") from refused
        for row in report.rows:
            late = " (late)" if row.late else ""
            self.stdout.write(
                f"Line {row.line}: {row.name} <{row.email}>, {row.profession}, received {day(row.received_on)}{late}"
            )
        self.stdout.write(self.style.SUCCESS(report.summary))
        if dry_run:
            self.stdout.write("Dry run: nothing was imported. Run again without --dry-run to import.")
