"""Forms for recording a board's meetings: a meeting, an agenda item, a paper, the attendance, the
minutes, a declaration of interest and a decision with its votes.

The board, meeting or item comes from the URL, never from the form: members, organisations and
roles are offered from that board's own, so an id of another board's row is simply no choice. The
rules (quorum, votes, casting vote) are `governance.services`' and `governance.rules`'; a form only
turns what was typed into the values a service takes.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms

from roles.forms import IdChoiceField, IdMultipleChoiceField, UKDateField, date_field, role_checklist
from roles.models import Budget, Declaration, Place, Role, plausible_date

from .models import AgendaItem, Attendance, Board, BoardMember, Decision, Meeting, Paper, Vote
from .services import DECLARATION_ACTIONS


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class MeetingForm(forms.Form):
    held_on = UKDateField(label="Date", validators=[plausible_date])
    part = forms.TypedChoiceField(
        label="Part", choices=Meeting.Part.choices, coerce=int, initial=Meeting.Part.PUBLIC, widget=forms.RadioSelect
    )
    starts_at = forms.TimeField(
        label="Starts at", required=False, widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"})
    )
    location = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, meeting: Meeting | None = None, **kwargs):
        if meeting is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(meeting, name) for name in ("held_on", "part", "starts_at", "location")}
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def service_values(self) -> dict:
        return dict(self.cleaned_data)


class ItemForm(forms.Form):
    number = forms.IntegerField(
        required=False, min_value=1, max_value=999, help_text="Leave empty to number it after the last."
    )
    title = forms.CharField(max_length=300)
    presenter = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        if not values["number"]:
            del values["number"]
        return values


class PaperForm(forms.Form):
    title = forms.CharField(max_length=300)
    asks = forms.ChoiceField(label="The board is asked to", choices=Paper.Ask.choices)
    recommendation = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    author = forms.CharField(max_length=200, required=False)
    published_on = date_field("Published on")
    document = forms.FileField(required=False, help_text="The paper itself (optional).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["published_on"].help_text = "Leave empty until it is published."
        self.helper = _helper()

    def service_values(self) -> dict:
        return dict(self.cleaned_data)


class AttendanceForm(forms.Form):
    """Every member's attendance at once: a status (or "not recorded") and a deputy's name each."""

    NOT_RECORDED = ""

    def __init__(self, *args, members: list[BoardMember], recorded: dict[int, Attendance], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        choices = [(self.NOT_RECORDED, "Not recorded"), *Attendance.Status.choices]
        for member in members:
            row = recorded.get(member.pk)
            organisation = f", {member.organisation}" if member.organisation_id else ""
            self.fields[f"status_{member.pk}"] = forms.ChoiceField(
                label=f"{member.person.name} ({member.get_capacity_display()}{organisation})",
                choices=choices,
                required=False,
                initial=row.status if row else self.NOT_RECORDED,
            )
            self.fields[f"deputy_{member.pk}"] = forms.CharField(
                label=f"Deputy for {member.person.name}",
                max_length=200,
                required=False,
                initial=row.deputy_name if row else "",
            )
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        for member in self.members:
            status, deputy = cleaned.get(f"status_{member.pk}"), (cleaned.get(f"deputy_{member.pk}") or "").strip()
            if status == Attendance.Status.DEPUTY and not deputy:
                self.add_error(f"deputy_{member.pk}", f"Name the deputy who represented {member.person.name}.")
        return cleaned

    def statuses(self) -> dict[int, tuple[str, str]]:
        """What `services.attendance_record` takes: the members whose attendance is given."""
        data = self.cleaned_data
        return {
            member.pk: (data[f"status_{member.pk}"], data.get(f"deputy_{member.pk}", ""))
            for member in self.members
            if data.get(f"status_{member.pk}")
        }


class MinutesForm(forms.Form):
    minutes = forms.CharField(required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 8}))
    shared_on = date_field("Shared with members on")

    def __init__(self, *args, meeting: Meeting, **kwargs):
        if "initial" not in kwargs:
            kwargs["initial"] = {"minutes": meeting.minutes, "shared_on": meeting.minutes_shared_on}
        super().__init__(*args, **kwargs)
        self.fields["shared_on"].help_text = "Leave empty until they are shared: they are reminded until then."
        self.helper = _helper()


class MemberField(IdChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.person.name} ({obj.organisation or obj.get_capacity_display()})"


class DeclarationForm(forms.Form):
    """A member's declaration of interest: about the item (with the action taken), or standing."""

    interest = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, board: Board, item: AgendaItem | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = MemberField(
            queryset=board.members.select_related("person", "organisation").order_by("person__name"),
            empty_label="Choose the member",
            error_messages={"invalid_choice": f"Choose one of {board}'s members: that one is not."},
        )
        actions = DECLARATION_ACTIONS if item is not None else (Declaration.Action.NONE, Declaration.Action.OTHER)
        self.fields["action"] = forms.ChoiceField(
            label="Action taken", choices=[(a, Declaration.Action(a).label) for a in actions]
        )
        self.order_fields(["member", "interest", "action", "notes"])
        self.helper = _helper()


class DecisionForm(forms.Form):
    """A decision: by consensus (an outcome), or by vote (one choice per voting organisation, and the
    chair's casting vote on a tie). The outcome of a vote is counted, not chosen."""

    text = forms.CharField(label="What was decided", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    by_vote = forms.BooleanField(required=False, label="Decided by a vote of the member organisations")
    outcome = forms.ChoiceField(
        choices=Decision.Outcome.choices,
        initial=Decision.Outcome.AGREED,
        help_text="Without a vote; a vote's outcome is counted from the votes.",
    )
    casting_vote = forms.ChoiceField(label="Chair's casting vote", choices=Decision.Casting.choices, required=False)
    inquorate = forms.BooleanField(
        required=False,
        label="Record it although the meeting was not quorate",
        help_text="Only for a meeting that was not quorate; every export shows the flag.",
    )

    def __init__(self, *args, board: Board, organisations: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.voting = [o for o in organisations if o.is_voting]
        vote_choices = [("", "No vote"), *Vote.Choice.choices]
        for organisation in self.voting:
            self.fields[f"vote_{organisation.pk}"] = forms.ChoiceField(
                label=organisation.name, choices=vote_choices, required=False
            )
        scope = Place.objects.filter(pk=board.place_id)
        if board.place.is_system_wide:
            scope = Place.objects.filter(ics_id=board.place.ics_id)
        self.fields["roles"] = role_checklist(
            Role.objects.filter(place__in=scope), label="Roles it authorises", of=board.place
        )
        self.fields["budgets"] = IdMultipleChoiceField(
            queryset=Budget.objects.filter(place__in=scope)
            .select_related("place")
            .order_by("place__name", "financial_year"),
            required=False,
            label="Budgets it authorises",
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": f"Choose budgets of {board.place} only: %(value)s is not one of them.",
                "invalid_pk_value": "“%(pk)s” is not a budget: choose budgets from the list.",
            },
        )
        self.helper = _helper()

    def votes(self) -> dict[int, str]:
        data = self.cleaned_data
        return {o.pk: data[f"vote_{o.pk}"] for o in self.voting if data.get(f"vote_{o.pk}")}

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("by_vote") and (self.votes() or cleaned.get("casting_vote")):
            self.add_error("by_vote", "Votes are given: tick “decided by a vote”, or set each to “No vote”.")
        return cleaned
