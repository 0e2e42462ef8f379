"""Forms for the engagement log: an event, and a feedback point with the roles it shaped.

The place comes from the URL, never from the form: the roles offered are the place's own and the
template roles its ICS's, so an id of another place's role is simply no choice (and the service
refuses it again). The rules on a point's action and links are `engagement.point_problems`, the
ones the service applies. An edit hands the service only the fields the form changed.
"""

from __future__ import annotations

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms

from roles.forms import IdMultipleChoiceField, UKDateField, role_checklist, version_field
from roles.models import Place, TemplateRole, plausible_date

from .engagement import point_problems, version_of
from .models import EngagementEvent, FeedbackPoint

OUT_OF_DATE = "This form is out of date: reload the page and make your change again."


def _add_version(form: forms.Form, row) -> None:
    """An edit form carries the version of the row it was loaded from (`engagement.version_of`)."""
    if row is not None:
        form.fields["version"] = version_field(OUT_OF_DATE)
        form.fields["version"].initial = version_of(row)


def _changed(form: forms.Form, names: tuple[str, ...], editing: bool) -> dict:
    """The cleaned values to write: every field for a new row, the changed ones for an edit."""
    return {name: form.cleaned_data[name] for name in names if not editing or name in form.changed_data}


class EventForm(forms.Form):
    held_on = UKDateField(label="Date", validators=[plausible_date], help_text="The day the feedback was given.")
    group = forms.CharField(
        label="Group or organisation",
        max_length=200,
        help_text="E.g. “Local Care Partnership Forum”, “Bexley Training Hub”, “Sexual Health Commissioner”.",
    )
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, event: EngagementEvent | None = None, **kwargs):
        if event is not None and "initial" not in kwargs:
            kwargs["initial"] = {"held_on": event.held_on, "group": event.group, "notes": event.notes}
        super().__init__(*args, **kwargs)
        self.event = event
        _add_version(self, event)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("held_on", css_class="col-md-4"), Column("group", css_class="col-md-8")),
            "notes",
            *(["version"] if event is not None else []),
        )

    def service_values(self) -> dict:
        """What `engagement.event_save` writes."""
        return _changed(self, ("held_on", "group", "notes"), self.event is not None)


class PointForm(forms.Form):
    text = forms.CharField(label="Feedback", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    action = forms.ChoiceField(
        label="What was done", choices=FeedbackPoint.Action.choices, initial=FeedbackPoint.Action.NOTED
    )
    action_note = forms.CharField(
        label="How",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. “Frailty including Care Homes added to Table 3”.",
    )
    order = forms.IntegerField(
        label="Position in the event's list",
        required=False,
        min_value=0,
        max_value=32767,
        help_text="Leave empty to put a new point last.",
    )

    def __init__(self, *args, place: Place, point: FeedbackPoint | None = None, **kwargs):
        if point is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "text": point.text,
                "action": point.action,
                "action_note": point.action_note,
                "order": point.order,
                "roles": [role.pk for role in point.roles.all()],
                "template_roles": [template.pk for template in point.template_roles.all()],
            }
        super().__init__(*args, **kwargs)
        self.place, self.point = place, point
        self.fields["action"].widget = forms.RadioSelect(choices=FeedbackPoint.Action.choices)
        self.fields["roles"] = role_checklist(place.roles.all(), label="Roles it shaped", of=place.name)
        _add_version(self, point)
        ics = place.ics
        self.fields["template_roles"] = IdMultipleChoiceField(
            queryset=TemplateRole.objects.filter(ics=ics).order_by("order", "title", "pk"),
            required=False,
            label=f"{ics.short_name or ics.name} template roles it concerns",
            help_text="E.g. the template role a role was renamed from, or one left out.",
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": f"Choose template roles of {ics.name} only: %(value)s is not one of them.",
                "invalid_pk_value": "“%(pk)s” is not a template role: choose from the list.",
            },
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "text",
            InlineRadios("action"),
            "action_note",
            Field("roles", wrapper_class="check-columns"),
            Field("template_roles", wrapper_class="check-columns"),
            Row(Column("order", css_class="col-md-4")),
            *(["version"] if point is not None else []),
        )

    def clean(self):
        cleaned = super().clean()
        if {"action", "roles", "template_roles"} & set(self.errors):
            return cleaned
        problems = point_problems(
            place=self.place,
            action=cleaned["action"],
            roles=cleaned.get("roles") or [],
            template_roles=cleaned.get("template_roles") or [],
        )
        for name, problem in problems.items():
            self.add_error(name, problem)
        return cleaned

    def service_values(self) -> dict:
        """What `engagement.point_save` writes."""
        names = ("text", "action", "action_note", "order", "roles", "template_roles")
        values = _changed(self, names, self.point is not None)
        if self.point is not None and values.get("order", 0) is None:
            values.pop("order")  # emptied on an edit: the point keeps its place
        return values
