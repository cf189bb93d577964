"""Every resolved value of a config with its layer and FILE:LINE, like `git config --show-origin`.

The org layer's values are the leaves of its YAML files (a list of scalars is one value), named by a dotted
path: `lanes.builder.may`, `workflows.change.limits.max_rework_rounds`, `repos.app.protected` ... The lower
layers' statements (org.config.cascade) replace or add the values they tightened, each keeping what every
layer said. `policy_source(cfg, keys)` is the block a decision records: which layer each value came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from org.config.cascade import LAYERS, Statement, _org_docs, statements
from org.config.loader import OrgConfig

__all__ = ["Value", "values", "differences", "policy_source"]


@dataclass(frozen=True)
class Value:
    """A resolved value: what holds, from which layer and FILE:LINE, and what each layer said."""

    path: str
    value: Any
    layer: str
    source: str
    layers: tuple[Statement, ...] = field(default=())

    def to_json(self, with_layers: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "value": self.value,
            "layer": self.layer,
            "source": self.source,
        }
        if with_layers:
            out["layers"] = [s.to_json() for s in self.layers]
        return out


def _prefix(rel: str, data: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(the dotted prefix of a file's values, the keys of the file that are its name, not values)."""
    if rel.startswith("lanes"):
        return ("lanes", str(data.get("lane"))), ("lane",)
    if "workflow" in data:
        return ("workflows", str(data.get("workflow"))), ("workflow",)
    if data.keys() & {"red", "consequential", "attributes", "actions"}:
        return ("rules",), ()
    return (), ()


def _leaves(data: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(data, dict) and data:
        for k, v in data.items():
            yield from _leaves(v, (*at, k))
    elif isinstance(data, list) and any(isinstance(x, (dict, list)) for x in data):
        for i, v in enumerate(data):
            yield from _leaves(v, (*at, i))
    else:
        yield at, data


def values(cfg: OrgConfig) -> list[Value]:
    """Every value of `cfg` (resolved through its layers), in file order, then the layers' additions."""
    out: dict[str, Value] = {}
    for rel, doc in sorted(_org_docs(cfg).items()):
        if not isinstance(doc.data, dict):
            continue
        prefix, skip = _prefix(rel, doc.data)
        for at, v in _leaves(doc.data, ()):
            if at[:1] in [(k,) for k in skip]:
                continue
            path = ".".join(str(x) for x in (*prefix, *at))
            src = f"{rel}:{doc.line(at)}"
            out[path] = Value(path, v, "org", src, (Statement(path, v, "org", src),))
    for path, said in statements(cfg).items():
        last = said[-1]
        for k in [k for k in out if k.startswith(path + ".")]:  # e.g. repos.app.test.run under repos.app.test
            del out[k]
        out[path] = Value(path, last.value, last.layer, last.source, said)
    return list(out.values())


def differences(pinned: OrgConfig, today: OrgConfig) -> list[dict[str, Any]]:
    """The values where a task's pinned cascade and today's differ: {path, pinned, today} (None: absent)."""
    a = {v.path: v for v in values(pinned)}
    b = {v.path: v for v in values(today)}
    out = []
    for path in [*a, *[p for p in b if p not in a]]:
        x, y = a.get(path), b.get(path)
        if x is None or y is None or x.value != y.value:
            out.append(
                {
                    "path": path,
                    "pinned": x.to_json() if x else None,
                    "today": y.to_json() if y else None,
                }
            )
    return out


def policy_source(cfg: OrgConfig) -> dict[str, Any]:
    """The block a decision, job or event records: the pinned hash, the layers and the values they set."""
    cached: dict[str, Any] | None = cfg.__dict__.get("_policy_source")
    if cached is not None and cached["config_hash"] == cfg.config_hash:
        return cached
    said = statements(cfg)
    layers = sorted(
        {"org", *(s.layer for ss in said.values() for s in ss)}, key=["org", "repo", "task"].index
    )
    out = {
        "config_hash": cfg.config_hash,
        "layers": layers,
        "files": sorted(k for k in cfg.files if k.startswith(LAYERS)),
        "values": {path: f"{ss[-1].layer} {ss[-1].source}" for path, ss in sorted(said.items())},
    }
    if cfg.adr_scope is not None:
        out["adr_scope"] = list(cfg.adr_scope)  # what the agents are given ADRs of (org.agents.adrctx)
    cfg.__dict__["_policy_source"] = out
    return out
