"""The admin for boards: ICS administrators set up their ICS's boards and groups (terms of reference,
member organisations and named representatives); meetings and decisions are shown read only, because
they are recorded on the pages through `governance.services` (the quorum, the votes and the
declarations have rules a plain form would go around).

Scoped as every admin is (`roles.admin.ScopedAdmin`): an ICS administrator sees and changes the boards
of their ICS's places (its ICS-wide unit included), and nothing else; HR recruiters do not see
governance at all.
"""

from __future__ import annotations

import functools

from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.db.models import Q
from django.utils.text import Truncator

from recruitment.admin import OwnRowsInline
from roles import permissions
from roles.admin import ReadOnlyAdmin, ScopedAdmin, TabularRows
from roles.forms import IdChoiceField
from roles.models import Person
from roles.paths import admin_path

from . import access
from .models import Board, BoardMember, Decision, ExportLog, Meeting, Organisation, Vote


class BoardRowsInline(OwnRowsInline):
    """A board's organisations and members, written with it by whoever may change the board."""

    def may_edit(self, request, obj) -> bool:
        if obj is None:
            return permissions.is_ics_admin(request.user)
        return permissions.admin_places(request.user, change=True).filter(pk=obj.place_id).exists()

    def has_view_permission(self, request, obj=None):
        return permissions.is_ics_admin(request.user)


class OrganisationInline(BoardRowsInline):
    model = Organisation
    fields = ("name", "is_voting", "order")


class PeopleRawIdWidget(ForeignKeyRawIdWidget):
    """The person's id box with their name beside it, the names of every row read in one query
    (`people`, called once) rather than one query a row."""

    def __init__(self, rel, admin_site, people, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.people = people

    def label_and_url_for_value(self, value):
        person = self.people().get(str(value))
        if person is None:
            return super().label_and_url_for_value(value)
        url = admin_path(f"{self.admin_site.name}:roles_person_change", person.pk)
        return Truncator(person).words(14), url


class BoardMemberInline(BoardRowsInline):
    model = BoardMember
    fields = ("person", "organisation", "capacity", "job_title", "term_starts_on", "term_ends_on")
    raw_id_fields = ("person",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "board", "organisation")

    def get_formset(self, request, obj=None, **kwargs):
        request._members_of_board = obj  # the board whose rows the fields below are for
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        board = getattr(request, "_members_of_board", None)
        if db_field.name == "organisation":
            # A member represents one of this board's organisations (`BoardMember.clean`): a board
            # being added has none saved yet, so its members are named first and placed after.
            kwargs["queryset"] = (
                Organisation.objects.filter(board=board) if board is not None else Organisation.objects.none()
            )
            if board is None:
                kwargs["help_text"] = (
                    "Save the board with its organisations first, then choose who each member represents."
                )
            kwargs.setdefault("form_class", IdChoiceField)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.choices = list(field.choices)  # read once, not once a row (every row's copy shares them)
            return field
        if db_field.name == "person" and board is not None:
            people = functools.cache(lambda: {str(p.pk): p for p in Person.objects.filter(board_seats__board=board)})
            kwargs["widget"] = PeopleRawIdWidget(db_field.remote_field, self.admin_site, people)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Board)
class BoardAdmin(ScopedAdmin):
    place_path = "place"
    list_display = ("name", "kind", "place", "quorum_organisations", "papers_due_days", "minutes_due_days")
    list_filter = ("kind",)
    search_fields = ("name",)
    inlines = [OrganisationInline, BoardMemberInline]
    fieldsets = [
        (None, {"fields": ("place", "name", "kind", "purpose", "terms_agreed_on", "terms_review_on")}),
        (
            "Quorum and voting",
            {
                "fields": (
                    "quorum_organisations",
                    "quorum_needs_chair",
                    "one_vote_per_organisation",
                    "chair_has_casting_vote",
                )
            },
        ),
        ("Papers and minutes", {"fields": ("papers_due_days", "minutes_due_days")}),
    ]

    def has_delete_permission(self, request, obj=None):
        """A board with meetings is kept (its decisions authorise roles); one never met may go."""
        if obj is not None and obj.meetings.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    place_path = "board__place"
    list_display = ("board", "held_on", "part", "minutes_shared_on")
    list_filter = ("part",)
    date_hierarchy = "held_on"

    def get_queryset(self, request):
        """Part 2 meetings only for those who may read them (`access.readable_meetings_filter`)."""
        return super().get_queryset(request).filter(access.readable_meetings_filter(request.user))


class VoteInline(TabularRows):
    model = Vote
    fields = ("organisation", "choice", "cast_by", "excluded", "excluded_because")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return permissions.is_ics_admin(request.user)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    place_path = "item__meeting__board__place"
    list_display = ("__str__", "outcome", "by_vote", "inquorate")
    list_filter = ("outcome", "by_vote", "inquorate")
    list_select_related = ("item__meeting__board",)  # what each row's title reads
    inlines = [VoteInline]

    def get_queryset(self, request):
        readable = Meeting.objects.filter(access.readable_meetings_filter(request.user))
        return super().get_queryset(request).filter(item__meeting__in=readable)


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    """Who exported which board pack, when: the log `governance.packs` writes, read here."""

    ics_path = "ics"
    list_display = ("at", "by_name", "scope_name", "as_of", "format", "via", "rows")
    list_filter = ("format", "via")
    date_hierarchy = "at"

    def _scope(self, queryset, user, *, change: bool):
        """A place's packs for those who administer its ICS, and their ICS's ICS-wide packs."""
        places = permissions.admin_places(user, change=True)
        return queryset.filter(Q(place__in=places) | Q(ics__in=places.values("ics_id")))
