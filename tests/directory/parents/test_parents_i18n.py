"""The parents' view is ready for translation (issue 9): every parent-facing string is
marked, the committed catalogue (locale/django.pot) is current, and a language is offered
only once its catalogue is completely translated (none is yet)."""
import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.test import override_settings
from django.urls import reverse

from directory.core.i18n import catalogue_is_complete, complete_languages

ROOT = Path(settings.BASE_DIR)
PARENT_TEMPLATES = sorted((ROOT / "templates" / "parents").rglob("*.html")) + [
    ROOT / "templates" / "includes" / "attribution.html"]
# plain_words.py holds words parents' pages must never say: matched against pages, never shown.
PARENT_MODULES = sorted(path for path in (ROOT / "directory" / "parents").glob("*.py") if path.name != "plain_words.py")
# Blocks of base.html that every parent page replaces with its own (marked) content.
OVERRIDDEN_BLOCKS = {"navigation", "footer_links", "footer_credit", "meta_description", "home_url", "title"}
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext"}
# Strings in code that no person reads: matched against data, not shown.
NOT_COPY = {"staff only"}
ATTRIBUTE_TEXT = re.compile(r'\b(?:aria-label|alt|title|placeholder)="([^"{]*[A-Za-z][^"{]*)"')


def _literal_text(source, skip=()):
    """The template with every tag and variable replaced by a placeholder, leaving out the
    blocks named in `skip` (those a parent page replaces)."""
    parts, skipping, translating = [], 0, False
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            bits = token.contents.split()
            if bits[0] in ("blocktranslate", "blocktrans", "endblocktranslate", "endblocktrans"):
                translating = not bits[0].startswith("end")
            if skipping:
                skipping += {"block": 1, "endblock": -1}.get(bits[0], 0)
                continue
            if bits[0] == "block" and bits[1] in skip:
                skipping = 1
                continue
        if skipping or translating:
            continue  # a replaced block, or the text of a {% blocktranslate %}, which is marked
        parts.append(token.contents if token.token_type == TokenType.TEXT else "\x00")
    return "".join(parts)


def _unmarked_words(text):
    """Words a person would read that are literal text, not a translation tag."""
    found = ATTRIBUTE_TEXT.findall(text)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&#?\w+;", " ", text)
    return found + re.findall(r"[A-Za-z]{2,}", text)


@pytest.mark.parametrize("path", PARENT_TEMPLATES + [ROOT / "templates" / "base.html"], ids=lambda p: p.name)
def test_every_string_in_the_parent_templates_is_marked_for_translation(path):
    skip = OVERRIDDEN_BLOCKS if path == ROOT / "templates" / "base.html" else ()
    unmarked = _unmarked_words(_literal_text(path.read_text(), skip))
    assert unmarked == [], f"{path.relative_to(ROOT)} has text not marked for translation: {unmarked}"


def _is_docstring(node, parents):
    parent = parents.get(node)
    return isinstance(parent, ast.Expr) and isinstance(parents.get(parent), (ast.Module, ast.FunctionDef, ast.ClassDef))


@pytest.mark.parametrize("path", PARENT_MODULES, ids=lambda p: p.name)
def test_every_string_in_the_parent_views_and_presenters_is_marked_for_translation(path):
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def marked(node):
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in GETTEXT_NAMES:
                return True
        return False

    unmarked = [
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and " " in node.value.strip() and re.search(r"[A-Za-z]{2,}", node.value)
        and not _is_docstring(node, parents) and not marked(node) and node.value not in NOT_COPY
        and not isinstance(parents.get(node), ast.JoinedStr)
    ]
    assert unmarked == [], f"{path.name} has text not marked for translation: {unmarked}"


def _msgids(pot_text):
    ids = set()
    for block in re.findall(r'^msgid ((?:".*"\n)+)', pot_text + "\n", flags=re.M):
        msgid = "".join(re.findall(r'"(.*)"', block))
        if msgid:
            ids.add(msgid)
    return ids


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs Debian's gettext (apt-get install gettext)")
def test_the_committed_catalogue_is_current(tmp_path):
    """Runs makemessages on a copy of the code and compares its messages with locale/django.pot."""
    for name in ("config", "accounts", "directory", "mapping", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en_GB", "--keep-pot"], cwd=tmp_path, check=True,
        capture_output=True, env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    fresh = _msgids((tmp_path / "locale" / "django.pot").read_text())
    committed = _msgids((ROOT / "locale" / "django.pot").read_text())
    assert fresh - committed == set(), "Run `make messages` and commit locale/django.pot"
    assert committed - fresh == set(), "locale/django.pot has messages the code no longer uses: run `make messages`"
    assert "Need help now?" in committed


# --- Which languages are offered -----------------------------------------------------------

PO = '''msgid ""
msgstr "Content-Type: text/plain; charset=UTF-8\\n"

msgid "Need help now?"
msgstr "{first}"

{flags}msgid "1 month"
msgid_plural "%(count)d months"
msgstr[0] "{second}"
msgstr[1] "{second}"
'''


@pytest.mark.parametrize("first, second, flags, complete", [
    ("Potrzebujesz pomocy?", "1 miesiąc", "", True),
    ("", "1 miesiąc", "", False),
    ("Potrzebujesz pomocy?", "", "", False),
    ("Potrzebujesz pomocy?", "1 miesiąc", "#, fuzzy\n", False),
])
def test_a_catalogue_is_complete_only_when_every_message_is_translated_and_checked(tmp_path, first, second, flags, complete):
    po = tmp_path / "pl" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO.format(first=first, second=second, flags=flags), encoding="utf-8")
    assert catalogue_is_complete(po) is complete
    assert complete_languages(tmp_path, {"pl": "Polski", "ur": "Urdu"}) == ([("pl", "Polski")] if complete else [])


def test_no_language_is_offered_until_a_translation_is_complete():
    assert [code for code, _ in settings.LANGUAGES] == ["en-gb"]


@pytest.mark.django_db
def test_the_switcher_appears_only_when_there_is_a_second_language(client):
    assert 'id="language-switch"' not in client.get(reverse("parents:start")).content.decode()
    with override_settings(LANGUAGES=[("en-gb", "English"), ("pl", "Polski")]):
        text = client.get(reverse("parents:start")).content.decode()
    assert 'id="language-switch"' in text and 'lang="pl"' in text
