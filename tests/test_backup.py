"""Issue 14: a backup restores into an empty database with the same services, on SQLite and PostgreSQL."""
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from directory.models import Service
from directory.models import Fact
from tests.directory.search.test_search_tables import assert_tables_true

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


# Issue 18: the file holds password hashes and two-factor keys, so only its owner may read it,
# from the moment it exists (created so, not chmod'ed after), whatever the umask.
@pytest.fixture
def open_umask():
    import os

    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def no_chmod(monkeypatch):
    import os
    from pathlib import Path

    def refuse(*args, **kwargs):
        raise AssertionError("the backup's permissions must be set when it is created, not changed after")

    for module, name in ((os, "chmod"), (os, "fchmod"), (os, "lchmod"), (Path, "chmod"), (Path, "lchmod")):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, refuse)


@pytest.mark.django_db
def test_a_backup_and_its_new_folder_are_owner_only(settings, tmp_path, open_umask, no_chmod):
    import stat

    settings.BASE_DIR = tmp_path
    call_command("backup", stdout=StringIO())
    folder = tmp_path / "backups"
    [backup] = folder.iterdir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.name.startswith("backup-") and backup.name.endswith(".json.gz")


@pytest.mark.django_db
def test_a_backup_over_an_existing_readable_file_is_owner_only_too(tmp_path, open_umask, no_chmod):
    import gzip
    import json
    import stat

    path = tmp_path / "backup.json.gz"
    path.write_bytes(b"an old backup")  # readable by anyone, under the open umask
    assert stat.S_IMODE(path.stat().st_mode) == 0o666
    call_command("backup", output=str(path), stdout=StringIO())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        assert any(row["model"] == "directory.service" for row in json.load(fh))
    assert [p.name for p in tmp_path.iterdir()] == ["backup.json.gz"]  # no temporary file left behind


@pytest.mark.django_db
def test_a_failed_backup_leaves_no_file(tmp_path, monkeypatch):
    from django.core import management

    def fail(*args, **kwargs):
        raise CommandError("the database went away")

    monkeypatch.setattr("directory.management.commands.backup.call_command", fail)
    with pytest.raises(CommandError):
        management.call_command("backup", output=str(tmp_path / "backup.json.gz"), stdout=StringIO())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_an_existing_folder_open_to_others_is_named_and_left_alone(tmp_path, open_umask, no_chmod):
    import stat

    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    err = StringIO()
    call_command("backup", output=str(folder / "backup.json.gz"), stdout=StringIO(), stderr=err)
    assert "may be read by others" in err.getvalue()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "backup.json.gz").stat().st_mode) == 0o600
