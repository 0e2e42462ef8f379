"""Forms for milestone plans: a milestone, starting a tranche from a template, marking one done.

The place comes from the URL, never from the form: owners are chosen from `plans.owners_for(place)`
and roles from the place's own, so an id of another place's user or role is simply no choice. The
rule on a milestone's time is `models.when_problems`, the one the model and the services use.
"""

from __future__ import annotations

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.db.models import Q
from django.utils import timezone

from roles.formatting import day, person
from roles.forms import IdChoiceField, UKDateField, date_field, role_checklist, version_field
from roles.models import Place, plausible_date

from .models import Milestone, PlanTemplate, When, when_problems
from .plans import owners_for


class OwnerField(IdChoiceField):
    def label_from_instance(self, obj):
        return person(obj)


def _roles_field(place: Place, label: str):
    return role_checklist(place.roles.all(), label=label, of=place.name)


class MilestoneForm(forms.Form):
    """Add or edit one milestone. Editing a dated milestone that has later ones offers to move them
    by the same number of days (`shift_later`), and carries the version it was loaded from."""

    title = forms.CharField(max_length=200)
    when_kind = forms.ChoiceField(label="When", choices=When.choices, initial=When.DATE, widget=forms.RadioSelect)
    starts_on = date_field("Date")
    ends_on = date_field("Until")
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, place: Place, milestone: Milestone | None = None, later: int = 0, **kwargs):
        if milestone is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": milestone.title,
                "when_kind": milestone.when_kind,
                "starts_on": milestone.starts_on,
                "ends_on": milestone.ends_on,
                "owner": milestone.owner_id,
                "notes": milestone.notes,
                "roles": [role.pk for role in milestone.roles.all()],
                "version": milestone.version,
            }
        super().__init__(*args, **kwargs)
        self.place, self.milestone, self.later = place, milestone, later
        self.fields["starts_on"].help_text = "The day; a range's first day; a week commencing's Monday."
        self.fields["ends_on"].help_text = "A range's last day (ranges only)."
        self.fields["owner"] = OwnerField(
            queryset=owners_for(place),
            required=False,
            empty_label="Nobody yet",
            error_messages={
                "invalid_choice": f"Choose the owner from the people with access to {place.name}: "
                "that one is not among them."
            },
        )
        self.fields["roles"] = _roles_field(place, "The roles it concerns")
        rows = [
            "title",
            InlineRadios("when_kind"),
            Row(Column("starts_on", css_class="col-md-4"), Column("ends_on", css_class="col-md-4")),
        ]
        if milestone is not None:
            self.fields["version"] = version_field(
                "This form is out of date: reload the page and make your change again."
            )
            if later:
                self.fields["shift_later"] = forms.BooleanField(
                    required=False,
                    label=f"Also move the {later} later milestone{'' if later == 1 else 's'} "
                    "by the same number of days",
                    help_text="Only if you change the date. A week commencing stays on a Monday.",
                )
                rows.append("shift_later")
        rows += ["owner", Field("roles", wrapper_class="check-columns"), "notes"]
        if "version" in self.fields:
            rows.append("version")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(*rows)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("when_kind")
        if kind and "starts_on" not in self.errors and "ends_on" not in self.errors:
            for name, problem in when_problems(kind, cleaned.get("starts_on"), cleaned.get("ends_on")).items():
                self.add_error(name, problem)
        return cleaned

    def service_values(self) -> dict:
        """What `plans.milestone_save` writes."""
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "when_kind", "starts_on", "ends_on", "owner", "notes", "roles")}

    @property
    def moves_date(self) -> bool:
        """The edit changes a dated milestone's date (so later ones could move with it)."""
        m, data = self.milestone, self.cleaned_data
        return bool(
            m is not None
            and m.starts_on
            and m.when_kind != When.TBC
            and data["when_kind"] != When.TBC
            and data["starts_on"]
            and data["starts_on"] != m.starts_on
        )


class TrancheStartForm(forms.Form):
    """Start a tranche of the place's roles from a plan template."""

    name = forms.CharField(max_length=200, help_text="E.g. “Tranche 2: PCN roles, autumn 2022”.")
    starts_on = UKDateField(
        label="Start date", validators=[plausible_date], help_text="The day the template counts from."
    )

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"] = IdChoiceField(
            queryset=PlanTemplate.objects.filter(Q(ics=place.ics_id) | Q(ics__isnull=True)).order_by("name"),
            empty_label="Choose a template",
            error_messages={"invalid_choice": f"Choose one of {place.ics.short_name or place.ics}'s plan templates."},
        )
        self.fields["roles"] = _roles_field(place, f"Roles of {place.name} in the tranche")
        self.order_fields(["name", "template", "starts_on", "roles"])
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("name", css_class="col-md-5"),
                Column("template", css_class="col-md-4"),
                Column("starts_on", css_class="col-md-3"),
            ),
            Field("roles", wrapper_class="check-columns"),
        )


class DoneForm(forms.Form):
    """Mark a milestone done (today unless a day is given), or not done again."""

    done = forms.ChoiceField(choices=[("yes", "Done"), ("no", "Not done")], required=False)
    on = date_field("Done on")

    def clean_on(self):
        on = self.cleaned_data["on"]
        today = timezone.localdate()
        if on and on > today:
            raise forms.ValidationError(f"{day(on)} is after today: a milestone is done on a day that has come.")
        return on

    @property
    def marks_done(self) -> bool:
        return self.cleaned_data.get("done") != "no"
