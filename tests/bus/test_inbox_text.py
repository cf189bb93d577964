"""`org inbox` as text is enough to decide from: the title, why it asks, the work, and how to decide (issue 20)."""

from __future__ import annotations

from org.bus import Bus
from tests.bus.bushelpers import GITHUB, carrying_out
from tests.helpers import org_in_process


def test_inbox_text_shows_what_a_person_decides_from(root, tokens):
    from org.identity.guard import Guard

    with Bus.open(root=root) as bus:
        t = bus.add_task(
            "Rotate the GitHub token",
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
    r = org_in_process("inbox", "--as", "alice", root=root)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "Rotate the GitHub token" in text  # the title
    assert "asks: action 'credential.use' (requested by ops-claude)" in text
    assert "\n  why: " in text
    assert f"org approve {t} --as alice --id " in text and f"org reject {t} --as alice --id " in text
    assert "tier " in text
