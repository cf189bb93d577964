"""Every time in --json output is ISO 8601 with its zone; none is an epoch number (issue 20)."""

from __future__ import annotations

import json
import re

from org.bus import Bus
from tests.bus.bushelpers import GITHUB, carrying_out
from tests.helpers import org_in_process

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _epochs(doc, path="") -> list[str]:
    """Numbers in the range of epoch seconds (2001-2286), wherever they are: a time written as a number."""
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _epochs(v, f"{path}.{k}")]
    if isinstance(doc, list):
        return [p for v in doc for p in _epochs(v, f"{path}[]")]
    if isinstance(doc, (int, float)) and not isinstance(doc, bool) and 1e9 < doc < 1e10:
        return [f"{path}={doc}"]
    return []


def _times(doc, path="") -> list[str]:
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in _times(v, f"{path}.{k}")] + (
            [
                f"{path}.{k}"
                for k, v in doc.items()
                if (k.endswith("_at") or k in ("ts", "lease_expires"))
                and v is not None
                and not (isinstance(v, str) and ISO.match(v))
            ]
        )
    if isinstance(doc, list):
        return [p for v in doc for p in _times(v, path)]
    return []


def test_no_epoch_numbers_in_json(root, tokens):
    from org.identity.guard import Guard

    with Bus.open(root=root) as bus:
        t = bus.add_task(
            "Rotate",
            "ops",
            attributes={"environment": "staging", "irreversible": False},
        )["task"]
        c, jt = carrying_out(Guard(bus), tokens, t, "credential.use", attrs=GITHUB)
    assert (
        org_in_process(
            "act", "credential.use", "--as", "ops-claude", "--task", t, root=root, env={"ORG_TOKEN": jt}
        ).returncode
        == 6
    )
    docs = {}
    for args, token in (
        (("heartbeat", str(c.job)), jt),
        (("task", "show", t, "--as", "alice"), None),
        (("task", "list", "--as", "alice"), None),
        (("inbox", "--as", "alice"), None),
        (("token", "list", "--as", "alice", "--jobs", "--all"), None),
        (("token", "issue", "--for", "rev-gpt", "--as", "alice", "--ttl", "1h"), None),
        (("claim", "--lane", "builder", "--as", "build-claude"), tokens["build-claude"]),
        (("approve", t, "--as", "alice"), None),
        (("approve", t, "--as", "alice"), None),
    ):
        r = org_in_process(*args, "--json", root=root, env={"ORG_TOKEN": token} if token else None)
        assert r.returncode in (0, 3, 5), (args, r.stderr)
        docs[" ".join(args)] = json.loads(r.stdout)
    bad = {k: _epochs(d) + _times(d) for k, d in docs.items()}
    assert not any(bad.values()), bad
    assert ISO.match(docs["heartbeat " + str(c.job)]["lease_expires"])
    assert ISO.match(docs["token issue --for rev-gpt --as alice --ttl 1h"]["expires_at"])
