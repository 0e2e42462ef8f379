"""Import roles into a place from a CSV or XLSX file: `manage.py import_roles PLACE FILE --as USERNAME`.

All or nothing, through the same service as the import page (`roles.imports.roles_import`), checked
as the user named by `--as` (someone who may edit the place's roles). `--dry-run` checks everything
and saves nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from roles.imports import roles_import
from roles.models import Place
from roles.services import ChangeRefused


class Command(BaseCommand):
    help = "Import roles into a place from a CSV or XLSX file, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("place", help="The place's slug, as in its address (e.g. bexley).")
        parser.add_argument("file", help="A .csv (UTF-8) or .xlsx file with a header row.")
        parser.add_argument(
            "--as", dest="username", required=True, help="Import as this user (who may edit the place)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file and show what would be added.")

    def handle(self, *args, place, file, username, dry_run, **options):
        target = Place.objects.select_related("ics").filter(slug=place).first()
        if target is None:
            raise CommandError(f"There is no place “{place}”: give a place's slug, as in its address (e.g. bexley).")
        by = get_user_model().objects.filter(username=username).first()
        if by is None:
            raise CommandError(f"There is no user “{username}”: give an existing username to --as.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file at {path}: give the path of the file to import.")
        try:
            with path.open("rb") as opened:
                report = roles_import(place=target, file=opened, by=by, dry_run=dry_run, name=path.name)
        except ChangeRefused as refused:
            for problem in refused.problems:
                self.stderr.write(problem)
            raise CommandError(refused.message) from refused
        for role in report.roles:
            template = f" (from “{role.template_role}”)" if role.template_role_id else " (added locally)"
            self.stdout.write(f"{role.title}: {role.get_role_type_display()}{template}")
        self.stdout.write(self.style.SUCCESS(report.summary))
        if dry_run:
            self.stdout.write("Dry run: nothing was imported. Run again without --dry-run to import.")
