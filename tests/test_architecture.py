"""Issue 19: no import circles anywhere in the project, and each package imports only what it
may (docs/architecture.md). An `ast` walk of the project's own modules, counting every import,
at the top of a module or inside a function: a deferred import still ties two modules together.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "config", "directory", "mapping")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules():
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # migrations name models by string and are frozen history
            modules[module_name(path)] = path
    return modules


def imports_of(name, path, modules):
    """The project modules `name` imports, anywhere in its file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from x import y` may import the module x.y, or a name defined in x.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph():
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(edges):
    """Every strongly connected group of more than one module (Tarjan), as sorted lists."""
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


# Each package, by module prefix (longest first), and what it may import besides itself and
# Django. The one-screen map of the packages is docs/architecture.md; change both together.
PACKAGES_BY_PREFIX = [
    ("directory.models", "data"), ("directory.core", "core"), ("directory.search", "search"),
    ("directory.practitioners", "practitioners"), ("directory.parents", "parents"),
    ("directory.suggestions", "suggestions"), ("directory.curation", "curation"),
    ("directory.openreferral", "openreferral"), ("directory.seed", "seed"), ("directory.checkins", "checkins"),
    ("directory.whatson", "whatson"),
    ("directory.referrals", "referrals"),
    ("mapping.models", "places"), ("mapping.postcodes", "places"), ("mapping.needs", "places"),
    ("mapping", "map"), ("accounts", "accounts"),
    # Wiring: the app's start-up, its commands and template tags, the project's settings and URLs.
    ("directory.apps", "wiring"), ("directory.management", "wiring"), ("directory.templatetags", "wiring"),
    ("directory", "wiring"), ("config", "wiring"),
]
MAY_IMPORT = {
    # The tables: nothing above them; one leaf of core (the URL validator) and places.
    "data": {"places", "core.safe_urls"},
    "core": {"data", "places"},
    "places": {"core.numbers"},
    "search": {"core", "data", "places"},
    "suggestions": {"core", "data"},
    "practitioners": {"core", "data", "places", "search", "suggestions"},
    "parents": {"core", "data", "places", "search", "suggestions"},
    "map": {"core", "data", "places", "search", "practitioners"},
    "curation": {"core", "data", "places", "search"},
    # Sessions as ORUK schedules live in what's on; the API and importer call that one module.
    "openreferral": {"core", "data", "places", "search", "whatson.oruk"},
    "seed": {"core", "data", "places", "search"},
    # Services checking their own entries: their proposals go through curation's writes; their
    # sessions are said in what's on's words (its rules only).
    "checkins": {"core", "data", "places", "search", "curation", "whatson.rules"},
    # What's on (issue 23): its admin builds on curation's; its parents' page asks the parents' questions.
    "whatson": {"core", "data", "places", "search", "curation", "parents"},
    "accounts": {"curation"},
    # Preparing a referral (issue 24): the service page's presenters and the suggestions' hashed client key.
    "referrals": {"core", "data", "places", "search", "practitioners", "suggestions"},
    "wiring": None,  # anything
}


def package_of(module):
    for prefix, package in PACKAGES_BY_PREFIX:
        if module == prefix or module.startswith(prefix + "."):
            return package
    raise AssertionError(f"{module} belongs to no package of PACKAGES_BY_PREFIX")


def allowed(source, target):
    mine, theirs = package_of(source), package_of(target)
    rules = MAY_IMPORT[mine]
    if rules is None or mine == theirs:
        return True
    # A rule names a package ("core") or one leaf module of it ("core.safe_urls").
    leaf = target.removeprefix("directory.").removeprefix("mapping.")
    return theirs in rules or leaf in rules


def test_every_package_imports_only_what_it_may():
    wrong = sorted(f"{source} imports {target} ({package_of(source)} may not import {package_of(target)})"
                   for source, targets in graph().items() for target in targets if not allowed(source, target))
    assert not wrong, "\n".join(wrong)


def test_the_package_rules_catch_a_core_module_importing_curation():
    assert not allowed("directory.core.caching", "directory.curation.roles")
    assert not allowed("directory.models.core", "directory.search.terms")
    assert allowed("directory.models.core", "directory.core.safe_urls")
    assert allowed("config.urls", "directory.curation.admin.records")


def test_no_module_imports_itself_in_a_circle():
    found = cycles(graph())
    assert not found, "Import circles: " + "; ".join(" <-> ".join(group) for group in found)


def test_the_cycle_finder_finds_a_circle():
    """The yardstick can fail: a made-up circle of three is found."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
