"""Issue 26: the production image installs the runtime packages only, and every package of
every install is locked to one version and its files' hashes (README "Dependencies").

requirements.txt (runtime) and requirements-dev.txt (tests, measuring) say what is wanted;
requirements.lock and requirements-dev.lock (`make lock`, pip-compile --generate-hashes) say
exactly what is installed: the image installs the first, `make install` (and so CI) the second.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_TOOLS = {"pytest", "pytest-django", "pytest-playwright", "playwright", "axe-playwright-python", "hypothesis",
              "jsonschema", "mutmut", "textstat", "pip-tools"}


def name(text):
    return re.sub(r"[-_.]+", "-", text).lower()


def wanted(path):
    """{package: pinned version or None} of a requirements .txt, and the files it includes."""
    packages, includes = {}, []
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            includes.append(line[3:].strip())
            continue
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*(==\s*([^\s;]+))?", line)
        assert match, line
        packages[name(match.group(1))] = match.group(3)
    return packages, includes


def locked(path):
    """{package: (version, number of hashes)} of a lock file."""
    entries, current = {}, None
    for line in (ROOT / path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            current = name(match.group(1))
            entries[current] = [match.group(2), 0]
        elif line.strip() and not line.lstrip().startswith("#"):
            assert current and "--hash=sha256:" in line, f"{path}: {line!r}"
            entries[current][1] += line.count("--hash=sha256:")
            assert line.rstrip().endswith("\\") or "--hash" in line
    return {package: tuple(value) for package, value in entries.items()}


@pytest.mark.parametrize("source, lock", [("requirements.txt", "requirements.lock"),
                                          ("requirements-dev.txt", "requirements-dev.lock")])
def test_every_wanted_package_is_locked_at_its_pinned_version_with_hashes(source, lock):
    packages, includes = wanted(source)
    for included in includes:
        packages.update(wanted(included)[0])
    pins = locked(lock)
    for package, version in packages.items():
        assert package in pins, f"{package} is in {source} but not in {lock}: run `make lock`"
        if version:
            assert pins[package][0] == version, f"{package}: {source} says {version}, {lock} {pins[package][0]}"
    for package, (version, hashes) in pins.items():
        assert hashes >= 1, f"{lock}: {package}=={version} has no hash"


def test_the_runtime_lock_has_no_test_tools_and_the_dev_lock_runs_the_same_runtime():
    runtime, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    assert not TEST_TOOLS & set(runtime)
    assert {"pytest", "playwright", "hypothesis"} <= set(dev)
    for package, (version, _) in runtime.items():
        # The tests run the versions production runs.
        assert dev.get(package, (None,))[0] == version, f"{package}: {version} in production, not in the tests"
    assert not TEST_TOOLS & set(wanted("requirements.txt")[0])
    assert wanted("requirements-dev.txt")[1] == ["requirements.txt"]


def test_the_image_installs_the_runtime_lock_only_and_checks_its_hashes():
    instructions = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.startswith("#")]
    installs = [line for line in instructions if "pip install" in line]
    assert installs == ["RUN pip install --require-hashes --no-deps -r requirements.lock"]
    assert not [line for line in instructions if "requirements-dev" in line or "requirements.txt" in line]


def test_make_install_installs_the_dev_lock_with_hashes_and_make_lock_remakes_both():
    makefile = (ROOT / "Makefile").read_text()
    install = makefile.split("\ninstall:")[1].split("\n\n")[0]
    assert "--require-hashes -r requirements-dev.lock" in install
    lock = makefile.split("\nlock:")[1].split("\n\n")[0]
    assert "-o requirements.lock requirements.txt" in lock and "-o requirements-dev.lock requirements-dev.txt" in lock
    assert "--generate-hashes" in makefile
