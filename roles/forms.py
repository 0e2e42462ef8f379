from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms

from .models import Place, Profession, Role, RoleType, TemplateRole

ISO_DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class RoleForm(forms.ModelForm):
    """Create or edit a role in one place. The place comes from the URL, never from the form;
    the status moves only through the workflow, so it is not a field here."""

    class Meta:
        model = Role
        fields = [
            "title",
            "role_type",
            "template_role",
            "variation_reason",
            "spatial_level",
            "functions",
            "sessions_per_week",
            "rate_per_session",
            "start_date",
            "end_date",
            "is_critical",
            "predates_ics_model",
            "eligible_professions",
            "description",
            "description_document",
            "description_signed_off_on",
        ]
        widgets = {
            "functions": forms.CheckboxSelectMultiple,
            "eligible_professions": forms.CheckboxSelectMultiple,
            "start_date": ISO_DATE,
            "end_date": ISO_DATE,
            "description_signed_off_on": ISO_DATE,
            "description": forms.Textarea(attrs={"rows": 5}),
            "variation_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, place: Place, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.place = place
        self.fields["template_role"].queryset = TemplateRole.objects.filter(ics=place.ics)
        self.fields["template_role"].empty_label = "None: added locally"
        if not self.instance.pk:
            self.fields["rate_per_session"].initial = place.ics.default_session_rate
        self.fields["sessions_per_week"].widget.attrs.update({"min": "0.01", "max": "10", "step": "0.01"})
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
            ),
        )

    def clean(self):
        cleaned = super().clean()
        role_type = cleaned.get("role_type")
        professions = cleaned.get("eligible_professions") or Profession.objects.none()
        if role_type == RoleType.CLINICAL:
            others = [p.name for p in professions if not p.is_clinical]
            if others:
                self.add_error(
                    "eligible_professions",
                    f"A Clinical role is open to clinicians only: untick {', '.join(others)}, "
                    "or make the role Clinical / Care.",
                )
        if cleaned.get("description_signed_off_on") and not (
            cleaned.get("description") or cleaned.get("description_document") or self.instance.description_document
        ):
            self.add_error(
                "description_signed_off_on",
                "A sign-off date needs a role description: write it or attach the document first.",
            )
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="Why the place differs from the ICS template here (e.g. the engagement feedback that led to it).",
    )
