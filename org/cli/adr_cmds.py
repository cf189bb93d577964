"""org adr new|list|show|accept|reject|deprecate|supersede|search|relevant|check: the ADR commands."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from org.cli._common import JsonFlag, SetOpt, emit, err, opts, parse_sets
from org.cli._globals import sub_app

__all__ = ["register", "adr_app"]

adr_app = sub_app(
    "adr", "Architecture decision records: write, accept, supersede, search; the ground truth gates check."
)

NumberArg = Annotated[
    str, typer.Argument(metavar="N", help="ADR number: 7, 0007 or ADR-0007.", show_default=False)
]
StatusOpt = Annotated[str | None, typer.Option("--status", help="Only ADRs with this status.")]
TagOpt = Annotated[str | None, typer.Option("--tag", help="Only ADRs with this tag.")]


def register(app: typer.Typer) -> None:
    app.add_typer(adr_app, name="adr")


def _root():
    return opts().org_root()


def _cfg_or_none(root):
    """The org's config when it loads (to check ADR references and attributes), else None."""
    from org.config.loader import load_org
    from org.errors import ConfigError

    try:
        return load_org(root)
    except ConfigError:
        err(
            "org: warning: the org's configuration does not load; ADR references to rules and gates are not checked"
        )
        return None


def _status(status: str | None) -> str | None:
    from org.adrs.model import STATUSES
    from org.errors import UsageError

    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown status '{status}' (one of: {', '.join(STATUSES)})")
    return status


def _line(a: dict) -> str:
    tags = f"  [{', '.join(a['tags'])}]" if a["tags"] else ""
    return f"{a['number']:04d}  {a['status']:<10}  {a['date']}  {a['title']}{tags}"


@adr_app.command("new")
def new(
    title: Annotated[
        str, typer.Argument(help="The decision's title, e.g. 'Host configuration only through the pipeline'.")
    ],
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag (repeatable).")] = None,
    json_: JsonFlag = False,
) -> None:
    """Write a new ADR (status proposed) from the template with the next number."""
    from org.adrs.lifecycle import new_adr

    opts(json_)
    a = new_adr(_root(), title, tags=tag or [])
    emit(
        {"ok": True, "adr": a.to_json(), "path": a.rel},
        f"created {a.rel} ({a.label}, proposed)\nnext: write it, then 'org adr accept {a.number}'",
    )


@adr_app.command("list")
def list_(status: StatusOpt = None, tag: TagOpt = None, json_: JsonFlag = False) -> None:
    """List ADRs by number (filter by status and tag)."""
    from org.adrs.index import AdrIndex

    opts(json_)
    with AdrIndex(_root()) as idx:
        idx.sync()
        rows = idx.rows(status=_status(status), tag=tag)
        problems = idx.problems()
    for name, problem in problems:
        err(f"org: warning: adrs/{name} is not listed: {problem}")
    emit(
        {"ok": True, "adrs": rows, "problems": [{"file": f"adrs/{n}", "problem": p} for n, p in problems]},
        lambda: (
            "\n".join(_line(r) for r in rows) if rows else "no ADRs" + (" match" if status or tag else " yet")
        ),
    )


@adr_app.command("show")
def show(number: NumberArg, json_: JsonFlag = False) -> None:
    """Show one ADR: its front matter, links and text."""
    from org.adrs.lifecycle import get_adr, parse_number
    from org.adrs.links import successor
    from org.adrs.parse import load_adrs

    opts(json_)
    n = parse_number(number)
    adrs = load_adrs(_root())
    a = get_adr(adrs, n)
    now = successor(adrs, n)
    data = {"ok": True, "adr": {**a.to_json(body=True), "current": now}}

    def human() -> str:
        m = a.meta
        head = [
            f"{a.label}: {a.title}",
            f"  status   {m.status}"
            + (
                f" (superseded by {m.superseded_by}"
                + (f"; now {now}" if now and now != m.superseded_by else "")
                + ")"
                if m.superseded_by
                else ""
            ),
            f"  date     {m.date.isoformat()}",
            f"  file     {a.rel}",
        ]
        for key in ("deciders", "tags", "supersedes", "rules", "gates", "paths"):
            vals = getattr(m, key)
            if vals:
                head.append(f"  {key:<8} {', '.join(str(v) for v in vals)}")
        for i, c in enumerate(m.constraints):
            from org.adrs.constraints import describe

            head.append(
                f"  must     {c.id}: {c.text} (where {describe(c.when)}: {describe(c.require)}"
                + (f"; {c.rule}" if c.rule else "")
                + f") {a.where('constraints', i)}"
            )
        return "\n".join(head) + "\n\n" + a.body.strip()

    emit(data, human)


YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do it without asking (scripts; no terminal to ask).")
]


def _confirm(what: str, yes: bool) -> None:
    """Destructive ADR commands (reject, deprecate, supersede) ask first; without a terminal they need --yes."""
    from org.errors import UsageError

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{what}: pass --yes to confirm (there is no terminal to ask); nothing was changed")
    if not typer.confirm(f"{what}?", default=False, err=True):
        raise UsageError("not confirmed; nothing was changed")


def _set_status(number: str, status: str, json_: bool, yes: bool = True) -> None:
    from org.adrs.lifecycle import parse_number, set_status

    opts(json_)
    if status != "accepted":
        _confirm(f"Mark ADR {parse_number(number):04d} {status} (it will no longer bind work)", yes)
    root = _root()
    a, changed = set_status(root, parse_number(number), status, _cfg_or_none(root))
    emit(
        {"ok": True, "adr": a.to_json(), "changed": changed},
        f"{a.label} '{a.title}' is {status}" + ("" if changed else " (it already was)"),
    )


@adr_app.command("accept")
def accept(number: NumberArg, json_: JsonFlag = False) -> None:
    """Accept a proposed ADR: from now on it binds work (refused if it contradicts an accepted one)."""
    _set_status(number, "accepted", json_)


@adr_app.command("reject")
def reject(number: NumberArg, yes: YesOpt = False, json_: JsonFlag = False) -> None:
    """Reject a proposed ADR (asks first unless --yes)."""
    _set_status(number, "rejected", json_, yes)


@adr_app.command("deprecate")
def deprecate(number: NumberArg, yes: YesOpt = False, json_: JsonFlag = False) -> None:
    """Deprecate an accepted ADR that no longer applies (to replace it, use supersede; asks first unless --yes)."""
    _set_status(number, "deprecated", json_, yes)


@adr_app.command("supersede")
def supersede(
    number: NumberArg,
    by: Annotated[
        str, typer.Option("--by", help="The ADR that replaces it (becomes accepted).", show_default=False)
    ],
    yes: YesOpt = False,
    json_: JsonFlag = False,
) -> None:
    """Replace ADR N by ADR M: writes both links, N becomes superseded and M accepted (asks first unless --yes)."""
    from org.adrs.lifecycle import parse_number
    from org.adrs.lifecycle import supersede as do_supersede

    opts(json_)
    _confirm(
        f"Supersede ADR {parse_number(number):04d} by ADR {parse_number(by):04d} (ADR {parse_number(number):04d} "
        f"will no longer bind work; ADR {parse_number(by):04d} becomes accepted)",
        yes,
    )
    root = _root()
    old, new_, changed = do_supersede(root, parse_number(number), parse_number(by), _cfg_or_none(root))
    emit(
        {"ok": True, "superseded": old.to_json(), "by": new_.to_json(), "changed": changed},
        f"{old.label} '{old.title}' is superseded by {new_.label} '{new_.title}' (accepted)"
        + ("" if changed else " (it already was)"),
    )


@adr_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to find (all must match); FTS5 syntax also works.")],
    status: StatusOpt = None,
    tag: TagOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many results.")] = 10,
    json_: JsonFlag = False,
) -> None:
    """Full-text search over ADRs, best match first (SQLite FTS5, bm25)."""
    from org.adrs.index import AdrIndex

    opts(json_)
    with AdrIndex(_root()) as idx:
        idx.sync()
        hits = idx.search(query, status=_status(status), tag=tag, limit=limit)
    emit(
        {"ok": True, "query": query, "results": [h.to_json() for h in hits]},
        lambda: (
            "\n".join(
                f"{h.number:04d}  {h.status:<10}  {h.score:6.2f}  {h.title}\n        {h.snippet}"
                for h in hits
            )
            or f"no ADR matches '{query}'"
        ),
    )


@adr_app.command("relevant")
def relevant(
    tag: Annotated[list[str] | None, typer.Option("--tag", help="The work's tags (repeatable).")] = None,
    path: Annotated[
        list[str] | None, typer.Option("--path", help="Files the work touches (repeatable).")
    ] = None,
    text: Annotated[str, typer.Option("--text", help="What the work is about.")] = "",
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="At most this many ADRs.")] = 5,
    json_: JsonFlag = False,
) -> None:
    """The accepted ADRs an agent gets with this work, ranked, and the prompt text it sees."""
    from org.adrs.context import relevant_adrs, render_for_prompt

    opts(json_)
    refs = relevant_adrs(_root(), tags=tag or [], paths=path or [], text=text, limit=limit)
    prompt = render_for_prompt(refs)
    emit(
        {"ok": True, "adrs": [r.to_json() for r in refs], "prompt": prompt},
        lambda: (
            "\n".join(f"{r.id}  {r.score:5.2f}  {r.title}  ({r.why})" for r in refs)
            + ("\n\n" + prompt if refs else "")
            if refs
            else "no accepted ADR is relevant"
        ),
    )


@adr_app.command("check")
def check(sets: SetOpt = None, json_: JsonFlag = False) -> None:
    """Dry run of the ADR check gates make: would work with these attributes contradict an accepted ADR?
    Exits 0 when it holds, 4 when it contradicts one."""
    from org.adrs.check import make_extra_check

    o = opts(json_)
    attrs = parse_sets(sets)
    chk = make_extra_check(_root())
    violations = chk.check(attrs) if chk else []
    relied = chk.applicable(attrs) if chk else []
    emit(
        {
            "ok": not violations,
            "attributes": attrs,
            "violations": [v.__dict__ for v in violations],
            "relied_on": [f"ADR-{n:04d}" for n in relied],
        },
        lambda: (
            "\n".join(f"FAIL {v.rule} at {v.source}: {v.reason}" for v in violations)
            or (
                "ok: holds " + ", ".join(f"ADR-{n:04d}" for n in relied)
                if relied
                else "ok: no accepted ADR constrains this work"
            )
        ),
    )
    if violations:
        if not o.json:
            err("org: contradicts an accepted ADR")
        raise typer.Exit(4)
