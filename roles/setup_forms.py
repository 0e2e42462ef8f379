"""Forms for setting up a place's roles in one step: types only, the rules are `roles.setup`'s."""

from __future__ import annotations

from django import forms

from .forms import IdChoiceField, IdMultipleChoiceField, date_field
from .models import Function, Place, Role, RoleType, SpatialLevel, TemplateRole
from .setup import NewRole, Terms

ADOPT, LEAVE_OUT = "adopt", "leave_out"
EXTRA_ROWS = 8  # rows for the place's own roles


def _terms_fields(form: forms.Form, place: Place) -> None:
    form.fields["spatial_level"] = IdChoiceField(
        queryset=SpatialLevel.objects.all(), label="Spatial level", empty_label=None
    )
    form.fields["spatial_level"].initial = (
        SpatialLevel.objects.filter(slug="place").values_list("pk", flat=True).first()
    )
    form.fields["sessions_per_week"] = forms.DecimalField(
        label="Sessions per week",
        min_value=0.01,
        max_value=10,
        decimal_places=2,
        initial=1,
        help_text="For every role below unless its own sessions are given; 10 sessions = 1 WTE.",
    )
    form.fields["rate_per_session"] = forms.DecimalField(
        label="Rate per session per year (£)",
        min_value=0.01,
        max_digits=10,
        decimal_places=2,
        initial=place.ics.default_session_rate,
        help_text=f"{place.ics}'s standard rate.",
    )
    form.fields["start_date"] = date_field("Roles start on")
    form.fields["start_date"].required = True
    form.fields["end_date"] = date_field("Roles end on (fixed term; optional)")


class PlaceSetupForm(forms.Form):
    """The ICS's template roles, each adopted (with the place's title if it differs) or left out
    with the reason; the place's own roles; and the terms they share, given once."""

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.place = place
        _terms_fields(self, place)
        adopted = set(
            Role.objects.filter(place=place).exclude(status="withdrawn").values_list("template_role_id", flat=True)
        )
        omitted = {o.template_role_id: o.reason for o in place.template_omissions.all()}
        templates = TemplateRole.objects.filter(ics=place.ics).order_by("order", "title").prefetch_related("functions")
        self.templates = [t for t in templates if t.pk not in adopted]
        self.already = [t for t in templates if t.pk in adopted]
        for template in self.templates:
            self.fields[f"choice_{template.pk}"] = forms.ChoiceField(
                label=f"Adopt “{template.title}”?",
                choices=[(ADOPT, "Adopt"), (LEAVE_OUT, "Leave out")],
                initial=LEAVE_OUT if template.pk in omitted else ADOPT,
            )
            self.fields[f"title_{template.pk}"] = forms.CharField(
                label=f"Title in {place} for “{template.title}”",
                max_length=200,
                required=False,
                initial=template.title,
            )
            self.fields[f"sessions_{template.pk}"] = forms.DecimalField(
                label=f"Sessions per week for “{template.title}”",
                min_value=0.01,
                max_value=10,
                decimal_places=2,
                required=False,
            )
            self.fields[f"reason_{template.pk}"] = forms.CharField(
                label=f"Why, for “{template.title}”",
                max_length=2000,
                required=False,
                initial=omitted.get(template.pk, ""),
            )
        functions = Function.objects.all()
        for i in range(EXTRA_ROWS):
            self.fields[f"add_title_{i}"] = forms.CharField(
                label=f"Title of added role {i + 1}", max_length=200, required=False
            )
            self.fields[f"add_type_{i}"] = forms.ChoiceField(
                label=f"Type of added role {i + 1}", choices=[("", "Type…"), *RoleType.choices], required=False
            )
            self.fields[f"add_functions_{i}"] = IdMultipleChoiceField(
                queryset=functions, label=f"Functions of added role {i + 1}", required=False
            )
            self.fields[f"add_sessions_{i}"] = forms.DecimalField(
                label=f"Sessions per week of added role {i + 1}",
                min_value=0.01,
                max_value=10,
                decimal_places=2,
                required=False,
            )
            self.fields[f"add_reason_{i}"] = forms.CharField(
                label=f"Why added role {i + 1} was added", max_length=2000, required=False
            )
        for name, field in self.fields.items():
            if name.startswith(("choice_", "title_", "sessions_", "reason_", "add_")):
                select = isinstance(field.widget, forms.Select)
                field.widget.attrs["class"] = "form-select form-select-sm" if select else "form-control form-control-sm"
                if name.startswith("add_functions_"):
                    field.widget.attrs["size"] = 3

    def template_rows(self):
        """Each template role not yet adopted, with its bound fields, for the table."""
        for template in self.templates:
            yield {
                "template": template,
                "functions": ", ".join(f.name for f in template.functions.all()),
                "choice": self[f"choice_{template.pk}"],
                "title": self[f"title_{template.pk}"],
                "sessions": self[f"sessions_{template.pk}"],
                "reason": self[f"reason_{template.pk}"],
            }

    def added_rows(self):
        for i in range(EXTRA_ROWS):
            yield {
                "number": i + 1,
                "title": self[f"add_title_{i}"],
                "type": self[f"add_type_{i}"],
                "functions": self[f"add_functions_{i}"],
                "sessions": self[f"add_sessions_{i}"],
                "reason": self[f"add_reason_{i}"],
            }

    def clean(self):
        cleaned = super().clean()
        for template in self.templates:
            if (
                cleaned.get(f"choice_{template.pk}") == LEAVE_OUT
                and not cleaned.get(f"reason_{template.pk}", "").strip()
            ):
                self.add_error(f"reason_{template.pk}", f"Say why {self.place} leaves out “{template.title}”.")
        for i in range(EXTRA_ROWS):
            title = cleaned.get(f"add_title_{i}", "").strip()
            filled = any(cleaned.get(f"add_{name}_{i}") for name in ("type", "functions", "sessions", "reason"))
            if title and not cleaned.get(f"add_type_{i}"):
                self.add_error(f"add_type_{i}", f"Choose the type of “{title}”.")
            elif filled and not title:
                self.add_error(f"add_title_{i}", f"Give added role {i + 1} a title, or clear its row.")
        return cleaned

    def terms(self) -> Terms:
        data = self.cleaned_data
        return Terms(
            spatial_level=data["spatial_level"],
            sessions_per_week=data["sessions_per_week"],
            rate_per_session=data["rate_per_session"],
            start_date=data["start_date"],
            end_date=data.get("end_date"),
        )

    def choices(self):
        """(adopt, leave_out, add) for `roles.setup.place_setup`."""
        data, terms = self.cleaned_data, self.terms()
        adopt, leave_out, add = [], {}, []
        for template in self.templates:
            reason = data.get(f"reason_{template.pk}", "").strip()
            if data[f"choice_{template.pk}"] == LEAVE_OUT:
                leave_out[template] = reason
            else:
                adopt.append(
                    (template, data.get(f"title_{template.pk}", ""), reason, data.get(f"sessions_{template.pk}"))
                )
        for i in range(EXTRA_ROWS):
            title = data.get(f"add_title_{i}", "").strip()
            if title:
                add.append(
                    NewRole(
                        title=title,
                        role_type=data[f"add_type_{i}"],
                        functions=list(data.get(f"add_functions_{i}") or []),
                        variation_reason=data.get(f"add_reason_{i}", "").strip(),
                        spatial_level=terms.spatial_level,
                        sessions_per_week=data.get(f"add_sessions_{i}") or terms.sessions_per_week,
                        rate_per_session=terms.rate_per_session,
                        start_date=terms.start_date,
                        end_date=terms.end_date,
                        where=f"“{title}” (added role {i + 1})",
                    )
                )
        return adopt, leave_out, add


class RoleImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="A .csv (UTF-8) or .xlsx file with a header row; the columns are listed below.",
        error_messages={"required": "Choose the file to import.", "empty": "The file is empty."},
    )


class SignOffForm(forms.Form):
    """The board's tranche: the ticked roles and the day their descriptions were signed off."""

    roles = IdMultipleChoiceField(
        queryset=None,
        error_messages={
            "required": "Tick at least one role whose description was signed off.",
            "invalid_choice": "A ticked role is not one of this place's roles: reload the page and tick again.",
        },
    )
    signed_off_on = date_field("Role descriptions signed off on")

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].queryset = Role.objects.filter(place=place)
        self.fields["signed_off_on"].required = True
        self.fields["signed_off_on"].error_messages["required"] = "Give the date the role descriptions were signed off."
