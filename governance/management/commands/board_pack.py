"""`python manage.py board_pack (--place SLUG | --ics SLUG) --as-of YYYY-MM-DD --format xlsx|csv|pdf --out FILE`

The operator's door to the board pack: the same `governance.packs.board_pack` the page calls, run as
an `Operator` (every scope; Part 2 decisions included), logged with via="command". A bad date, an
unknown slug or an unwritable file stops with a CommandError that names the fix, before anything is
made or logged.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import shutil

from django.core.management.base import BaseCommand, CommandError

from governance import packs
from governance.reports import Scope
from roles.models import ICS, Place


class Command(BaseCommand):
    help = "Export a place's or an ICS's board pack as of a date, as XLSX, CSV (zipped) or PDF."

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--place", metavar="SLUG", help="The place's slug, e.g. bexley.")
        scope.add_argument("--ics", metavar="SLUG", help="The ICS's slug, e.g. sel: every place of the ICS.")
        parser.add_argument("--as-of", required=True, metavar="YYYY-MM-DD", help="The date the pack is as of.")
        parser.add_argument("--format", required=True, choices=packs.FORMATS, help="xlsx, csv (a zip) or pdf.")
        parser.add_argument("--out", required=True, metavar="FILE", help="Where to write the pack.")

    def handle(self, *args, place, ics, as_of, format, out, **options):
        try:
            when = dt.date.fromisoformat(as_of)
        except ValueError:
            raise CommandError(f"--as-of {as_of!r} is not a date: give it as YYYY-MM-DD, e.g. 2022-04-04.") from None
        if place:
            found = Place.objects.select_related("ics").filter(slug=place).first()
            if found is None:
                known = ", ".join(Place.objects.order_by("slug").values_list("slug", flat=True)[:20])
                raise CommandError(f"No place has the slug {place!r}: use one of {known or 'none yet'}.")
            scope = Scope.of_place(found)
        else:
            found = ICS.objects.filter(slug=ics).first()
            if found is None:
                known = ", ".join(ICS.objects.order_by("slug").values_list("slug", flat=True)[:20])
                raise CommandError(f"No ICS has the slug {ics!r}: use one of {known or 'none yet'}.")
            scope = Scope.of_ics(found)
        folder = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(folder):
            raise CommandError(f"The folder {folder} does not exist: create it or choose another --out.")
        operator = packs.Operator(f"operator ({getpass.getuser()})")
        try:
            name, file = packs.board_pack(scope=scope, as_of=when, fmt=format, by=operator, via="command")
        except packs.PackRefused as refusal:
            raise CommandError(refusal.message) from refusal
        with file, open(out, "wb") as target:
            shutil.copyfileobj(file, target)
        self.stdout.write(self.style.SUCCESS(f"Wrote {scope.name}'s board pack as of {when:%d/%m/%Y} to {out}."))
