"""Fuzzed YAML never yields a traceback: load_org raises only ConfigError (every problem FILE:LINE-shaped),
proofs never crash on what loads, and the real CLI exits 0 or 2 with FILE:LINE lines."""

from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.config.loader import load_org_files
from org.engine.proofs import prove
from org.errors import ConfigError
from tests.config.config_tools import PROBLEM, Verdict
from tests.helpers import REPO, run_org

DEFAULT = {
    str(p.relative_to(REPO)): p.read_text()
    for d in ("lanes", "gates")
    for p in sorted((REPO / d).glob("*.yaml"))
}
NAMES = sorted(DEFAULT)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_and_prove(files: dict[str, str | bytes]) -> None:
    """What `org validate` does in-process: only ConfigError may escape, and proofs must not crash."""
    try:
        cfg = load_org_files(files)
    except ConfigError as exc:
        assert exc.problems
        for p in exc.problems:
            assert isinstance(p.file, str) and p.file and isinstance(p.line, int) and p.line >= 0
            text = str(p)
            assert "\n" not in p.path
            if p.line:
                assert PROBLEM.match(text.split("\n")[0]), text
        return
    for p in prove(cfg):
        assert p.file and p.line >= 0 and p.message


def with_file(rel: str, text: str | bytes) -> dict:
    return {**DEFAULT, rel: text}


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["lanes/fuzz.yaml", "gates/fuzz.yaml", *NAMES]))
def test_random_bytes(data, rel):
    load_and_prove(with_file(rel, data))


@SETTINGS
@given(
    st.text(alphabet=st.sampled_from(list("ab:-[]{}#&*!|>'\"\t\n ,.?%@`0123456789\\")), max_size=120),
    st.sampled_from(["lanes/fuzz.yaml", "gates/fuzz.yaml", *NAMES]),
)
def test_yaml_punctuation_soup(text, rel):
    load_and_prove(with_file(rel, text))


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 200)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "builder",
            "review",
            "work",
            "approval",
            "terminal",
            "high",
            "low",
            "*",
            "anthropic/claude-x",
            "implement",
            "done",
            "environment",
            "production",
            "exempt",
            "actor",
        ]
    )
)
keys = st.sampled_from(
    [
        "lane",
        "kind",
        "purpose",
        "may",
        "may_not",
        "members",
        "id",
        "model",
        "workflow",
        "gates",
        "after",
        "tiers",
        "quorum",
        "cross_vendor",
        "on_fail",
        "check",
        "red",
        "consequential",
        "attributes",
        "when",
        "attr",
        "eq",
        "ne",
        "in",
        "not",
        "all",
        "any",
        "risk",
        "default",
        "classify",
        "credentials",
        "service",
        "env",
        "limits",
        "exempt",
    ]
) | st.text(max_size=6)
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


@SETTINGS
@given(
    st.dictionaries(keys, structures, min_size=1, max_size=6),
    st.sampled_from(["lanes/fuzz.yaml", "gates/fuzz.yaml", *NAMES]),
)
def test_random_structures(doc, rel):
    load_and_prove(with_file(rel, yaml.safe_dump(doc, allow_unicode=True)))


def _mutate(text: str, rnd: random.Random, n: int) -> str:
    lines = text.split("\n")
    for _ in range(n):
        i = rnd.randrange(len(lines))
        op = rnd.randrange(8)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rnd.randrange(len(lines))])  # duplicate a line elsewhere
        elif op == 2:
            lines[i] = "\t" + lines[i]
        elif op == 3:
            lines[i] = " " * rnd.randrange(1, 4) + lines[i]  # break the indentation
        elif op == 4 and lines[i]:
            j = rnd.randrange(len(lines[i]))
            lines[i] = lines[i][:j] + rnd.choice(":-[]{}#&*!|>'\"x0 ") + lines[i][j + 1 :]
        elif op == 5:
            words = re.findall(r"[\w.\-/*]+", text)
            if words and lines[i]:
                lines[i] = lines[i].replace(rnd.choice(words), rnd.choice(words), 1)  # swap identifiers
        elif op == 6:
            lines = lines[: max(1, i)]  # truncate
        else:
            lines[i] = lines[i].replace(": ", ":", 1)
        if not lines:
            lines = [""]
    return "\n".join(lines)


@SETTINGS
@given(st.sampled_from(NAMES), st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_mutations_of_the_default_org(rel, seed, n):
    load_and_prove(with_file(rel, _mutate(DEFAULT[rel], random.Random(seed), n)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(NAMES), st.integers(0, 2**32 - 1)), min_size=2, max_size=4))
def test_several_files_mutated_at_once(muts):
    files = dict(DEFAULT)
    for rel, seed in muts:
        files[rel] = _mutate(files[rel], random.Random(seed), 2)
    load_and_prove(files)


def test_alias_bomb_is_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefg", "bcdefgh", strict=True)
    )
    try:
        load_org_files(with_file("gates/fuzz.yaml", bomb))
    except ConfigError as exc:
        assert any("too large" in p.message for p in exc.problems)
    else:
        raise AssertionError("an alias bomb loaded")


def test_recursive_alias():
    try:
        load_org_files(with_file("gates/fuzz.yaml", "a: &a [*a]\n"))
    except ConfigError as exc:
        assert exc.problems[0].file == "gates/fuzz.yaml"


def test_fuzzed_orgs_through_the_real_cli(tmp_path):
    """A handful of mutated orgs through `org validate`: exit 0 or 2, FILE:LINE lines, no traceback."""
    rnd = random.Random(20261121)
    roots = []
    for k in range(8):
        root = tmp_path / f"o{k}"
        for rel, text in DEFAULT.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        for rel in rnd.sample(NAMES, 2):
            (root / rel).write_text(_mutate(DEFAULT[rel], rnd, 3))
        roots.append(root)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda r: run_org("validate", root=r), roots))
    assert any(r.returncode == 2 for r in results)
    for r in results:
        assert r.returncode in (0, 2), r.stderr
        v = Verdict(r)  # every stderr line is FILE:LINE: path: message (or FILE: message)
        assert (r.returncode == 2) == bool(v.problems)
