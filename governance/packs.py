"""The one door for board packs: the page and the `board_pack` command both call `board_pack`.

It checks the scope is the exporter's (`roles.permissions.may_export_pack` for a place,
`may_export_ics_pack` for an ICS; an `Operator` running the command may export any), reads the
declared tables (`governance.reports`), renders them (`governance.renderers`, into a spooled
temporary file) and writes the `ExportLog` row: who, what, which scope, as of when, the format,
how many rows, how big, and whether from the page or the command. A refusal raises `PackRefused`
(its status is the HTTP status to answer) with nothing written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from roles import permissions
from roles.formatting import person
from roles.models import ICS, Place, plausible_date
from roles.services import ChangeRefused

from . import renderers, reports
from .models import ExportLog

FORMATS = tuple(ExportLog.Format.values)
VIA = ("page", "command")


class PackRefused(ChangeRefused):
    status = 400


class PackNotAllowed(PackRefused):
    status = 403


@dataclass(frozen=True)
class Operator:
    """Someone running the management command on the server: they may export any scope, and see
    Part 2 (private) decisions."""

    name: str


def may_export(by, scope: reports.Scope) -> bool:
    if isinstance(by, Operator):
        return True
    if scope.is_ics_wide:
        return permissions.may_export_ics_pack(by, scope.ics)
    return permissions.may_export_pack(by, scope.place)


def scope_of(target: Place | ICS) -> reports.Scope:
    return reports.Scope.of_ics(target) if isinstance(target, ICS) else reports.Scope.of_place(target)


def board_pack(*, scope: reports.Scope, as_of: dt.date, fmt: str, by, via: str = "page"):
    """The board pack for `scope` as of `as_of` in `fmt` ("xlsx", "csv" or "pdf"), logged.

    Returns (file name, file): the file is a `SpooledTemporaryFile` at its start, for the caller
    to stream (`FileResponse`) or copy, and close.
    """
    if fmt not in FORMATS:
        raise PackRefused(f"“{str(fmt)[:20]}” is not a format: choose one of {', '.join(FORMATS)}.")
    if via not in VIA:
        raise PackRefused(f"“{str(via)[:20]}” is not a way of exporting: use page or command.")
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise PackRefused("Give the “as of” date as a date (YYYY-MM-DD).")
    try:
        plausible_date(as_of)
    except ValidationError as error:
        raise PackRefused(" ".join(error.messages)) from error
    if not may_export(by, scope):
        raise PackNotAllowed(f"You may not export the board pack of {scope.name}.")
    viewer = None if isinstance(by, Operator) else by
    pack = reports.pack_of(scope=scope, as_of=as_of, viewer=viewer)
    file = rendered_and_logged(
        pack,
        fmt,
        by=by,
        what="board_pack",
        place=scope.place,
        ics=scope.ics if scope.is_ics_wide else None,
        scope_name=scope.name,
        as_of=as_of,
        via=via,
    )
    return renderers.filename(pack, fmt), file


def rendered_and_logged(pack, fmt: str, *, by, what: str, place, ics, scope_name: str, as_of, via: str):
    """`pack` drawn in `fmt` into a spooled file at its start, with an `ExportLog` row saying who
    exported what and how big it was; the file is closed again if the log cannot be written."""
    file = renderers.render(pack, fmt)
    try:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
        with transaction.atomic():
            log = ExportLog(
                by=None if isinstance(by, Operator) else by,
                by_name=by.name if isinstance(by, Operator) else person(by),
                what=what,
                place=place,
                ics=ics,
                scope_name=scope_name[:200],
                as_of=as_of,
                format=fmt,
                via=via,
                rows=pack.row_count,
                size_bytes=size,
            )
            log.full_clean()
            log.save()
    except BaseException:
        file.close()
        raise
    return file


def recent_exports(*, places, icss, limit: int = 10):
    """The latest board packs exported for these places and ICSs, newest first (one query)."""
    from django.db.models import Q

    return list(ExportLog.objects.filter(Q(place__in=places) | Q(ics__in=icss)).select_related("place", "ics")[:limit])
