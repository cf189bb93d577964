"""A task's attributes, approvals and authors from the bus, for `org explain --task` (a dry run)."""

from __future__ import annotations

__all__ = ["lookup"]


def lookup(opts, cfg, task: str, action: str | None = None) -> tuple[dict, list[str], list[str]]:
    """(attributes, approvers, authors) of TASK now. Approvers are the humans whose approval counts on the
    task's current revision: approval gates for any action, plus action requests granted for `action`
    (for any action when None, so a dry run without an action can over-approximate)."""
    from org.bus import Bus
    from org.bus.context import task_key
    from org.bus.decisions import approvers_for

    with Bus.open(opts.db, root=opts.org_root(), config=cfg) as bus:
        key = task_key(task)
        ctx = bus.ctx

        def fn(tx):
            row = ctx.task_row(tx, key)
            pcfg = ctx.pinned(tx, row.config_hash)
            st = ctx.state(tx, row)
            people, _ = approvers_for(tx, pcfg, st, action)
            return dict(st.attributes), people, sorted(st.authors)

        return bus.store.read(fn)
