"""Secrets never reach the database: a canary credential value, fed in through every text input, is
nowhere in the database files (SQLite main file, WAL and shared memory) or in any PostgreSQL row."""

from __future__ import annotations

import uuid

from org.bus import Bus
from tests.bus.bushelpers import drive
from tests.helpers import org_in_process

GH_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def _feed(bus, canary: str) -> str:
    t = bus.add_task(
        f"deploy using {canary}",
        "ops",
        attributes={"environment": "staging", "irreversible": "true", "service": canary},
    )["task"]
    c = bus.claim("operator", "ops-claude")
    bus.submit(
        c.job,
        c.token,
        "pass",
        note=f"used password={canary}",
        content=f"export GITHUB_TOKEN={canary}\ncurl -H 'Authorization: Bearer {GH_TOKEN}'\n",
        findings=[{"api_key": "k-123456", "detail": canary}],
    )
    assert bus.act("deploy.staging", "ops-claude", t, {"via": "pipeline"})["exit_code"] == 6
    bus.pause("lane", "security", note=f"leaked {canary}")
    bus.resume("lane", "security", note=GH_TOKEN)
    c = bus.claim("security", "sec-gemini")
    bus.submit(c.job, c.token, "pass", note=f"checked {canary}")
    bus.approve(t, "alice", action="deploy.staging", note=f"ok, {canary}")
    bus.record_usage("ops-claude", "anthropic/claude-sonnet-4-5", cost_usd=0.01, task=t)
    drive(bus, t)
    return t


def _files(top):
    """Every file under org's folder, its subfolders included (remembered proofs, token files)."""
    return [f for f in sorted(top.rglob("*")) if f.is_file()]


def _dump(bus) -> str:
    def fn(tx):
        out = []
        for t in (
            "tasks",
            "jobs",
            "leases",
            "events",
            "approvals",
            "switches",
            "usage",
            "config_pins",
            "bus_meta",
        ):
            for row in tx.x(f"SELECT * FROM {t}").all():
                out.append(
                    " ".join(
                        bytes(v).decode("utf-8", "replace") if isinstance(v, (bytes, memoryview)) else str(v)
                        for v in row
                    )
                )
        return "\n".join(out)

    return bus.store.read(fn)


def test_canary_never_reaches_the_database(url, root, monkeypatch):
    canary = "cnry-" + uuid.uuid4().hex
    monkeypatch.setenv("ORG_SECRET_GITHUB", canary)
    with Bus.open(url, root=root) as bus:
        t = _feed(bus, canary)
        dump = _dump(bus)
        assert "[redacted:github]" in dump and "[redacted]" in dump
        assert canary not in dump and GH_TOKEN not in dump and "k-123456" not in dump
        assert canary not in str(bus.timeline(t)) and canary not in str(bus.pending_approvals())
        if url.startswith("sqlite"):
            bus.close()
            for f in _files(root / ".org"):
                data = f.read_bytes()
                assert canary.encode() not in data, f
                assert GH_TOKEN.encode() not in data, f


def test_canary_through_the_cli(root, tmp_path, tokens):
    from org.identity.guard import Guard

    canary = "cnry-" + uuid.uuid4().hex
    env = {"ORG_SECRET_GITHUB": canary}
    with Bus.open(root=root) as bus:
        bus.add_task("x", "change", attributes={"kind": "docs"})
        c, job_token = Guard(bus).claim(tokens["build-claude"], "builder", "build-claude")
    work = tmp_path / "work.diff"
    work.write_text(f"+ token: {canary}\n")
    outs = []
    r = org_in_process(
        "--json",
        "submit",
        str(c.job),
        "--token",
        job_token,
        "--verdict",
        "pass",
        "--note",
        f"secret {canary}",
        "--file",
        str(work),
        root=root,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    outs.append(r.stdout + r.stderr)
    r = org_in_process("pause", "--all", "--as", "alice", "--note", f"{canary} leaked", root=root, env=env)
    assert r.returncode == 0, r.stderr
    outs.append(r.stdout + r.stderr)
    assert all(canary not in o for o in outs)
    for f in _files(root / ".org"):
        assert canary.encode() not in f.read_bytes(), f
