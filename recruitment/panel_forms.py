"""The panel member's forms: their scores of one candidate, and an interest declared in one.

Types and ranges only; who may score, at which stage and whom is `recruitment.services`'.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms

from .models import Criterion


def criterion_field_name(criterion: Criterion) -> str:
    return f"criterion_{criterion.pk}"


class ScoreForm(forms.Form):
    """One whole number per criterion of the stage, within the criterion's range. A criterion left
    empty has no score from this member (an earlier one is cleared)."""

    def __init__(self, *args, criteria: list[Criterion], scores: dict[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        scores = scores or {}
        for criterion in criteria:
            self.fields[criterion_field_name(criterion)] = forms.IntegerField(
                label=f"{criterion.title} (weight ×{criterion.weight}, {criterion.min_score} to {criterion.max_score})",
                min_value=criterion.min_score,
                max_value=criterion.max_score,
                required=False,
                initial=scores.get(criterion.pk),
                help_text=criterion.description,
                error_messages={
                    "invalid": f"Give “{criterion.title}” a whole number from {criterion.min_score} to "
                    f"{criterion.max_score}.",
                    "min_value": f"“{criterion.title}” is scored from {criterion.min_score} to "
                    f"{criterion.max_score}: %(limit_value)s is the lowest.",
                    "max_value": f"“{criterion.title}” is scored from {criterion.min_score} to "
                    f"{criterion.max_score}: %(limit_value)s is the highest.",
                },
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(*(Column(criterion_field_name(c), css_class="col-sm-6 col-xl-4") for c in criteria))
        )

    def values(self) -> dict[int, int | None]:
        """Criterion id -> score (None: no score), for `services.scores_save`."""
        return {c.pk: self.cleaned_data.get(criterion_field_name(c)) for c in self.criteria}


class DeclareForm(forms.Form):
    interest = forms.CharField(
        label="What is the interest?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. “works at the same practice as me”. It goes in the register of interests, and your "
        "scores for this candidate stop counting.",
        error_messages={"required": "Say what the interest is (e.g. “same practice as the candidate”)."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
