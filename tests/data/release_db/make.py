"""Make the database a release leaves behind, for the upgrade tests (tests/bus/test_upgrade.py).

Run it with the release's own code (before a schema change, with the previous release's tree first on
PYTHONPATH), e.g.:
    git archive <release> org lanes gates | tar -x -C /tmp/rel
    PYTHONPATH=/tmp/rel python tests/data/release_db/make.py /tmp/rel OUT_DIR
It writes OUT_DIR/org.db (SQLite) and OUT_DIR/manifest.json (what the upgrade must keep: tasks, the audit
head, the tokens made with a fixed test pepper). With ORG_TEST_PG_URL set it also fills a PostgreSQL schema
and writes OUT_DIR/pg.sql (pg_dump of that schema, renamed to a placeholder). Only the bus's public API
and the identity tokens are used, so any release since schema 2 runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PEPPER = "00" * 32  # a fixed, public test pepper: these tokens guard nothing
SCHEMA_PLACEHOLDER = "org_release_before"


def fill(url: str | None, root: Path) -> dict:
    from org.bus import Bus
    from org.identity.guard import Guard
    from org.identity.tokens import Tokens

    bus = Bus.open(url, root=root)
    toks = Tokens(bus)
    made = {
        a: toks.issue(a, by="release-fixture")["token"]
        for a in ("alice", "bob", "build-claude", "ops-claude")
    }
    revoked = toks.issue("rev-gpt", by="release-fixture")
    toks.revoke(token_id=revoked["id"], by="release-fixture")
    g = Guard(bus, token_files=False)
    # a change task driven to done, reviews and a human approval included
    done = bus.add_task("Fix login", "change", by="alice", attributes={"environment": "production"})["task"]
    workers = {
        "builder": "build-claude",
        "reviewer": "rev-gpt",
        "security": "sec-gemini",
        "approver": "alice",
    }
    for _ in range(20):
        view = bus.task(done)
        queued = [j for j in view["jobs"] if j["status"] == "queued"]
        if view["status"] != "active" or not queued:
            break
        j = queued[0]
        actor = "rev-gemini" if (j["lane"], j["gate"]) == ("reviewer", "design") else workers[j["lane"]]
        c = bus.claim(j["lane"], actor)
        bus.submit(c.job, c.token, "approve" if c.kind == "approval" else "pass", content=f"work of {actor}")
    # a task in flight: its builder holds a job token
    active = bus.add_task("Fix logout", "change", by="bob")["task"]
    c, job_token = g.claim(made["build-claude"], "builder", "build-claude", lease_seconds=3600)
    # an escalated task, an action waiting for a human, usage priced and not, a pause lifted, a rate budget
    esc = bus.add_task(
        "Rotate keys",
        "ops",
        by="alice",
        attributes={"environment": "staging", "credential": "github", "service": "github"},
    )["task"]
    oc = bus.claim("operator", "ops-claude")
    bus.submit(oc.job, oc.token, "pass", content="1. rotate")
    pending = bus.act("credential.use", "ops-gpt", esc)
    bus.record_usage(
        "build-claude",
        "anthropic/claude-sonnet-4-5",
        tokens_in=100,
        tokens_out=20,
        cost_usd=0.01,
        task=active,
        lane="builder",
    )
    bus.record_usage("build-claude", "anthropic/house-model-x", tokens_in=10, lane="builder")
    bus.pause("lane", "reviewer", by="alice", note="lunch")
    bus.resume("lane", "reviewer", by="alice")
    bus.budget("anthropic", capacity=100, refill_per_s=1)
    bus.reserve("anthropic", 5)
    [plain] = bus.post_jobs("operator", [{"n": 1}], by="alice")
    rep = bus.audit_verify()
    out = {
        "tasks": {t["task"]: t["status"] for t in bus.list_tasks(limit=100)},
        "done": done,
        "active": active,
        "ops": esc,
        "approval": pending.get("approval"),
        "plain_job": plain,
        "job": c.job,
        "job_token": job_token,
        "tokens": made,
        "revoked": revoked["token"],
        "head_seq": rep.head_seq,
        "head_hash": rep.head_hash,
        "events": rep.events,
        "usage_rows": len(bus.spend("model")),
    }
    bus.close()
    return out


def main(release: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp())
    os.environ.update(ORG_CONFIG_HOME=str(home), ORG_TOKEN_PEPPER=PEPPER)
    root = home / "org"
    for d in ("lanes", "gates"):
        shutil.copytree(release / d, root / d)
    manifest = {"pepper": PEPPER, "sqlite": fill(None, root)}
    shutil.copy(root / ".org" / "org.db", out_dir / "org.db")
    pg = os.environ.get("ORG_TEST_PG_URL")
    if pg:
        import sqlalchemy as sa

        eng = sa.create_engine(pg.replace("postgresql://", "postgresql+psycopg://"))
        with eng.begin() as con:
            con.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA_PLACEHOLDER} CASCADE")
            con.exec_driver_sql(f"CREATE SCHEMA {SCHEMA_PLACEHOLDER}")
        sep = "&" if "?" in pg else "?"
        manifest["postgresql"] = fill(f"{pg}{sep}options=-csearch_path%3D{SCHEMA_PLACEHOLDER}", root)
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", "--inserts", "-n", SCHEMA_PLACEHOLDER, pg],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # plain SQL only (no psql meta-commands), so a test loads it through the driver
        (out_dir / "pg.sql").write_text(
            "".join(ln for ln in dump.splitlines(True) if not ln.startswith("\\"))
        )
        with eng.begin() as con:
            con.exec_driver_sql(f"DROP SCHEMA {SCHEMA_PLACEHOLDER} CASCADE")
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(home)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
