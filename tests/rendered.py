"""The public pages and API bodies as rendered on the seed data, normalised so that two runs of
the same code on different days agree: the yardstick for "no behaviour change" (issue 19).

`tests/test_rendered_output.py` compares today's output with `tests/golden/rendered.json`
(one SHA-256 per address). After a deliberate change to what the public sees, refresh it:

    .venv/bin/python -m pytest tests/test_rendered_output.py --update-golden

To see what differs, dump the bodies before and after with `DUMP_RENDERED=dir` and diff the
two folders.
"""
import hashlib
import os
import re
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden" / "rendered.json"

# What changes from run to run without the code changing: tokens, nonces, dates and times,
# the content version in ETags and cache-busting parameters, ids of rows created by the test.
VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken" value="CSRF"'),
    (re.compile(r'nonce="[^"]*"'), 'nonce="NONCE"'),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"), "DATE"),
    (re.compile(r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|"
                r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec) \d{4}\b"), "DATE"),
    (re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December) "
                r"\d{4}\b"), "MONTH"),
    (re.compile(r"([?&]v=)[0-9a-f-]+"), r"\1V"),
    # Open Referral ids are random UUIDs made when the seed loads.
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "UUID"),
]


def normalise(body: bytes) -> bytes:
    text = body.decode("utf-8", errors="replace")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text.encode()


def addresses():
    """Every public page type and API body, for every seeded service, topic and district."""
    from directory.models import ParentTopic, Service, Status
    from mapping.models import District

    published = list(Service.objects.filter(status=Status.PUBLISHED).order_by("slug").values_list("slug", "uuid"))
    pages = [
        "/", "/about/", "/search/", "/search/?q=dad", "/search/?q=PND", "/search/?postcode=B8+1AA&age=4",
        "/search/?postcode=B8+1AA&age=4&sort=distance", "/search/?pregnant=1&district=hodge-hill",
        "/search/?level=specialist&focus=specialised", "/search/?q=zzzz-nothing", "/search/?age=abc&postcode=nowhere",
        "/shortlist/", "/map/", "/map/?level=universal", "/needs/", "/needs/?caseload=40", "/services.csv",
        "/map/districts.geojson", "/map/markers.geojson",
        "/parents/", "/parents/support/?age=3&postcode=B8+1AA", "/parents/support/all/", "/parents/saved/",
        "/api/", "/api/services", "/api/services?page=2&per_page=5", "/api/services?text=baby",
        "/api/service_at_locations", "/api/taxonomies", "/api/taxonomy_terms", "/api/openapi.json",
        "/api/docs/", "/api/nothing-here",
    ]
    pages += [f"/services/{slug}/" for slug, _ in published]
    pages += [f"/parents/services/{slug}/" for slug, _ in published]
    pages += [(f"/api/services/<{slug}>", f"/api/services/{uuid}") for slug, uuid in published]
    pages += [f"/parents/topics/{slug}/?age=3" for slug in ParentTopic.objects.order_by("slug").values_list("slug", flat=True)]
    pages += [f"/map/districts/{slug}/panel/" for slug in District.objects.order_by("slug").values_list("slug", flat=True)]
    pages.append("/shortlist/?services=" + ".".join(str(pk) for pk in Service.objects.filter(
        status=Status.PUBLISHED).order_by("slug").values_list("pk", flat=True)[:3]))
    return pages


def render_all(client):
    """{address: (status, sha256 of the normalised body)}; with DUMP_RENDERED set, the bodies too."""
    dump = os.environ.get("DUMP_RENDERED")
    result = {}
    for number, address in enumerate(addresses()):
        address, url = address if isinstance(address, tuple) else (address, address)
        response = client.get(url)
        body = normalise(b"".join(response.streaming_content) if response.streaming else response.content)
        result[address] = [response.status_code, hashlib.sha256(body).hexdigest()]
        if dump:
            Path(dump).mkdir(parents=True, exist_ok=True)
            (Path(dump) / f"{number:03d}.txt").write_bytes(address.encode() + b"\n" + body)
    return result
