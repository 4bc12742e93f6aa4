"""Issue 14: a backup restores into an empty database with the same services, on SQLite and PostgreSQL."""
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from directory.models import Service
from directory.provenance import Fact
from tests.directory.test_search_tables import assert_tables_true

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot():
    return {
        "services": sorted(Service.objects.values_list("slug", "status", "summary", "phone")),
        "facts": Fact.objects.count(),
        "history": Service.history.count(),
    }


def test_a_backup_restores_into_an_empty_database_with_the_same_services(seeded_live_server, tmp_path, django_user_model):
    editor = django_user_model.objects.create_user("ellie", "e@example.org", "a-long-password-for-tests", is_staff=True)
    Service.objects.filter(slug="acacia").update(summary="Edited before the backup.", owner=editor)
    before = snapshot()
    path = tmp_path / "backup.json.gz"
    started = time.perf_counter()
    call_command("backup", output=str(path), stdout=StringIO())
    backup_seconds = time.perf_counter() - started
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path), stdout=StringIO())

    call_command("flush", interactive=False, verbosity=0)  # an empty, migrated database
    assert not Service.objects.exists()
    started = time.perf_counter()
    out = StringIO()
    call_command("restore", str(path), stdout=out)
    restore_seconds = time.perf_counter() - started
    assert snapshot() == before
    assert Service.objects.get(slug="acacia").owner.username == "ellie"
    # The search tables are not in the backup: restore computes them, with the edited summary.
    assert_tables_true()
    print(f"backup {path.stat().st_size // 1024} KiB in {backup_seconds:.1f}s; restore in {restore_seconds:.1f}s")


def test_a_broken_backup_writes_nothing(seeded_live_server, tmp_path):
    import gzip

    path = tmp_path / "broken.json.gz"
    with gzip.open(path, "wt") as fh:
        fh.write('[{"model": "directory.organisation", "pk": 999, "fields": {"name": "Half", "slug": "half", "sector": "vcs"}},'
                 ' {"model": "directory.service", "pk": 999, "fields": {"organisation": 12345}}]')
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("restore", str(path), stdout=StringIO())
    assert not Service.objects.exists()
    from directory.models import Organisation

    assert not Organisation.objects.exists()
