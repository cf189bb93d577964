"""The store: a locked SQLite database is waited out (never shown to a user); a lock held past the retry
budget is a clean 'retry later' (exit 7); pinned configs load from their stored text."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from org.bus import Bus, BusBusy
from org.config.loader import load_org, load_org_from_texts


def test_locked_database_is_waited_out(sbus, root):
    db = root / ".org" / "org.db"
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE bus_meta SET value = value WHERE key = 'created_at'")
    release = threading.Timer(0.6, holder.execute, args=("COMMIT",))
    # t0 before the timer starts: it commits 0.6 s after t0 at the earliest, however loaded the machine
    t0 = time.monotonic()
    release.start()
    t = sbus.add_task("waits for the lock", "change")
    assert t["created"] and time.monotonic() - t0 >= 0.6
    release.join()
    holder.close()


def test_lock_held_too_long_is_a_clean_retry_later(root):
    with Bus.open(root=root, retry_seconds=0.3) as bus:
        holder = sqlite3.connect(root / ".org" / "org.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(BusBusy) as exc:
                bus.add_task("x", "change")
            assert exc.value.exit_code == 7 and "stayed locked" in exc.value.message
            assert "Nothing was changed" in exc.value.message
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert bus.list_tasks() == []


def test_load_org_from_texts_matches_disk(repo):
    cfg = load_org(repo)
    again = load_org_from_texts(cfg.files, repo)
    assert again.config_hash == cfg.config_hash
    assert again.sources == cfg.sources and list(again.actors) == list(cfg.actors)
    broken = dict(cfg.files)
    broken["gates/change.yaml"] = broken["gates/change.yaml"].replace("kind: review", "kind: reveiw", 1)
    from org.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        load_org_from_texts(broken, repo)
    assert any(p.file == "gates/change.yaml" and p.line > 0 for p in exc.value.problems)
