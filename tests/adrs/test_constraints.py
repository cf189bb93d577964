"""Constraint logic: descriptions, and contradiction found exactly (checked against brute force)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from org.adrs.constraints import contradicts, describe, facts, satisfiable
from org.config.models import AttributeSpec, Condition
from org.engine.conditions import compile_condition


def C(**kw) -> Condition:
    return Condition.model_validate(kw)


def test_describe():
    c = C(
        all=[
            {"attr": "kind", "eq": "config"},
            {"any": [{"attr": "via", "ne": "pipeline"}, {"attr": "x", "exists": False}]},
            {"not": {"attr": "env", "in": ["dev", "staging"]}},
            {"attr": "a", "eq_attr": "b"},
            {"attr": "d", "eq": True},
        ]
    )
    assert describe(c) == (
        "kind = config and (via != pipeline or x is not set) and not (env in [dev, staging]) "
        "and a = b (attribute) and d = true"
    )
    assert describe(None) == "all work"
    assert (
        facts([C(attr="kind", eq="config"), C(attr="via", eq="pipeline")], {"kind": "config"})
        == "kind=config, via not set"
    )


def test_contradiction_cases():
    kind_config = C(attr="kind", eq="config")
    assert contradicts(kind_config, C(attr="via", eq="pipeline"), kind_config, C(attr="via", eq="manual"))
    assert not contradicts(
        kind_config, C(attr="via", eq="pipeline"), C(attr="kind", eq="docs"), C(attr="via", eq="manual")
    )
    assert not contradicts(kind_config, C(attr="via", eq="pipeline"), kind_config, C(attr="via", ne="manual"))
    # a constraint that forbids the other's whole scope is not a contradiction between the two
    assert not contradicts(kind_config, C(attr="via", eq="pipeline"), None, C(attr="kind", ne="config"))
    # closed domains come from the declared attributes
    declared = {"via": AttributeSpec(values=["pipeline", "manual"])}
    ne_both = C(all=[{"attr": "via", "ne": "pipeline"}, {"attr": "via", "exists": True}])
    assert contradicts(None, C(attr="via", ne="manual"), None, ne_both, declared)
    assert not contradicts(None, C(attr="via", ne="manual"), None, ne_both)  # open domain: via=other works


def test_satisfiable_with_attribute_links():
    assert satisfiable([C(attr="a", eq_attr="b"), C(attr="a", eq="x"), C(attr="b", ne="x")]) is False
    assert satisfiable([C(attr="a", ne_attr="b"), C(attr="a", exists=True), C(attr="b", exists=True)]) is True
    assert (
        satisfiable(
            [
                C(attr="a", eq_attr="b"),
                C(attr="b", eq_attr="c"),
                C(attr="a", ne_attr="c"),
                C(attr="a", exists=True),
            ]
        )
        is False
    )


ATTRS = ("a", "b", "c")
VALUES = ("x", "y")


def atoms():
    a = st.sampled_from(ATTRS)
    v = st.sampled_from(VALUES)
    return st.one_of(
        st.builds(lambda n, x: {"attr": n, "eq": x}, a, v),
        st.builds(lambda n, x: {"attr": n, "ne": x}, a, v),
        st.builds(lambda n, xs: {"attr": n, "in": xs}, a, st.lists(v, min_size=1, max_size=2)),
        st.builds(lambda n, xs: {"attr": n, "not_in": xs}, a, st.lists(v, min_size=1, max_size=2)),
        st.builds(lambda n, b: {"attr": n, "exists": b}, a, st.booleans()),
        st.builds(lambda n, m: {"attr": n, "eq_attr": m}, a, a),
        st.builds(lambda n, m: {"attr": n, "ne_attr": m}, a, a),
    )


conditions = st.recursive(
    atoms(),
    lambda kids: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(kids, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(kids, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, kids),
    ),
    max_leaves=5,
).map(Condition.model_validate)

_ABSENT = object()
BIG = (_ABSENT, "x", "y", "w1", "w2", "w3", "w4")  # more fresh values than any small model needs


def brute(conds):
    tests = [compile_condition(c) for c in conds]
    for combo in itertools.product(BIG, repeat=len(ATTRS)):
        attrs = {n: v for n, v in zip(ATTRS, combo, strict=True) if v is not _ABSENT}
        yield attrs, [t(attrs) for t in tests]


@settings(max_examples=150, deadline=None)
@given(st.lists(conditions, min_size=1, max_size=3))
def test_satisfiable_agrees_with_brute_force(conds):
    assert satisfiable(conds) == any(all(r) for _, r in brute(conds))


@settings(max_examples=150, deadline=None)
@given(conditions, conditions, conditions, conditions)
def test_contradicts_agrees_with_brute_force(w1, r1, w2, r2):
    one = two = both = False
    for _, (a, b, c, d) in brute([w1, r1, w2, r2]):
        if a and c:
            one, two, both = one or b, two or d, both or (b and d)
    assert contradicts(w1, r1, w2, r2) == (one and two and not both)


def test_linked_attributes_share_declared_values():
    declared = {"via": AttributeSpec(values=["pipeline", "manual"])}
    conds = [C(attr="route", eq_attr="via"), C(attr="via", exists=True), C(attr="route", ne="x")]
    assert satisfiable(conds, declared) is True  # route = via = pipeline
    assert satisfiable([*conds, C(attr="via", not_in=["pipeline", "manual"])], declared) is False
