from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from .dates import HINT, TYPED_FORMAT, NotADate, parse_day
from .extensions import decision_choices_for
from .models import MOVE_NEEDS, Place, Role, RoleStatus, TemplateRole, plausible_date, professions_problem
from .selectors import links_in_order
from .services import EDITABLE_FIELDS, MoveDetails


class UKDateInput(forms.DateInput):
    """A plain text box showing the date day first (27/01/2022): the browser's own date box follows
    the browser's locale and, set to US English, read 01102025 as 10 January."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"autocomplete": "off", "spellcheck": "false", "size": "12", **(attrs or {})}, format=TYPED_FORMAT
        )


class UKDateField(forms.DateField):
    """A date typed day first, read the same in any browser (see `roles.dates`), with a hint and
    messages that write it day first too. Every form's date is one of these."""

    widget = UKDateInput

    def __init__(self, *, help_text="", **kwargs):
        kwargs.pop("input_formats", None)
        super().__init__(help_text=" ".join(filter(None, [str(help_text), HINT])), **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return parse_day(value)
        except NotADate as error:
            raise ValidationError(str(error), code="invalid") from None


LARGEST_ID = 2**63 - 1  # the largest id a database column of ids holds


def is_possible_id(model, value, to_field: str | None = None) -> bool:
    """Whether `value` could be an id of `model` at all. An id the database cannot even look up
    (99999999999999999999) made the lookup itself fail; such a value is simply no choice."""
    key = model._meta.get_field(to_field) if to_field else model._meta.pk
    try:
        number = key.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return True  # not a number at all: the field says "Select a valid choice" itself
    return not isinstance(number, int) or -LARGEST_ID - 1 <= number <= LARGEST_ID


class IdChoiceField(forms.ModelChoiceField):
    """A choice of one row whose id, however it is forged, never breaks the lookup."""

    def to_python(self, value):
        if value not in self.empty_values and not is_possible_id(self.queryset.model, value, self.to_field_name):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


# What a checklist of roles reads of each: its label, and what the services check (its place). A place
# may have 1,000 roles; whole rows would be read and built for a box and a title each.
ROLE_CHOICE_FIELDS = ("pk", "title", "place")


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several rows whose ids, however they are forged, never break the lookup."""

    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple)) else []:
            if not is_possible_id(self.queryset.model, pk, self.to_field_name):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": str(pk)[:40]}
                )
        return super()._check_values(value)


class TitleChoiceIterator(forms.models.ModelChoiceIterator):
    """A checklist's choices read as (id, title) rows, not as model rows: a place may have 1,000 roles."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", "title")


class RoleChecklistField(IdMultipleChoiceField):
    iterator = TitleChoiceIterator


def role_checklist(roles, *, label: str, of) -> RoleChecklistField:
    """Boxes to tick for some of `roles` (a queryset): those of `of` (a place, or a board's place),
    each named by its title."""
    return RoleChecklistField(
        queryset=roles.only(*ROLE_CHOICE_FIELDS).order_by("title", "pk"),
        required=False,
        label=label,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": f"Choose roles of {of} only: %(value)s is not one of them.",
            "invalid_pk_value": "“%(pk)s” is not a role: choose roles from the list.",
        },
    )


def date_field(label: str) -> forms.DateField:
    """An optional date, refused outside the years the product plans for."""
    return UKDateField(required=False, label=label, validators=[plausible_date])


def version_field(out_of_date: str) -> forms.IntegerField:
    """The hidden version of the role a form was loaded from (see `roles.services.role_edit`)."""
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1, error_messages={"required": out_of_date})


class RoleRules:
    """What the browser's role form and the admin's share: the version the form was loaded from,
    the rules that need the professions as well as the role (the model's own `clean` has the rest),
    and the values handed to `roles.services`. Rules are written once, in `roles.models`."""

    def add_version_field(self):
        if self.instance.pk:
            self.fields["version"] = version_field(
                "This form is out of date: reload the page and make your change again."
            )
            self.fields["version"].initial = self.instance.version

    def clean_professions(self, cleaned: dict) -> None:
        if "role_type" in cleaned and "eligible_professions" in self.fields:
            problem = professions_problem(cleaned["role_type"], cleaned.get("eligible_professions") or [])
            if problem:
                self.add_error("eligible_professions", problem)

    def service_values(self) -> dict:
        """The edited fields' cleaned values, for `role_create` / `role_edit`."""
        return {name: value for name, value in self.cleaned_data.items() if name in EDITABLE_FIELDS}


class RoleForm(RoleRules, forms.ModelForm):
    """Create or edit a role in one place. The place comes from the URL, never from the form;
    the status moves only through the workflow, so it is not a field here."""

    class Meta:
        model = Role
        fields = [name for name in EDITABLE_FIELDS if name != "place"]
        field_classes = {
            "template_role": IdChoiceField,
            "spatial_level": IdChoiceField,
            "functions": IdMultipleChoiceField,
            "eligible_professions": IdMultipleChoiceField,
            "start_date": UKDateField,
            "end_date": UKDateField,
            "description_signed_off_on": UKDateField,
        }
        widgets = {
            "functions": forms.CheckboxSelectMultiple,
            "eligible_professions": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 5}),
            "variation_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, place: Place, may_override: bool = False, template_pk=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.place = place
        if may_override and self.instance.pk:
            self.fields["override_reason"] = forms.CharField(
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                label="Override the budget guard because…",
                help_text="ICS administrators only: fill in only if saving was refused for budget.",
            )
        self.fields["template_role"].queryset = TemplateRole.objects.filter(ics=place.ics)
        self.fields["template_role"].empty_label = "None: added locally"
        self.fields["template_role"].help_text = "Choosing one fills in its title, type and functions."
        self.fields["template_role"].widget.attrs["data-fills-from-template"] = "template-roles"
        if not self.is_bound and not self.instance.pk and template_pk:
            self._fill_from_template(template_pk)
        if not self.instance.pk:
            self.fields["rate_per_session"].initial = place.ics.default_session_rate
        self.fields["sessions_per_week"].widget.attrs.update({"min": "0.01", "max": "10", "step": "0.01"})
        self.add_version_field()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "The role",
                Row(Column("title", css_class="col-md-8"), Column("role_type", css_class="col-md-4")),
                Row(Column("template_role", css_class="col-md-6"), Column("spatial_level", css_class="col-md-6")),
                "variation_reason",
                "functions",
            ),
            Fieldset(
                "Time and cost",
                Row(
                    Column("sessions_per_week", css_class="col-md-3"),
                    Column("rate_per_session", css_class="col-md-3"),
                    Column("start_date", css_class="col-md-3"),
                    Column("end_date", css_class="col-md-3"),
                ),
                Row(Column("is_critical", css_class="col-md-6"), Column("predates_ics_model", css_class="col-md-6")),
            ),
            Fieldset(
                "Who it is for",
                "eligible_professions",
                "description",
                Row(
                    Column("description_document", css_class="col-md-6"),
                    Column("description_signed_off_on", css_class="col-md-6"),
                ),
                "board_decision",
            ),
        )
        if "override_reason" in self.fields:
            self.helper.layout.append(Fieldset("Budget", "override_reason"))
        if "version" in self.fields:
            self.helper.layout.append("version")

    def clean(self):
        cleaned = super().clean()
        self.clean_professions(cleaned)
        return cleaned

    def _fill_from_template(self, template_pk) -> None:
        """A new role's title, type and functions from the template role it is derived from (a
        template role of another ICS, or no such id, fills nothing)."""
        if not str(template_pk).isdigit() or not is_possible_id(TemplateRole, template_pk):
            return
        template = self.fields["template_role"].queryset.filter(pk=template_pk).prefetch_related("functions").first()
        if template is not None:
            self.initial.update(
                template_role=template.pk,
                title=template.title,
                role_type=template.role_type,
                functions=[f.pk for f in template.functions.all()],
            )

    def template_roles_data(self) -> dict:
        """What choosing each template role fills in, for the page's script (`static/js/role_form.js`)."""
        if "template_role" not in self.fields:
            return {}
        templates = self.fields["template_role"].queryset
        functions = links_in_order(TemplateRole, "functions", templates.values("pk"))
        return {
            str(pk): {"title": title, "role_type": role_type, "functions": functions[pk]}
            for pk, title, role_type in templates.values_list("pk", "title", "role_type")
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="Why the place differs from the ICS template here (e.g. the engagement feedback that led to it).",
    )


class RoleReasonForm(ReasonForm):
    """Why a role differs from the template: an edit of one field, so it carries the role's version."""

    version = version_field("This form is out of date: reload the page and write the reason again.")


def decision_field(label: str = "Board decision") -> forms.TypedChoiceField:
    """A recorded board decision to cite (`extensions.DECISION_SOURCES`); its choices are set per form."""
    return forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=label,
        help_text="The recorded decision that authorises this. For a decision made before decisions were "
        "recorded here, leave it empty and give the reference in words.",
        error_messages={
            "invalid_choice": "That board decision is not one this role may cite: reload the page and choose again."
        },
    )


def with_decisions(field: forms.TypedChoiceField, places, user) -> None:
    choices = decision_choices_for(places, user)
    field.choices = [("", "None chosen" if choices else "None recorded yet")] + choices


class MoveForm(forms.Form):
    """The data one move asks for (`MOVE_NEEDS` says which). Types only: the rules are the service's."""

    expected_status = forms.ChoiceField(
        widget=forms.HiddenInput,
        choices=RoleStatus.choices,
        error_messages={"invalid_choice": "The form named an unknown state for the role: reload the page."},
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    opens_on = date_field("Advert opens on")
    closes_on = date_field("Applications close on")
    appointee_name = forms.CharField(required=False, max_length=200, label="Appointee")
    contract_start = date_field("Contract starts on")
    contract_end = date_field("Contract ends on")
    decision_id = decision_field()
    board_decision = forms.CharField(required=False, max_length=300, label="Board decision reference")
    override_reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Override the budget guard because…",
        help_text="ICS administrators only: leave empty unless the move was refused for budget and you must go on.",
    )

    def __init__(
        self, *args, to: str, may_override: bool, with_expected_status: bool = True, places=(), user=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        needs = MOVE_NEEDS[to]
        reason_required = needs.reason == "required"
        wanted = {"reason", *needs.details}
        if "board_decision" in wanted:
            # A recorded decision (of `places`' boards) can be cited beside, or instead of, the reference.
            wanted.add("decision_id")
            with_decisions(self.fields["decision_id"], places, user)
        if with_expected_status:
            wanted.add("expected_status")
        if may_override:
            wanted.add("override_reason")
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        self.fields["reason"].required = reason_required
        self.fields["reason"].label = {
            "required": "Reason",
            "optional": "Reason (optional)",
            "if early": "Reason (needed if it ends before its end date)",
        }[needs.reason]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def details(self) -> MoveDetails:
        data = self.cleaned_data
        return MoveDetails(
            **{name: data.get(name) or spec.default for name, spec in MoveDetails.__dataclass_fields__.items()}
        )


def with_bootstrap_classes(form: forms.Form) -> None:
    """Give each widget the class crispy-forms would, for a form laid out by
    `templates/partials/form_field.html`."""
    for field in form.fields.values():
        kind = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {kind}".strip()


class BulkMoveForm(forms.Form):
    """The board's tranche bar. Laid out field by field with `partials/form_field.html`, not
    crispy-forms, which cost a tenth of the board's time."""

    roles = IdMultipleChoiceField(
        queryset=None,
        error_messages={
            "required": "Tick at least one role to move.",
            "invalid_choice": "A ticked role is not one of this place's roles: reload the page and tick again.",
        },
    )
    to = forms.ChoiceField(label="Move them to")
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    opens_on = date_field("Advert opens on (to advertise)")
    closes_on = date_field("Applications close on (to advertise)")
    decision_id = decision_field("Board decision (to approve)")
    board_decision = forms.CharField(required=False, max_length=300, label="Board decision reference (to approve)")
    override_reason = forms.CharField(required=False, max_length=2000, label="Override the budget guard because…")
    # Read by the sign-off button (`roles.setup_views.sign_off`), not by the move.
    signed_off_on = date_field("Role descriptions signed off on (to sign off)")

    def __init__(self, *args, place: Place, may_override: bool, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].queryset = Role.objects.filter(place=place)
        with_decisions(self.fields["decision_id"], [place], user)
        # Every state a role can be moved to (nothing moves back to proposed); the service says
        # plainly why a move does not suit (e.g. contracts are recorded one role at a time).
        targets = [s for s in RoleStatus if s != RoleStatus.PROPOSED]
        self.fields["to"].choices = [("", "Choose a move")] + [(s.value, s.label) for s in targets]
        if not may_override:
            del self.fields["override_reason"]
        with_bootstrap_classes(self)
