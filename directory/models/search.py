"""The maintained search tables (docs/adr/0012): one row per service and district it is in, one
search row per service. Kept true by directory/search/tables.py.

The rows are derived, so no database foreign keys (db_constraint=False): at 100,000 services
a rebuild writes over half a million district rows, and checking each against the service
and district tables added 9 s to it (measured). Django still deletes the rows with their
service or district (on_delete=CASCADE is Django's), and the search tables make sure of it."""
from django.db import models
from django.db.models.lookups import Lookup

from mapping.models import District

class ServiceDistrict(models.Model):
    """A service is "in" this district (see directory.models.in_district_q)."""

    pk = models.CompositePrimaryKey("service", "district")
    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="district_rows",
                                db_constraint=False, db_index=False)  # the primary key's first column
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="service_rows",
                                 db_constraint=False, db_index=False)  # servicedistrict_lookup's first column
    # A venue there, the district listed, or a locality in it; not only city-wide.
    is_local = models.BooleanField()

    class Meta:
        # "Services in district d" (and "local in d") read this index alone; refreshing a
        # service reads the primary key (service, district).
        indexes = [models.Index(fields=["district", "is_local", "service"], name="servicedistrict_lookup")]

    def __str__(self):
        return f"{self.service_id} in {self.district_id}{' (local)' if self.is_local else ''}"


class ServiceChange(models.Model):
    """Which services a committed transaction changed, for the facet index's incremental refresh
    (directory/search/facets.py, docs/adr/0029). PostgreSQL only: written by statement triggers
    on the tables the index reads (install_change_log), never by the code; `tx` is the writer's
    transaction id (pg_current_xact_id), so a reader can ask which changes its index's snapshot
    did not see. `service_id` -1 means every service (a TRUNCATE). Rows older than a day are
    deleted by each refresh; an index older than half that is built again, not refreshed."""

    id = models.BigAutoField(primary_key=True)
    service_id = models.BigIntegerField()
    tx = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["tx"], name="servicechange_tx"),
                   models.Index(fields=["at"], name="servicechange_at")]

    def __str__(self):
        return f"service {self.service_id} changed by transaction {self.tx}"


class SearchDocumentField(models.TextField):
    """A tsvector on PostgreSQL, text elsewhere. Written only by the refresh SQL below."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else super().db_type(connection)


@SearchDocumentField.register_lookup
class Matches(Lookup):
    """document @@ tsquery (PostgreSQL); the right-hand side is SQL such as RawSQL."""

    lookup_name = "matches"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ {rhs}", [*lhs_params, *rhs_params]


class ServiceSearchIndex(models.Model):
    """One row per service: what a keyword search looks in (directory/search/keywords.py).

    `document` holds the service's name; its summary and its needs' names; its description
    and its interventions' names; its referral routes' acceptance criteria and exclusions. On
    PostgreSQL it is a tsvector weighted in that order (A, B, C, D; GIN-indexed), on SQLite
    the same text, lower-cased, one part a line. Only the vector is kept on PostgreSQL, not
    the text it came from: when most services match a word, a search reads every row, and
    the text would double what it reads (the text is in the service tables anyway)."""

    service = models.OneToOneField("directory.Service", on_delete=models.CASCADE, primary_key=True,
                                   related_name="search_index", db_constraint=False)
    document = SearchDocumentField()

    class Meta:
        verbose_name = "service search index row"

    def __str__(self):
        return f"search row of service {self.service_id}"


class SearchRecord(models.Model):
    """What people searched for and how many results they got (issue 22), one row per day,
    normalised query, filters and result count, with how many times. Nothing that identifies
    anyone: no address (a postcode is kept as its district), no cookie, no user, no time of
    day. Kept SEARCH_RECORD_DAYS days (directory/search/record.py). Private: not content, so
    writing one never empties the public caches (directory/core/content.py NOT_PUBLIC)."""

    day = models.DateField(db_index=True)
    audience = models.CharField(max_length=12, help_text="practitioners or parents")
    query = models.CharField(max_length=200, blank=True, help_text="The keywords, lower-cased, spaces collapsed.")
    filters = models.CharField(max_length=300, blank=True, help_text="The other choices, e.g. 'age=4 district=hodge-hill'.")
    results = models.PositiveIntegerField()
    searches = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "audience", "query", "filters", "results"],
                                               name="searchrecord_unique_day")]
        ordering = ["-day", "results", "query"]

    def __str__(self):
        return f"{self.day}: {self.query!r} {self.filters} -> {self.results} ({self.searches}x)"


class SearchMatch(models.Model):
    """Not a table: the shape of the services one search matched, as the option counts'
    query materialises them once in a common table expression (`WITH _matched_0 (...) AS
    MATERIALIZED (...)`, directory/search/selectors.py count_union), so that each option's
    count reads those rows instead of evaluating the search's filters again. Declared so
    that the counts can be written with the ORM (and the same conditions, such as age_q, as
    the filters); never created, queried only inside that query."""

    id = models.BigIntegerField(primary_key=True)
    focus = models.CharField(max_length=20)
    audience = models.CharField(max_length=20)
    cost = models.CharField(max_length=6)
    age_range = models.CharField(max_length=12)
    age_from_months = models.SmallIntegerField(null=True)
    age_to_months = models.SmallIntegerField(null=True)

    COLUMNS = ("id", "focus", "audience", "cost", "age_range", "age_from_months", "age_to_months")

    class Meta:
        managed = False
        db_table = "_matched"
