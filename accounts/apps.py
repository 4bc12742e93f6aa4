from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Curators' sign-in: the lockout rules and two-factor enrolment links (docs/adr/0014). No models."""
    name = "accounts"
    verbose_name = "Sign-in"
