"""The parents' two questions (and the language filter). Bad input never raises: each field
gets a plain, kind message and is left out, and everything valid still applies."""
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.parents.presenters import baby_age_text, pregnancy_text
from directory.parents.selectors import ParentAnswers
from mapping.postcodes import INVALID, OUTSIDE, place_lookup

BABY_MONTHS = range(0, 25)
PREGNANT_MONTHS = range(1, 10)


def age_choices():
    """Grouped choices: 'p6' is six months pregnant, '4' a baby of four months."""
    return [
        ("", _("Choose an answer")),
        (_("I am pregnant"), [(f"p{n}", pregnancy_text(n)) for n in PREGNANT_MONTHS]),
        (_("My baby's age"), [(str(n), baby_age_text(n)) for n in BABY_MONTHS]),
    ]


def age_months(value):
    """'p6' -> -3 (the directory counts pregnancy as months before birth); '4' -> 4.
    Nine months pregnant is still pregnancy (-1), not birth."""
    if value.startswith("p"):
        return min(int(value[1:]) - 9, -1)
    return int(value)


class ParentAnswersForm(forms.Form):
    age = forms.ChoiceField(
        label=gettext_lazy("How old is your baby, or how many months pregnant are you?"), required=False,
        widget=forms.Select(attrs={"class": "nhsuk-select", "aria-describedby": "age-hint"}),
    )
    postcode = forms.CharField(
        label=gettext_lazy("Your postcode (optional)"), required=False, max_length=12,
        error_messages={"max_length": gettext_lazy("A postcode is short, like B8 1AA. Please check it.")},
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), required=False, widget=forms.Select(attrs={"class": "nhsuk-select"}),
    )

    def __init__(self, *args, languages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["age"].choices = age_choices()
        self.fields["age"].error_messages["invalid_choice"] = _(
            "Please choose your baby's age, or how many months pregnant you are, from the list.")
        self.languages = {language.code: language for language in languages}
        self.fields["language"].choices = [("", _("Any language"))] + [(lang.code, lang.name) for lang in languages]
        self.fields["language"].error_messages["invalid_choice"] = _("Please choose a language from the list.")

    def clean_age(self):
        value = self.cleaned_data["age"]
        return age_months(value) if value else None

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if not value:
            return None
        # The first part alone ("B23") is enough, as on the practitioners' search (issue 22):
        # distances are then from the middle of that area.
        result = place_lookup(value)
        if result.found:
            return result
        if result.status == INVALID:
            raise forms.ValidationError(_("Please check your postcode. It should look like B8 1AA, or its first part, like B8."))
        if result.status == OUTSIDE:
            raise forms.ValidationError(_(
                "%(postcode)s is just outside Birmingham. This list is for families who live in Birmingham. "
                "You can ask at your GP practice what there is near you."
            ) % {"postcode": result.postcode})
        raise forms.ValidationError(_(
            "We could not find %(postcode)s in Birmingham. Please check it, or leave it out to see the whole city."
        ) % {"postcode": result.postcode})

    def clean_language(self):
        return self.languages.get(self.cleaned_data["language"])

    def answers(self):
        """The valid answers only (an invalid one is left out)."""
        self.is_valid()
        cleaned = self.cleaned_data
        return ParentAnswers(age=cleaned.get("age"), postcode=cleaned.get("postcode"), language=cleaned.get("language"))
