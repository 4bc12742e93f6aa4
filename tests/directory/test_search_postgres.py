"""PostgreSQL full-text search: the stored document and the GIN indexes migration 0003 creates."""
import importlib

import pytest
from django.db import connection

from directory import search
from directory.models import Service

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]
migration = importlib.import_module("directory.migrations.0003_search_indexes")


def test_it_indexes_exactly_the_expressions_the_search_uses():
    assert migration.SERVICE_DOCUMENT == search.SERVICE_DOCUMENT.format(t="")
    assert migration.ROUTE_DOCUMENT == search.ROUTE_DOCUMENT.format(t="")


def test_it_keeps_the_stored_document_up_to_date():
    Service.objects.filter(name="Acacia").update(description="Offers zygomorphic support")
    assert list(search.keyword_filter(Service.objects.all(), "zygomorphic").values_list("name", flat=True)) == ["Acacia"]


def test_it_uses_the_full_text_index():
    queryset = search.keyword_filter(Service.objects.all(), "perinatal")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # 25 rows: make the planner show its choice
        plan = queryset.explain()
    assert "directory_service_search_gin" in plan
