"""PostgreSQL full-text search: the search table's tsvector and its GIN index (migration 0015)."""
import re

import pytest
from django.db import connection

from directory.search import keywords as search
from directory.search import tables
from directory.models import Need, ReferralRoute, Service

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def test_it_keeps_the_stored_document_up_to_date():
    acacia = Service.objects.get(name="Acacia")
    acacia.description = "Offers zygomorphic support"
    acacia.save()
    assert list(search.keyword_filter(Service.objects.all(), "zygomorphic").values_list("name", flat=True)) == ["Acacia"]


def test_it_uses_the_full_text_index():
    queryset = search.keyword_filter(Service.objects.all(), "perinatal")
    with connection.cursor() as cursor:
        # 25 rows: make the planner show its choice. Without plain index scans too, it could
        # walk the primary key and test every row, depending on the statistics of the moment.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = queryset.explain()
    assert "directory_servicesearchindex_document_gin" in plan


def test_it_weighs_the_name_above_needs_above_the_description_above_criteria():
    # A word of its own in each part (the summary shares the needs' weight, the interventions
    # the description's): each must carry its part's weight.
    acacia = Service.objects.get(name="Acacia")
    acacia.summary, acacia.description = "Marmoset groups.", "Zygomorph visits."
    acacia.save()
    route = acacia.referral_routes.first() or ReferralRoute(service=acacia, referrer="self")
    route.acceptance_criteria = "Quokka families."
    route.save()
    need = acacia.needs.first()
    Need.objects.filter(pk=need.pk).update(name="Wombat support")
    tables.refresh_search_index([acacia.pk])  # an update() passes no signal
    with connection.cursor() as cursor:
        cursor.execute("SELECT document FROM directory_servicesearchindex WHERE service_id = %s", [acacia.pk])
        document = cursor.fetchone()[0]
    # PostgreSQL prints weight D, the default, as no letter: 'quokka':18.
    weights = {word: re.search(rf"'{word}':[0-9]+([ABC]?)", document).group(1) or "D"
               for word in ("acacia", "wombat", "marmoset", "zygomorph", "quokka")}
    assert weights == {"acacia": "A", "wombat": "B", "marmoset": "B", "zygomorph": "C", "quokka": "D"}, document


def test_the_old_columns_and_indexes_are_gone():
    """Migration 0015 dropped what the search table replaces: nothing may still read them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'directory_service' "
                       "AND column_name = 'search_document'")
        assert cursor.fetchone() is None
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname IN "
                       "('directory_service_search_gin', 'directory_route_search_gin')")
        assert cursor.fetchall() == []
