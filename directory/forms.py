"""Forms for the public pages. The search form is the ServiceFilter's (directory/filters.py)."""
from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

from directory.numbers import WholeNumberField
from directory.shortlist import parse_ids

NOT_A_SERVICE = "That is not a service in this directory."
MAX_SERVICE_ID = 2**31 - 1  # the largest id the databases store; bigger numbers are not services


class ShortlistChangeForm(forms.Form):
    """Add or remove one service, keep a shared list, or clear the shortlist."""

    action = forms.ChoiceField(
        choices=[("add", "Add"), ("remove", "Remove"), ("replace", "Keep this list"), ("clear", "Clear")],
        error_messages={"required": "Say what to do with the shortlist.", "invalid_choice": "That is not something the shortlist can do."},
    )
    service = WholeNumberField(
        required=False, min_value=1, max_value=MAX_SERVICE_ID,
        error_messages={key: NOT_A_SERVICE for key in ("invalid", "min_value", "max_value")},
    )
    # Both are read leniently in clean_*: a bad share string or return address is
    # ignored rather than refusing the change the person asked for.
    services = forms.CharField(required=False, strip=True)
    next = forms.CharField(required=False)

    def __init__(self, *args, host=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host
        self.fields["next"].validators = []  # e.g. a NUL byte: clean_next drops the address instead

    def clean_services(self):
        return parse_ids(self.cleaned_data["services"])

    def clean_next(self):
        """Only ever go back to a page of this site."""
        target = self.cleaned_data["next"]
        if target and len(target) <= 2000 and "\x00" not in target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.host}) and target.startswith("/"):
            return target
        return ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") in ("add", "remove") and not cleaned.get("service") and "service" not in self.errors:
            self.add_error("service", "Choose a service to add or remove.")
        return cleaned
