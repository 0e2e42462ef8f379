"""Load national-scale data for benchmarks and load tests (see `governance.scale`).

python manage.py load_scale                      # England: 42 ICSs, 200 places, 5,000 roles ...
python manage.py load_scale --scale tiny         # the same shape in a couple of seconds
python manage.py load_scale --seed 2 --replace   # remove the scale set and load it again
python manage.py load_scale --if-missing         # load it unless it is there (make bench, make load)
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from governance import scale


class Command(BaseCommand):
    help = (
        "Load reproducible national-scale data through the real models (bulk inserts, with the audit trail, "
        "history, rounds, plans and reminders the services would have written): England's 42 ICSs, 200 "
        "places, 5,000 roles, 50,000 applications and 100,000 milestones, or a fraction of it (--scale). "
        "Refuses when the scale set is already loaded; --replace removes it (never the demo's rows) first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (default 1): the same seed, the same rows."
        )
        parser.add_argument("--scale", choices=sorted(scale.SCALES), default="england", help="Default: england.")
        already = parser.add_mutually_exclusive_group()
        already.add_argument("--replace", action="store_true", help="Remove the scale set first, then load it again.")
        already.add_argument(
            "--if-missing",
            action="store_true",
            help="Load only when no scale set is loaded; otherwise say so and change nothing (make bench, make load).",
        )
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", scale.DEFAULT_PASSWORD),
            help="Password for the scale set's users (default: $DEMO_PASSWORD or %(default)s).",
        )

    def handle(self, *args, seed, replace, if_missing, password, **options):
        present = scale.scale_present()
        if if_missing and any(present.values()):
            found = ", ".join(f"{count:,} {what}" for what, count in present.items() if count)
            self.stdout.write(f"The scale set is already loaded ({found}): nothing to do.")
            return
        try:
            # As sweep_reminders --bench does: with DEBUG on, Django would also format and keep the SQL of
            # every insert (thousands of rows each), which costs time and, for england, memory.
            with override_settings(DEBUG=False):
                loaded = scale.scale_load(scale=options["scale"], seed=seed, replace=replace, password=password)
        except scale.AlreadyLoaded as error:
            raise CommandError(str(error)) from error
        if loaded.removed:
            self.stdout.write(f"Removed the scale set that was loaded: {sum(loaded.removed.values()):,} rows.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Scale set “{loaded.scale.name}” (seed {loaded.seed}) loaded in {loaded.seconds:.1f} s: "
                f"{sum(loaded.counts.values()):,} rows."
            )
        )
        for label, count in loaded.counts.items():
            self.stdout.write(f"  {label:<45} {count:>9,}")
        if options["verbosity"] > 1:
            self.stdout.write("Seconds, by phase and by table written (history included):")
            for label, seconds in loaded.timings.items():
                self.stdout.write(f"  {label:<45} {seconds:>9.2f}")
        self.stdout.write("")
        self.stdout.write(f"Users (password: {password}):")
        for username, scope in loaded.users:
            self.stdout.write(f"  {username:<18} {scope}")
        self.stdout.write("")
        self.stdout.write(
            f"Big place: {scale.BIG_PLACE_SLUG}; big ICS: {scale.BIG_ICS_SLUG}. The data stand as on "
            f"{scale.AS_OF:%d %b %Y}: `manage.py sweep_reminders --today {scale.AS_OF.isoformat()}` sweeps that day."
        )
