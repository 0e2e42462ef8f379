"""The ICS pages' forms: the search across places, the places to compare, and the year.

Every choice is offered from rows the page has already read (the places the user may see, the
priority functions), by slug, so a forged value is a choice that is not offered: the form says so,
naming the fix, and the page answers 400 with nothing of another ICS shown.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from roles.costs import FinancialYear
from roles.models import Function, Place, RoleStatus, RoleType

SEARCH_LENGTH = 200
YEAR_LENGTH = 20


def year_from(text: str) -> FinancialYear:
    """The financial year a query string names ("2022", "2022/23"); ValueError naming the accepted forms."""
    text = str(text)
    if len(text) > YEAR_LENGTH:
        raise ValueError(f"That is not a financial year ({len(text):,} characters): use 2022 or 2022/23.")
    return FinancialYear.parse(text)


def _shown(value) -> str:
    """A value as a message may quote it: short, and printable."""
    text = "".join(ch for ch in str(value) if ch.isprintable())
    return text[:40] + ("…" if len(text) > 40 else "")


class QuotingChoiceField(forms.ChoiceField):
    """A choice whose refusal quotes the value asked for, shortened (a forged value may be 10,000 characters)."""

    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError as error:
            if error.code != "invalid_choice":
                raise
            raise ValidationError(self.error_messages["invalid_choice"] % {"value": _shown(value)}) from error


class QuotingMultipleChoiceField(forms.MultipleChoiceField):
    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError as error:
            if error.code != "invalid_choice":
                raise
            wrong = next((v for v in value if not self.valid_value(v)), "")
            raise ValidationError(self.error_messages["invalid_choice"] % {"value": _shown(wrong)}) from error


class SearchForm(forms.Form):
    """One box for a role's title (or the name of the person in post), and the filters beside it."""

    q = forms.CharField(
        label="Role title or person in post",
        required=False,
        max_length=SEARCH_LENGTH,
        error_messages={
            "max_length": "Search for at most %(limit_value)d characters (this search has %(show_value)s): "
            "shorten it to a word or two of the role's title."
        },
    )
    status = QuotingChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *RoleStatus.choices],
        error_messages={"invalid_choice": "“%(value)s” is not a status: choose one from the list."},
    )
    role_type = QuotingChoiceField(
        label="Type",
        required=False,
        choices=[("", "Any type"), *RoleType.choices],
        error_messages={"invalid_choice": "“%(value)s” is not a type of role: choose one from the list."},
    )
    function = QuotingChoiceField(
        label="Function",
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a priority function: choose one from the list."},
    )
    place = QuotingChoiceField(
        label="Place",
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not one of the places you can see here: choose one."},
    )

    def __init__(self, *args, places: list[Place], functions: list[Function], **kwargs):
        super().__init__(*args, **kwargs)
        self.places = {place.slug: place for place in places}
        self.functions = {function.slug: function for function in functions}
        self.fields["function"].choices = [("", "Any function"), *((f.slug, f.name) for f in functions)]
        self.fields["place"].choices = [("", "Any place"), *((p.slug, p.name) for p in places)]
        for name, form_field in self.fields.items():
            form_field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def criteria(self) -> dict:
        """What `governance.ics.search_roles` takes, from a valid form."""
        data = self.cleaned_data
        return {
            "text": data["q"],
            "status": data["status"],
            "role_type": data["role_type"],
            "function": self.functions.get(data["function"]),
            "place": self.places.get(data["place"]),
        }


class CompareForm(forms.Form):
    places = QuotingMultipleChoiceField(
        label="Places to compare",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "“%(value)s” is not a place of this ICS that you can see: choose from the list."
        },
    )

    def __init__(self, *args, places: list[Place], **kwargs):
        super().__init__(*args, **kwargs)
        self.by_slug = {place.slug: place for place in places}
        self.fields["places"].choices = [(p.slug, p.name) for p in places]

    def clean_places(self):
        slugs = list(dict.fromkeys(self.cleaned_data["places"]))
        if len(slugs) == 1:
            raise ValidationError("Choose at least two places to compare them side by side.")
        return slugs

    def chosen(self) -> list[Place]:
        """The places chosen, in the order of the list."""
        chosen = set(self.cleaned_data["places"])
        return [place for slug, place in self.by_slug.items() if slug in chosen]
