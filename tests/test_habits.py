"""The maintainers' habits, checked: exported members, design citations that resolve, strict markers that are
used, warnings as errors with named exceptions, and the pre-commit hooks passing on the tree."""

from __future__ import annotations

import importlib
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from types import SimpleNamespace

import pytest
import yaml

import org
from tests.helpers import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
PYTEST_INI = PYPROJECT["tool"]["pytest"]["ini_options"]


def _public_modules() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.walk_packages(org.__path__, "org.")
        if not any(part.startswith("_") for part in m.name.split("."))
    )


@pytest.mark.parametrize("name", _public_modules())
def test_a_public_module_says_what_it_exports(name):
    """Every public module has a one-line docstring and an `__all__` of unique, public names it defines."""
    mod = importlib.import_module(name)
    assert (mod.__doc__ or "").strip(), f"{name} opens with no docstring"
    assert hasattr(mod, "__all__"), f"{name} has no __all__"
    exported = list(mod.__all__)
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
    for n in exported:
        assert not n.startswith("_"), f"{name}.__all__ exports the private name {n}"
        assert hasattr(mod, n), f"{name}.__all__ names {n}, which it does not define"


def _invariant_ids() -> dict[int, str]:
    doc = (REPO / "docs" / "DESIGN.md").read_text()
    return {int(n): t for n, t in re.findall(r"^### Invariant (\d+): (.+)$", doc, flags=re.M)}


def test_the_invariants_have_stable_ids():
    ids = _invariant_ids()
    assert sorted(ids) == list(range(1, max(ids) + 1)), "ids run 1..N, none skipped or repeated"
    assert all(t.strip() for t in ids.values())


CITATION = re.compile(r"\bDESIGN invariants? (\d+)|\((?:[^()]*; )?invariant (\d+)\)")


def test_every_citation_of_an_invariant_names_one_of_docs_design():
    """Attack: a message citing "DESIGN invariant 42" (or an invariant renumbered away) fails here."""
    ids = _invariant_ids()
    files = [*REPO.joinpath("org").rglob("*.py"), *REPO.joinpath("adrs").glob("*.md"), REPO / "README.md"]
    cited = {}
    for f in files:
        for n, line in enumerate(f.read_text().splitlines(), 1):
            for m in CITATION.finditer(line):
                cited[f"{f.relative_to(REPO)}:{n}"] = int(m.group(1) or m.group(2))
    assert cited, "the code cites the invariants"
    unknown = {where: n for where, n in cited.items() if n not in ids}
    assert not unknown, f"citations of invariants docs/DESIGN.md does not have: {unknown}"
    assert CITATION.search("exempt (DESIGN invariant 42, docs/DESIGN.md)").group(1) == "42"


def test_markers_are_strict_and_both_are_used():
    assert "--strict-markers" in PYTEST_INI["addopts"]
    assert {m.split(":")[0] for m in PYTEST_INI["markers"]} == {"postgres", "slow"}
    slow = [p for p in REPO.joinpath("tests").rglob("test_*.py") if "@pytest.mark.slow\n" in p.read_text()]
    assert slow, "no test is marked slow"


def test_every_postgresql_test_is_marked_postgres():
    """The conftest marks by need: a PostgreSQL fixture, or the "postgresql" case of a parametrization."""
    from tests.conftest import pytest_collection_modifyitems

    def item(fixtures, params=None):
        marks = []
        return SimpleNamespace(
            fixturenames=fixtures,
            callspec=SimpleNamespace(params=params or {}),
            add_marker=marks.append,
            marks=marks,
        )

    items = [
        item(["pg_url"]),
        item(["pg_bus"]),
        item(["url"], {"url": "postgresql"}),
        item(["url"], {"url": "sqlite"}),
        item(["tmp_path"]),
        item(["x"], {"dialect": "postgresql"}),
    ]
    pytest_collection_modifyitems(None, items)
    assert [bool(i.marks) for i in items] == [True, True, True, False, False, True]
    assert all(m.name == "postgres" for i in items for m in i.marks)


def test_warnings_are_errors_and_every_exception_is_named():
    """filterwarnings starts with "error"; each exception ignores one category (optionally one message and
    module), never a whole class of warnings from everywhere without a message."""
    filters = PYTEST_INI["filterwarnings"]
    assert filters[0] == "error"
    for f in filters[1:]:
        action, message, category, *rest = f.split(":") + ["", ""]
        assert action == "ignore", f
        assert category and re.fullmatch(r"[\w.]+", category), f"{f}: name the warning class"
        assert message or (rest and rest[0]), f"{f}: name the message or the module it comes from"


def test_the_pre_commit_hooks_pass_on_the_tree():
    """The hooks of .pre-commit-config.yaml (ruff and `org validate` on the project's own org), run as
    pre-commit runs them, through this environment instead of .ci/dev."""
    cfg = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for r in cfg["repos"] for h in r["hooks"]}
    assert {"ruff", "ruff-format", "org-validate"} <= set(hooks)
    venv_bin = REPO / ".venv" / "bin"
    for hid, h in hooks.items():
        argv = h["entry"].split()
        assert argv[0] == ".ci/dev", f"{hid} runs through .ci/dev"
        tool = argv[1]
        exe = shutil.which(tool, path=str(venv_bin)) or shutil.which(tool)
        cmd = [sys.executable, "-m", "org", *argv[2:]] if tool == "org" else [exe, *argv[2:]]
        if argv[1:3] == ["ruff", "format"]:
            cmd.append("--check")  # the hook rewrites files; the suite only looks
        if h.get("pass_filenames", True):
            cmd += ["org", "tests"]
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"hook {hid}: {r.stdout}{r.stderr}"
