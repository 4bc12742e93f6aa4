"""The bench scripts' own databases (bench/load.py, bench/imports.py; imported from beside them): made empty for each run.

A bench drops its database, so a URL must name one whose name contains "bench": never `test`
or the directory's own.
"""
from pathlib import Path


def prepared_database_url(choice, tmp, *, name):
    """The URL of an empty database for `choice`: "sqlite" (a file `<name>.sqlite3` in `tmp`),
    "postgres" (`<name>` on the local PostgreSQL, dropped and created) or a database URL."""
    import dj_database_url

    if choice == "sqlite":
        return f"sqlite:///{Path(tmp) / f'{name}.sqlite3'}"
    url = f"postgres://postgres@127.0.0.1:5432/{name}" if choice == "postgres" else choice
    config = dj_database_url.parse(url)
    if "bench" not in Path(config["NAME"]).name:
        raise SystemExit(f"Refusing {url}: the bench drops its database, so its name must contain 'bench'.")
    if "sqlite" in config["ENGINE"]:
        Path(config["NAME"]).unlink(missing_ok=True)
        return url
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user=config["USER"], password=config["PASSWORD"] or None,
                                  host=config["HOST"], port=config["PORT"] or 5432)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()
    return url
