"""Issue 19: a change of layout changes nothing anyone sees. Every public page and API body
on the seed data, normalised (tests/rendered.py), against the golden hashes taken before."""
import json

import pytest
from django.db import connection

from tests.rendered import GOLDEN, render_all

pytestmark = pytest.mark.django_db


def test_public_pages_and_api_bodies_are_as_recorded(client, request):
    rendered = render_all(client)
    golden_file = GOLDEN.with_name(f"rendered-{connection.vendor}.json")
    if request.config.getoption("--update-golden"):
        golden_file.write_text(json.dumps(rendered, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"{golden_file.name} written")
    golden = json.loads(golden_file.read_text())
    assert not [a for a, (status, _) in rendered.items() if status >= 500], "a server error"
    differ = sorted(a for a in set(golden) | set(rendered) if golden.get(a) != rendered.get(a))
    assert not differ, (f"{len(differ)} of {len(golden)} addresses render differently from {golden_file.name}: "
                        f"{differ[:20]}. If the change is deliberate, refresh with --update-golden (tests/rendered.py).")
