"""Issue 22: a "Copy link" button beside the shortlist's share link. Without JavaScript the link
is still there to select; with it, static/js/copy-link.js copies it and says so."""
import re
from pathlib import Path

import pytest
from django.conf import settings

from directory.core.shortlist import COOKIE_NAME
from directory.models import Service

pytestmark = pytest.mark.django_db
SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "copy-link.js"


def shortlist_page(client, query=""):
    response = client.get(f"/shortlist/{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def two(client):
    ids = [Service.objects.get(slug=slug).pk for slug in ("acacia", "new-baby-network")]
    client.cookies[COOKIE_NAME] = ".".join(map(str, ids))
    return ids


def test_the_share_link_has_a_copy_button_and_a_status_line(client, two):
    body = shortlist_page(client)
    field = re.search(r'<input class="nhsuk-input app-copy-link__input" id="share-link" type="text" value="([^"]+)" readonly>', body)
    assert field and field.group(1) == f"http://testserver/shortlist/?services={two[0]}.{two[1]}"
    assert '<label class="nhsuk-label" for="share-link">Link to this list (works on any device)</label>' in body
    button = re.search(r'<button [^>]*data-app-copy="share-link"[^>]*>Copy link</button>', body).group(0)
    assert 'type="button"' in button and "app-js-only" in button  # hidden until the script can work
    assert '<p class="nhsuk-body-s app-copy-link__status" id="share-link-status" role="status" aria-live="polite"></p>' in body
    assert re.search(r'<script src="/static/js/copy-link.js" defer></script>', body)


def test_a_shared_list_can_be_copied_on_too(client, two):
    body = shortlist_page(client.__class__(), f"?services={two[0]}")
    assert 'data-app-copy="share-link"' in body and "A shortlist shared with you" in body


def test_an_empty_list_offers_nothing_to_copy(client):
    assert 'data-app-copy' not in shortlist_page(client)


def test_the_page_has_no_inline_script_or_handler(client, two):
    body = shortlist_page(client)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", body)
    assert not re.search(r"\son[a-z]+=", body)


def test_the_script_uses_the_clipboard_and_announces_the_result():
    script = SCRIPT.read_text()
    assert "navigator.clipboard.writeText" in script and "isSecureContext" in script
    assert '"Copied.' in script  # the status people see and screen readers hear
    assert "execCommand(\"copy\")" in script  # older browsers: select and copy
