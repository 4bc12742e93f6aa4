"""Forms for the public pages. The search form is the ServiceFilter's (directory/filters.py)."""
from django import forms
from django.utils.http import url_has_allowed_host_and_scheme

from directory.shortlist import MAX_ITEMS, parse_ids


class ShortlistChangeForm(forms.Form):
    """Add or remove one service, keep a shared list, or clear the shortlist."""

    action = forms.ChoiceField(
        choices=[("add", "Add"), ("remove", "Remove"), ("replace", "Keep this list"), ("clear", "Clear")],
        error_messages={"required": "Say what to do with the shortlist.", "invalid_choice": "That is not something the shortlist can do."},
    )
    service = forms.IntegerField(required=False, min_value=1, error_messages={"invalid": "That is not a service in this directory."})
    services = forms.CharField(required=False, max_length=MAX_ITEMS * 11)
    next = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, host=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host

    def clean_services(self):
        return parse_ids(self.cleaned_data["services"])

    def clean_next(self):
        """Only ever go back to a page of this site."""
        target = self.cleaned_data["next"]
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.host}) and target.startswith("/"):
            return target
        return ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") in ("add", "remove") and not cleaned.get("service"):
            self.add_error("service", "Choose a service to add or remove.")
        return cleaned
