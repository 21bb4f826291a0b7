"""Dependencies between apps go one way (../shared/STYLE.md, README "Architecture"): no module of
a lower app imports a higher one, and `core` imports no other app of ours. A lower page that
shows a higher app's data does so through an extension point (`zrunva.core.extensions`) the
higher app registers into.

Tests are left out (a registry test may build an application to check a panel); so are
migrations, which name other apps by label, not by import."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2] / "zrunva"

# Lowest first. `geo` sits under `accounts` because staff scope is a set of municipalities;
# `audit` over `accounts` because its pages and subject-access answers check permissions, while
# writing the trail itself (`zrunva.core.trail`) needs no app of ours. Apps on one line may not
# import each other either (their order is arbitrary).
LAYERS = [
    ["core"],
    ["geo"],
    ["accounts"],
    ["audit"],
    ["notifications"],
    ["registry"],
    ["questionnaires"],
    ["assessment"],
    ["programmes"],
    ["applications"],
    ["grievances"],
    ["payments"],
    ["services"],
    ["cases", "integration"],
    ["portal"],
    ["analytics"],
    ["demo"],
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}

# (module, imported app) pairs still to be fixed. Must end empty (issue 11).
KNOWN: set[tuple[str, str]] = set()


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def violations() -> set[tuple[str, str, int]]:
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or "tests" in parts or "migrations" in parts:
            continue
        app = parts[0]
        assert app in LEVEL, f"zrunva/{app} has no place in LAYERS"
        module = ".".join(("zrunva", *path.relative_to(ROOT).with_suffix("").parts))
        for line, name in _imports(path):
            bits = name.split(".")
            if bits[0] != "zrunva" or len(bits) < 2 or bits[1] == app:
                continue
            other = bits[1]
            if other not in LEVEL:
                continue
            if LEVEL[other] >= LEVEL[app] and (module, other) not in KNOWN:
                found.add((module, other, line))
    return found


def test_no_module_imports_a_higher_or_sibling_app():
    found = violations()
    assert not found, "\n".join(
        f"{module}:{line} imports zrunva.{other}" for module, other, line in sorted(found)
    )


def test_known_violations_are_still_there():
    """An entry fixed must leave KNOWN, so the list only shrinks."""
    present = {(module, other) for module, other, _ in _all_upward()}
    assert not KNOWN - present, f"fixed, remove from KNOWN: {sorted(KNOWN - present)}"


def _all_upward():
    saved = set(KNOWN)
    KNOWN.clear()
    try:
        return violations()
    finally:
        KNOWN.update(saved)


def test_installed_apps_follow_the_layers():
    ours = [app.split(".")[1] for app in settings.INSTALLED_APPS if app.startswith("zrunva.")]
    assert ours == sorted(ours, key=LEVEL.__getitem__), ours


def test_the_check_finds_an_upward_import(tmp_path, monkeypatch):
    """The walker sees a function-level import, as `registry`'s demo once had."""
    app = tmp_path / "zrunva" / "registry"
    app.mkdir(parents=True)
    (app / "low.py").write_text("def f():\n    from zrunva.applications import demo\n")
    (tmp_path / "zrunva" / "core").mkdir()
    (tmp_path / "zrunva" / "core" / "ok.py").write_text("from zrunva.core import money\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path / "zrunva")
    assert violations() == {("zrunva.registry.low", "applications", 2)}


def test_tests_build_records_with_factories_not_other_test_modules():
    """Builders live in each app's `tests/factories.py` (fixtures in a `conftest.py`): a test
    module that imports another test module hides where a builder is."""
    found = []
    for path in sorted(ROOT.rglob("tests/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(".tests.test_" in n for n in names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
    assert not found, "\n".join(found)
