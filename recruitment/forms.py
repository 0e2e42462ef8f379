"""Forms for the recruitment pages: each cleans what its service needs and nothing else."""

from __future__ import annotations

from django import forms

from roles.forms import IdChoiceField, IdMultipleChoiceField, date_field

from .models import Application, ApplicationStatus, ContractType, InterviewSlot, Offer

REASON_MAX = 2000


def reason_field(*, required: bool, label: str = "Reason") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class ShortlistForm(forms.Form):
    """The kanban's shortlist buttons: one or more received applications, and the decision."""

    DECISIONS = (("shortlist", "Shortlist"), ("reject", "Do not shortlist"))
    applications = IdMultipleChoiceField(queryset=Application.objects.none())
    decision = forms.ChoiceField(choices=DECISIONS)
    reason = reason_field(required=False)

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applications"].queryset = round.applications.filter(status=ApplicationStatus.RECEIVED)
        self.fields["applications"].error_messages["invalid_choice"] = (
            "Some of the chosen applications are no longer awaiting a decision: reload the page."
        )


class ReasonForm(forms.Form):
    reason = reason_field(required=True)


class OptionalReasonForm(forms.Form):
    reason = reason_field(required=False)


class BookForm(forms.Form):
    slot = IdChoiceField(queryset=InterviewSlot.objects.none(), required=False, label="Interview slot")

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = application.round.interview_slots.filter(application__isnull=True) | (
            application.round.interview_slots.filter(application=application)
        )
        self.fields["slot"].empty_label = "No slot (cancel the booking)"


class DeclineForm(forms.Form):
    THEN = (
        ("next", "Offer the role to the next ranked candidate"),
        ("not_appointed", "Close the round: not appointed"),
    )
    then = forms.ChoiceField(choices=THEN, initial="next", widget=forms.RadioSelect, label="Then")
    reason = reason_field(required=False)


class ContractForm(forms.Form):
    offer = IdChoiceField(queryset=Offer.objects.none(), widget=forms.HiddenInput)
    contract_type = forms.ChoiceField(choices=ContractType.choices, label="Type")
    starts_on = date_field("Starts on")
    ends_on = date_field("Ends on")
    signed_on = date_field("Signed on")
    sessions_per_week = forms.DecimalField(
        required=False, min_value=0.01, max_value=10, decimal_places=2, label="Sessions a week (if not the role's)"
    )
    rate_per_session = forms.DecimalField(
        required=False,
        min_value=0.01,
        max_digits=10,
        decimal_places=2,
        label="Rate per session per year (if not the role's)",
    )

    def __init__(self, *args, round, may_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = round.offers.filter(status=Offer.Status.ACCEPTED, contract__isnull=True)
        self.fields["offer"].error_messages["invalid_choice"] = "There is no accepted offer waiting for a contract."
        for name in ("starts_on", "ends_on", "signed_on"):
            self.fields[name].required = True
        if may_override:
            self.fields["override_reason"] = reason_field(
                required=False, label="Override the budget guard (ICS administrators): why"
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_on") and cleaned.get("ends_on") and cleaned["ends_on"] < cleaned["starts_on"]:
            self.add_error("ends_on", "The contract ends before it starts: move one of the dates.")
        return cleaned
