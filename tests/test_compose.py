"""Issue 26: compose.yaml runs the site as several machines would (docs/adr/0024): PostgreSQL,
Redis, a migrate job, two app servers behind one nginx front, and a scheduler for the daily jobs.

There is no container engine on the build machines, so these check what can be checked without
one: the files parse, every name points at something that exists, the scheduler's jobs are real
commands. scripts/compose-smoke.sh brings it all up where Docker is.
"""
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command, get_commands, load_command_class

from directory.management.commands import runschedule

ROOT = Path(__file__).resolve().parent.parent
APP_SERVERS = ("web1", "web2")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def nginx():
    return (ROOT / "deploy" / "nginx.conf").read_text()


def test_every_part_is_there(compose):
    assert {"db", "redis", "migrate", *APP_SERVERS, "front", "scheduler", "importer"} <= set(compose["services"])
    assert set(compose["volumes"]) == {"pgdata"}


def test_every_service_waits_only_for_services_that_exist(compose):
    services = compose["services"]
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, f"{name} waits for {needed}, which is not a service"
            assert how["condition"] in ("service_healthy", "service_completed_successfully"), name
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], f"{name} waits for {needed} to be healthy; it has no check"


def test_the_app_servers_share_one_database_one_redis_and_one_image_and_never_migrate(compose):
    services = compose["services"]
    for name in (*APP_SERVERS, "migrate", "scheduler", "importer"):
        service = services[name]
        assert service["environment"]["DATABASE_URL"].endswith("@db:5432/directory"), name
        assert service["environment"]["CACHE_URL"] == "redis://redis:6379/0", name
        assert "RELEASE_ID" in service["environment"], name
        assert service["image"] == services["migrate"]["image"], name
        assert service["build"]["context"] == ".", name
    for name in APP_SERVERS:
        command = " ".join(services[name]["command"])
        assert "gunicorn config.wsgi" in command and "migrate" not in command and "loadseed" not in command
        assert "/healthz" in " ".join(services[name]["healthcheck"]["test"])
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "migrate --noinput" in " ".join(services["migrate"]["command"])
    assert "loadseed --if-empty" in " ".join(services["migrate"]["command"])
    assert "allkeys-lru" in services["redis"]["command"]


def test_the_front_is_the_one_address_and_its_config_names_both_app_servers(compose, nginx):
    services = compose["services"]
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["front"]
    mounts = [volume.split(":") for volume in services["front"]["volumes"]]
    assert [m[:2] for m in mounts] == [["./deploy/nginx.conf", "/etc/nginx/conf.d/default.conf"]]
    assert (ROOT / mounts[0][0]).is_file()
    upstream = re.search(r"upstream directory_app \{(.*?)\}", nginx, re.S).group(1)
    assert re.findall(r"server (\w+):8000", upstream) == list(APP_SERVERS)
    assert "proxy_pass http://directory_app;" in nginx
    for header in ("Host $host", "X-Forwarded-Proto $forwarded_proto", "X-Request-ID $request_id"):
        assert f"proxy_set_header {header};" in nginx
    assert nginx.count("{") == nginx.count("}")
    for line in nginx.splitlines():  # every directive ends its line with ; { or }
        line = line.split("#")[0].strip()
        assert not line or line[-1] in ";{}", line


def test_nginx_accepts_the_config_where_it_is_installed(nginx, tmp_path):
    import shutil

    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed here")
    # The app servers' names resolve inside compose only: point them here for the syntax check.
    (tmp_path / "default.conf").write_text(re.sub(r"server web\d:8000", "server 127.0.0.1:8000", nginx))
    (tmp_path / "nginx.conf").write_text(f"pid {tmp_path}/nginx.pid; error_log stderr; events {{}} "
                                         f"http {{ access_log off; include {tmp_path}/default.conf; }}")
    checked = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_scheduler_runs_runschedule_whose_jobs_are_real_commands_with_real_options(compose):
    assert compose["services"]["scheduler"]["command"] == ["python", "manage.py", "runschedule"]
    commands = get_commands()
    assert "runschedule" in commands
    names = {job.command for job in runschedule.JOBS}
    assert {"send_review_reminders", "invite_providers", "prunesearchrecords"} <= names
    for job in runschedule.JOBS:
        assert job.command in commands, job
        load_command_class(commands[job.command], job.command).create_parser("manage.py", job.command).parse_args(
            list(job.args))  # exits (fails the test) on an option the command does not have


def test_the_importer_runs_runimports_after_migrating(compose):
    importer = compose["services"]["importer"]
    assert importer["command"] == ["python", "manage.py", "runimports"]
    assert "runimports" in get_commands()
    assert importer["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_smoke_script_checks_healthz_through_the_front_and_both_app_servers():
    script = (ROOT / "scripts" / "compose-smoke.sh").read_text()
    assert (ROOT / "scripts" / "compose-smoke.sh").stat().st_mode & 0o111
    assert "docker compose up -d --build --wait" in script
    assert '"$base/healthz' in script
    for server in APP_SERVERS:
        assert server in script
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / "compose-smoke.sh")]).returncode == 0


# --- The scheduler itself -------------------------------------------------------------------

def test_a_job_is_due_once_a_day_from_its_time():
    from datetime import datetime

    job = runschedule.Job(runschedule.clock(7, 0), "send_review_reminders")
    last_run = {}
    assert runschedule.due([job], datetime(2026, 12, 5, 6, 59), last_run) == []
    assert runschedule.due([job], datetime(2026, 12, 5, 7, 0), last_run) == [job]
    assert runschedule.due([job], datetime(2026, 12, 5, 23, 0), last_run) == [job]  # started late: runs now
    last_run[job] = datetime(2026, 12, 5).date()
    assert runschedule.due([job], datetime(2026, 12, 5, 23, 0), last_run) == []
    assert runschedule.due([job], datetime(2026, 12, 6, 6, 0), last_run) == []
    assert runschedule.due([job], datetime(2026, 12, 6, 7, 1), last_run) == [job]


@pytest.mark.django_db
def test_once_runs_every_job_and_list_shows_the_schedule(capsys):
    call_command("runschedule", "--list")
    listed = capsys.readouterr().out
    assert "07:00 send_review_reminders" in listed and "08:00 invite_providers --remind" in listed
    call_command("runschedule", "--once")
    out = capsys.readouterr().out
    for job in runschedule.JOBS:
        assert f"Running {job}" in out and f"Finished {job}" in out


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_the_others_still_run(monkeypatch, capsys, caplog):
    real = runschedule.call_command

    def flaky(name, *args, **kwargs):
        if name == "send_review_reminders":
            raise RuntimeError("mail server down")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(runschedule, "call_command", flaky)
    monkeypatch.setattr(runschedule.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(runschedule.timezone, "localtime",
                        lambda: runschedule.timezone.make_aware(runschedule.datetime(2026, 12, 5, 9, 0)))
    with caplog.at_level("ERROR"):
        call_command("runschedule", "--max-ticks", "3")
    out = capsys.readouterr().out
    assert "scheduled job failed: send_review_reminders" in caplog.text
    assert f"Finished {runschedule.JOBS[2]}" in out
    assert out.count("Running send_review_reminders") == 1  # not retried on every tick
