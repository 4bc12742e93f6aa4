"""Mutation testing of one module with mutmut: do its tests notice a deliberate mistake?

    .venv/bin/python scripts/mutation.py directory/curation/roles.py
    .venv/bin/python scripts/mutation.py directory/curation/roles.py --tests tests/directory/curation/test_curation.py
    .venv/bin/python scripts/mutation.py directory/curation/moderation.py --show      # print each survivor's diff
    .venv/bin/python scripts/mutation.py directory/curation/moderation.py --survivors # after adding tests: survivors again
    .venv/bin/python scripts/mutation.py --list                             # the modules and their tests

mutmut copies the project into `mutants/`, rewrites every function of the module with small
mistakes (a `<` for a `<=`, a dropped argument, `None` for a value...), and runs, for each
mistake, only the tests that called the mutated function. A mistake the tests fail on is
"killed"; one they pass with "survived". The score printed at the end is killed (and timed
out) over all mutants; survivors are listed by name (`--show` prints their diffs).

mutmut is configured here rather than in a setup.cfg or pyproject.toml (the project has
neither), so that one module and its own tests can be named on the command line. The
project's layout is not written in: the module's top-level package is the source mutmut
copies and mutates, and every other file git tracks at the top level is copied beside it.
`mutants/` is emptied first, so every run starts from the code as it is now (docs/mutation.md).

Setting up the test database (migrations and the seed) takes about 2 s a mutant, more than most
tests. On SQLite the script's pytest plugin (below) saves the database as the unmutated code
set it up and, for a mutant whose function did not run during that set-up, restores it instead
of migrating and seeding again; a mutant of a function the migrations or the seed call (the
roles, the search tables, the seed loader) gets a database set up afresh, with the mistake in.
On PostgreSQL every mutant sets the database up afresh. Runs use one worker unless
`--max-children` says otherwise.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The test database as the unmutated code set it up, saved by the stats run (SQLite only).
TEMPLATE = ROOT / "mutants" / "mutation-template.sqlite3"

# The test modules that exercise each module. Move a module and change its key (or pass
# --tests): nothing else in this script knows where the code lives.
TESTS = {
    "directory/curation/roles.py": ["tests/directory/curation/test_curation.py", "tests/directory/curation/test_admin_writes.py",
                              "tests/directory/curation/test_admin_index.py", "tests/directory/curation/test_admin.py"],
    "directory/curation/moderation.py": ["tests/directory/curation/test_admin_writes.py", "tests/directory/curation/test_curation.py"],
    "directory/core/caching.py": ["tests/directory/core/test_caching.py"],
    "directory/core/content.py": ["tests/directory/core/test_caching.py"],
    "directory/search/tables.py": ["tests/directory/search/test_search_tables.py"],
    "directory/core/provenance.py": ["tests/directory/core/test_provenance.py"],
    "directory/seed/loader.py": ["tests/directory/seed/test_loadseed.py"],
}


def tracked_top_level():
    """Every top-level file and folder git tracks (what a test run may read)."""
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return sorted({line.split("/", 1)[0] for line in out.splitlines() if line})


def configure(module, tests):
    """Point mutmut at `module` alone and the given tests, through its own config loader."""
    from mutmut import configuration

    package = Path(module).parts[0]
    others = [name for name in tracked_top_level() if name not in {package, "tests", ".ci", ".github"}]
    settings = {
        "source_paths": [package],
        "only_mutate": [module],
        "also_copy": others,
        "pytest_add_cli_args_test_selection": list(tests),
        # This file is also the pytest plugin below: scripts/ is on sys.path as the script's folder.
        "pytest_add_cli_args": ["-p", "no:warnings", "-p", Path(__file__).stem],
        # A mutant that makes its tests hang is a "timeout" (counted as caught) after 5 times
        # (the tests' time + 10 s): the 10 s cover setting up the database, which mutmut's
        # estimate leaves out, so a slow machine does not pass a crash off as a timeout.
        "timeout_multiplier": 5.0,
        "timeout_constant": 10.0,
        # The worktree's git history is not mutmut's business: every run starts afresh anyway.
        "use_git_change_detection": False,
    }
    configuration._config_reader = lambda: (lambda key, default: settings.get(key, default))
    configuration.reset_config()
    return configuration.config()


# --- The pytest plugin, loaded in mutmut's test runs (`-p mutation`) ---------------------------
# mutmut runs pytest again in a process forked from its own for each mutant, so what the stats
# run leaves here (the functions called during set-up) is known to every mutant's run.
_setup_calls = None


def _mode():
    return os.environ.get("MUTANT_UNDER_TEST", "")


def _sqlite_in_memory(connection):
    return connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
        connection.creation._get_test_db_name())


class SaveSetUp:
    """In the stats run (unmutated code): note the module's functions called while the test
    database was set up, and save the database to TEMPLATE."""

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        result = yield
        if fixturedef.argname == "django_db_setup" and _mode() == "stats":
            from django.db import connections
            from mutmut.state import state

            global _setup_calls
            # Everything the first test's set-up called so far; too many only costs time.
            _setup_calls = set(state()._stats)
            connection = connections["default"]
            if _sqlite_in_memory(connection):
                with request.getfixturevalue("django_db_blocker").unblock():
                    connection.ensure_connection()
                    TEMPLATE.unlink(missing_ok=True)
                    target = sqlite3.connect(TEMPLATE)
                    connection.connection.backup(target)
                    target.close()
        return result


class RestoreSetUp:
    """In a mutant's run: when the mutated function did not run during set-up, the set-up
    would be the stats run's, so restore TEMPLATE instead of migrating and seeding again."""

    restored = False

    def pytest_sessionstart(self, session):
        self.restored = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if fixturedef.argname != "django_db_setup" or _setup_calls is None or not TEMPLATE.exists():
            return None
        mutant = _mode()
        if mutant in {"", "stats", "fail", "list_all_tests", "mutant_generation"}:
            return None
        from mutmut.utils.format_utils import mangled_name_from_mutant_name

        if mangled_name_from_mutant_name(mutant) in _setup_calls:
            return None
        from django.conf import settings
        from django.db import connections

        connection = connections["default"]
        if not _sqlite_in_memory(connection):
            return None
        # Both django_db_setup fixtures (pytest-django's and tests/conftest.py's, which seeds)
        # come here; the first restores, and neither runs.
        if not self.restored:
            with request.getfixturevalue("django_db_blocker").unblock():
                name = connection.creation._get_test_db_name()
                connection.close()
                settings.DATABASES["default"]["NAME"] = connection.settings_dict["NAME"] = name
                connection.ensure_connection()
                source = sqlite3.connect(TEMPLATE)
                source.backup(connection.connection)
                source.close()
            self.restored = True
        fixturedef.cached_result = (True, fixturedef.cache_key(request), None)
        return True


def pytest_configure(config):
    config.pluginmanager.register(SaveSetUp(), "mutation-save-set-up")
    config.pluginmanager.register(RestoreSetUp(), "mutation-restore-set-up")


def summary(module):
    """(counts by status, survivors with their status, every mutant's name) for the module after a run."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code

    data = SourceFileMutationData(path=Path(module))
    data.load()
    counts, survivors = {}, []
    for name, code in sorted(data.exit_code_by_key.items()):
        status = status_by_exit_code[code]
        counts[status] = counts.get(status, 0) + 1
        if status not in {"killed", "timeout"}:
            survivors.append((name, status))
    return counts, survivors, set(data.exit_code_by_key)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("module", nargs="?", help="the module to mutate, e.g. directory/curation/roles.py")
    parser.add_argument("--tests", nargs="+", help="test modules to run (default: the module's list in TESTS)")
    parser.add_argument("--max-children", type=int, default=1, help="parallel workers (default 1)")
    parser.add_argument("--show", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument("--list", action="store_true", help="list the modules with default tests, and stop")
    parser.add_argument("--report", action="store_true",
                        help="print the last run's results for the module again (from mutants/), without running")
    parser.add_argument("--survivors", action="store_true",
                        help="after adding tests: test the last run's survivors again (and the mutants of any "
                             "function changed since), keeping the other results")
    parser.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)  # --survivors' first step
    args = parser.parse_args()

    if args.list or not args.module:
        for module, tests in TESTS.items():
            print(f"{module}: {' '.join(tests)}")
        return 0 if args.list else 2
    module = Path(args.module).as_posix()
    tests = args.tests or TESTS.get(module)
    if not (ROOT / module).is_file():
        sys.exit(f"No module at {module} (a path from the project's root, e.g. directory/curation/roles.py).")
    if not tests:
        sys.exit(f"Say which tests exercise {module}: --tests tests/.../test_x.py ...")
    missing = [t for t in tests if not (ROOT / t.split("::")[0]).exists()]
    if missing:
        sys.exit(f"No such test module: {', '.join(missing)}")

    os.chdir(ROOT)
    configure(module, tests)
    if (args.report or args.survivors) and not (ROOT / "mutants" / (module + ".meta")).exists():
        sys.exit(f"No results for {module} in mutants/: run it without --report or --survivors first.")
    if not args.report:
        names = []
        if args.survivors:
            # mutmut keeps a mutant's result while its function is unchanged, and tests again
            # the mutants it is given by name, with the tests (new ones too) that call them.
            # First, in a run of its own, the mutants of functions changed since (not checked yet).
            names = [name for name, _ in summary(module)[1]]
            subprocess.run([sys.executable, __file__, module, "--keep", "--max-children", str(args.max_children),
                            "--tests", *tests], check=True, stdout=subprocess.DEVNULL)
            names = [name for name in names if name in summary(module)[2]]
        elif not args.keep:
            # Mutants live in mutants/ (ignored by git); a fresh copy each time, so results are never stale.
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        # The page tests need the test settings; the database comes from DATABASE_URL as for pytest.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
        from mutmut.__main__ import _run

        if names or not args.survivors:
            try:
                _run(names, args.max_children)
            except SystemExit as exit_:
                if exit_.code:
                    raise
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__

    counts, survivors, _ = summary(module)
    total = sum(counts.values())
    caught = counts.get("killed", 0) + counts.get("timeout", 0)
    print()
    print(f"{module}: {total} mutants, killed {counts.get('killed', 0)}, survived {counts.get('survived', 0)}, "
          f"timeout {counts.get('timeout', 0)}, no tests {counts.get('no tests', 0)}, "
          f"other {total - caught - counts.get('survived', 0) - counts.get('no tests', 0)}")
    print(f"score: {100 * caught / total:.1f}% ({caught}/{total})" if total else "score: no mutants")
    if survivors:
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        print("\nsurvivors:")
        for name, status in survivors:
            print(f"  {name}  [{status}]")
            if args.show:
                print("    " + get_diff_for_mutant(name, path=module).replace("\n", "\n    "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
