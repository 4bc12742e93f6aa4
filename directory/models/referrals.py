"""Referral preparation (issue 24): how many referral summaries practitioners prepared, per
service per month. Nothing else: no content, no user, no address, no route text, no time of
day. The directory never receives or stores what a practitioner types about a family
(docs/adr/0022-referral-preparation.md)."""
import datetime

from django.db import models
from django.db.models import Sum


def month_start(day):
    return day.replace(day=1)


def months_before(month, count):
    """The first day of the month `count` months before `month` (a first of the month)."""
    index = month.year * 12 + month.month - 1 - count
    return datetime.date(index // 12, index % 12 + 1, 1)


class ReferralPreparedQuerySet(models.QuerySet):
    def totals_by_service(self, *, since, before=None):
        """[(service id, service name, service slug, total)] for months from `since` (inclusive)
        to `before` (exclusive), most first. 1 query."""
        rows = self.filter(month__gte=since)
        if before is not None:
            rows = rows.filter(month__lt=before)
        return list(rows.values_list("service_id", "service__name", "service__slug")
                    .annotate(total=Sum("count")).order_by("-total", "service__name"))


class ReferralPrepared(models.Model):
    """A count of referral summaries prepared for one service in one month (a "prepared" ping
    from the referral page's script, counted once per page view). Private to curators except
    for complete months, which /needs/ shows as demand. Not content: a count never empties the
    public caches (directory/core/content.py NOT_PUBLIC)."""

    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="referrals_prepared")
    month = models.DateField(help_text="The first day of the month counted.")
    count = models.PositiveIntegerField(default=0)

    objects = ReferralPreparedQuerySet.as_manager()

    class Meta:
        verbose_name = "referral summaries prepared (monthly count)"
        verbose_name_plural = "referral summaries prepared (monthly counts)"
        ordering = ["-month", "service__name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "month"], name="referralprepared_unique_month"),
            models.CheckConstraint(name="referralprepared_first_of_month", condition=models.Q(month__day=1),
                                   violation_error_message="Count by month: the date is the first of the month."),
        ]

    def __str__(self):
        return f"{self.service_id} {self.month:%B %Y}: {self.count}"


class SpentPageView(models.Model):
    """A referral page view whose "prepared" ping has been counted: its token's random nonce and
    the day. Kept in the database, not the cache, so that a view counts once whichever process
    answers, after a restart or an eviction (the review of issue 24). Nothing about the family,
    the practitioner or their address; deleted after VIEW_MAX_AGE (directory/referrals/prepared.py)."""

    nonce = models.CharField(max_length=32, primary_key=True)
    day = models.DateField(db_index=True)

    class Meta:
        verbose_name = "counted referral page view"

    def __str__(self):
        return f"{self.nonce} ({self.day})"
