"""Suggestions from the public ("Suggest a change"). The rules are in directory/suggestions/."""
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

TEXT_MAX = 2000


class SuggestionStatus(models.TextChoices):
    NEW = "new", "New"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class SuggestionPage(models.TextChoices):
    PRACTITIONERS = "practitioners", "Service page (/services/)"
    PARENTS = "parents", "Parents' page (/parents/services/)"


class Suggestion(models.Model):
    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="suggestions")
    text = models.TextField("what is wrong", validators=[MaxLengthValidator(TEXT_MAX)])
    contact_name = models.CharField(max_length=100, blank=True)
    contact_email = models.EmailField(blank=True)
    page = models.CharField("sent from", max_length=13, choices=SuggestionPage.choices,
                            default=SuggestionPage.PRACTITIONERS)
    created = models.DateTimeField("received", auto_now_add=True, db_index=True)
    status = models.CharField(max_length=8, choices=SuggestionStatus.choices, default=SuggestionStatus.NEW,
                              db_index=True)
    curator_reason = models.TextField(
        "reason", blank=True, help_text="What you changed, or why nothing needed to change. Private."
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                name="suggestion_status_valid", condition=models.Q(status__in=SuggestionStatus.values),
                violation_error_message="Choose new, accepted or rejected.",
            ),
        ]

    def __str__(self):
        return f"Suggestion about {self.service} ({self.get_status_display().lower()})"
