"""org init, validate, graph, explain, schema: the commands that read the org's configuration."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Annotated

import typer

from org.cli._common import JsonFlag, SetOpt, emit, err, opts, parse_sets, token_option

__all__ = ["register"]

# explain --task and config show --task read a task as its caller
TaskTokenOpt = Annotated[
    str | None,
    token_option("With --task: your token to read the task (default: $ORG_TOKEN; a human's own token file)."),
]


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("validate")(validate)
    app.command("graph")(graph)
    app.command("explain")(explain)
    app.command("schema")(schema)
    app.command("doctor")(doctor)
    from org.cli._globals import sub_app

    config_app = sub_app("config", "The org's resolved policy: every value with its layer and FILE:LINE.")
    config_app.command("show")(config_show)
    app.add_typer(config_app, name="config")


def default_org_dir() -> Path:
    """The starter org `org init` copies: package data (org/defaults/), so it ships in the wheel. The
    repository's own lanes/, gates/ and adrs/ are the project's org, not a user's."""
    here = Path(__file__).resolve().parents[1] / "defaults"
    if (here / "lanes").is_dir() and (here / "gates").is_dir():
        return here
    from org.errors import OrgError

    raise OrgError(f"the starter org is missing from this installation ({here}); reinstall org")


def init(
    path: Annotated[Path, typer.Argument(help="Folder to create the org in.")] = Path("."),
    json_: JsonFlag = False,
) -> None:
    """Create an org (lanes/, gates/, adrs/) from the shipped defaults, ready to validate."""
    from org.errors import Conflict

    opts(json_)
    src = default_org_dir()
    dest = path.expanduser().resolve()
    existing = [d for d in ("lanes", "gates") if (dest / d).exists()]
    if existing:
        raise Conflict(f"{dest} already holds {' and '.join(d + '/' for d in existing)}; nothing was changed")
    dest.mkdir(parents=True, exist_ok=True)
    created = []
    for d in ("lanes", "gates", "adrs"):
        if (src / d).is_dir() and not (dest / d).exists():
            shutil.copytree(src / d, dest / d, ignore=shutil.ignore_patterns("__pycache__", ".index*"))
            created.append(d)
    hooks = []
    try:  # identity adds principals/tokens here, once it exists
        init_hooks = importlib.import_module("org.cli._init_hooks")
    except ModuleNotFoundError as exc:
        if exc.name != "org.cli._init_hooks":
            raise
    else:
        hooks = init_hooks.run(dest)
    made = [
        f"{h['principal']}'s token in {h['token_file']} (owner-only)"
        if h.get("issued")
        else f"{h['principal']}: no token made (the database already has tokens; another human issues one)"
        for h in hooks
        if h.get("kind") == "human_token" and h.get("status") != "ok"
    ]
    emit(
        {"ok": True, "root": str(dest), "created": created, "extra": hooks},
        f"created an org in {dest}: {', '.join(d + '/' for d in created)}"
        + ("".join(f"\n  {m}" for m in made))
        + f"\nnext: cd {dest} && org validate",
    )


def validate(json_: JsonFlag = False) -> None:
    """Load the org and prove it: strict schema, references, no bypass, no exemptions, quorums, ADRs."""
    from org.errors import ConfigError
    from org.validate import validate_root

    o = opts(json_)
    root = o.org_root()
    cfg, problems = validate_root(root)
    if problems:
        raise ConfigError(problems)
    from org.agents.clis.presence import describe, runtime_problems
    from org.engine.proofs import advice

    warnings = advice(cfg)
    runtimes = runtime_problems(cfg)  # each CLI member's CLI: installed here, a version its adapter knows
    if not o.json:
        for w in warnings:
            err(f"warning: {w}")
        for r in runtimes:
            if r["problem"] or r["warning"]:
                err(f"warning: {describe(r)}")
    tiers = [t.id for t in cfg.risk.tiers]
    summary = {
        "ok": True,
        "warnings": [w.to_json() for w in warnings],
        "runtimes": runtimes,
        "root": str(root),
        "config_hash": cfg.config_hash,
        "lanes": sorted(cfg.lanes),
        "actors": len(cfg.actors),
        "workflows": sorted(cfg.workflows),
        "rules": [r.spec.id for r in cfg.rules],
        "tiers": tiers,
        "proofs": [
            "schema",
            "references",
            "no-exemptions",
            "no-bypass",
            "content-binding",
            "gate-actions",
            "tier-controls",
            "human-approvals",
            "cross-vendor-quorums",
            "bounded-rework",
            "reachability",
            "adrs",
        ],
    }
    emit(
        summary,
        lambda: (
            f"ok: {len(cfg.lanes)} lanes, {len(cfg.actors)} actors, {len(cfg.workflows)} workflows, "
            f"{len(cfg.rules)} rules, tiers {'/'.join(tiers)} (config {cfg.config_hash})\n"
            f"proved: no bypass at any tier, done only on the revision every control passed, every gate's holder "
            f"may take its action, no exemptions, approvals held by humans, cross-vendor quorums "
            f"satisfiable, rework bounded, every gate reachable and leading to done"
        ),
    )


def graph(
    workflow: Annotated[str | None, typer.Argument(help="Workflow to draw (default: all).")] = None,
    tier: Annotated[str | None, typer.Option("--tier", help="Show the plan for this risk tier.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="text, mermaid or dot.")] = "text",
    json_: JsonFlag = False,
) -> None:
    """Draw a workflow's gate graph, per tier: required, skipped, joins and rework edges."""
    from org.cli._common import load_config
    from org.engine.render import render_graph
    from org.errors import NotFound, UsageError

    o = opts(json_)
    cfg = load_config(o.org_root())
    if fmt not in ("text", "mermaid", "dot"):
        raise UsageError(f"--format is text, mermaid or dot, not '{fmt}'")
    names = [workflow] if workflow else sorted(cfg.workflows)
    for n in names:
        if n not in cfg.workflows:
            raise NotFound(f"no workflow '{n}' (workflows: {', '.join(sorted(cfg.workflows))})")
    tiers = [t.id for t in cfg.risk.tiers]
    if tier is not None and tier not in tiers:
        raise UsageError(f"unknown tier '{tier}' (tiers: {', '.join(tiers)})")
    out = {n: render_graph(cfg, n, tier, fmt) for n in names}
    emit({"ok": True, "format": fmt, "tier": tier, "graphs": out}, "\n".join(out.values()))


def explain(
    action: Annotated[str, typer.Argument(help="The action, e.g. credential.use or deploy.production.")],
    as_: Annotated[str, typer.Option("--as", help="The actor asking.")],
    task: Annotated[
        str | None, typer.Option("--task", help="Task whose attributes and approvals apply.")
    ] = None,
    sets: SetOpt = None,
    token: TaskTokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Dry-run decide(): would ACTOR be allowed ACTION? Exits 0 allow, 4 deny, 6 needs approval.
    With --task, exactly what `org act` would answer on the task (its pinned policy, approvals, rejections
    and pauses), run by act's own code and rolled back, read with your token."""
    from org.cli._common import load_config
    from org.engine.attributes import require_attributes
    from org.engine.policy import compile_policy, decide_within

    o = opts(json_)
    cfg = load_config(o.org_root())
    attrs = parse_sets(sets)
    if task:
        try:  # the bus runs act's own code for the task, in a transaction it rolls back
            task_context = importlib.import_module("org.cli._task_context")
        except ModuleNotFoundError as exc:
            if exc.name != "org.cli._task_context":
                raise
            from org.errors import UsageError

            raise UsageError(
                "--task needs the work bus, which is not installed here; pass the task's "
                "attributes with --set instead"
            )
        acted = task_context.rehearse(o, cfg, task, action, as_, attrs, token)
        out = dict(acted["decision"], exit_code=acted["exit_code"], task=acted["task"])
    else:
        # as `act` reads them (ADR 0071): org's own facts are not the asker's to state, the rest can only tighten
        own = compile_policy(cfg).org_facts
        d, _ = decide_within(
            cfg, as_, action, {}, require_attributes(cfg, {k: v for k, v in attrs.items() if k not in own})
        )
        out = dict(d.to_json(), exit_code=d.exit_code)
        from org.config.provenance import policy_source

        out["policy_source"] = policy_source(cfg)

    def human() -> str:
        lines = [f"{out['outcome'].upper()}: {as_} -> {action}", f"  {out['reason']}"]
        for r in out["rules"]:
            lines.append(
                f"  rule {r['id']} ({r['effect']}) at {r['source'] or 'built in'}: {r['reason']}"
                + (f" [ADR {r['adr']:04d}]" if r.get("adr") else "")
            )
        source = out.get("policy_source") or {}
        lines.append(f"  policy {out['config_hash']} (layers: {', '.join(source.get('layers') or ['org'])})")
        for path, where in (source.get("values") or {}).items():
            lines.append(f"    {path} from {where}")
        return "\n".join(lines)

    emit(out, human)
    if out["exit_code"]:
        if not o.json:
            err(f"org: {out['outcome'].replace('_', ' ')}")
        raise typer.Exit(out["exit_code"])


def schema(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write the *.schema.json files to "
            "(default: ./schemas; with --json only when given).",
        ),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Export JSON Schemas of lane, workflow, rules, risk and credentials YAML for editors."""
    import json

    from org.config.schema import editor_settings, schemas
    from org.errors import OrgError

    o = opts(json_)
    docs = schemas()
    written: list[str] = []
    folder = out if out is not None else (None if o.json else Path("schemas"))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, doc in docs.items():
            (folder / name).write_text(json.dumps(doc, indent=2) + "\n")
            written.append(str(folder / name))
    try:
        root = o.org_root()
    except OrgError:  # no org here: the shipped workflow file names
        root = None
    settings = editor_settings(str(folder or "schemas"), root)
    emit(
        {"ok": True, "schemas": docs, "written": written, "editor_settings": settings},
        lambda: "\n".join(
            [f"wrote {w}" for w in written]
            + [
                "",
                "editor setup (YAML language server, e.g. VS Code settings.json):",
                json.dumps(settings, indent=2),
            ]
        ),
    )


def config_show(
    repo: Annotated[
        str | None,
        typer.Option("--repo", help="Apply this repository's .org/policy.yaml (its target branch)."),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option("--task", help="The cascade task T pinned, beside today's where they differ."),
    ] = None,
    layers: Annotated[bool, typer.Option("--layers", help="What every layer said about each value.")] = False,
    token: TaskTokenOpt = None,
    as_: Annotated[str | None, typer.Option("--as", help="Who reads (with --task).")] = None,
    json_: JsonFlag = False,
) -> None:
    """Every resolved value of the policy with its layer (org, repo, task) and FILE:LINE, like
    `git config --show-origin`. A loosening layer is exit 2 with its FILE:LINE."""
    from org.cli._common import load_config
    from org.config.cascade import layer_files, resolve_files
    from org.config.provenance import differences, values

    o = opts(json_)
    root = o.org_root()
    today = load_config(root)
    cfg = today
    diffs: list[dict] | None = None
    if task:
        from org.cli.bus_cmds import open_door, reader_as

        with open_door(o) as door:
            who = reader_as(door, token, as_)
            row = door.task(token, task, as_=who)
            cfg = door.pinned_config(token, row["config_hash"], as_=who)
        # today's: the same lower layers applied to today's org (which may no longer admit them)
        from org.errors import ConfigError

        refused: list[str] = []
        try:
            today = resolve_files(today, {**today.files, **layer_files(cfg)})
        except ConfigError as exc:
            refused = [str(p) for p in exc.problems]
        diffs = differences(cfg, today)
    elif repo:
        from org.workspaces.policyfile import resolve_for

        cfg = resolve_for(root, today, repo)
    vals = values(cfg)
    out: dict = {
        "ok": True,
        "config_hash": cfg.config_hash,
        "layers": sorted({s.layer for v in vals for s in v.layers}, key=["org", "repo", "task"].index),
        "values": [v.to_json(with_layers=layers) for v in vals],
    }
    if task:
        out["task"] = task
        out["today_hash"] = today.config_hash
        out["differences"] = diffs
        out["today_refuses"] = refused

    def human() -> str:
        lines = []
        for v in vals:
            lines.append(f"{v.layer:<5} {v.source:<44} {v.path}={_show(v.value)}")
            if layers and len(v.layers) > 1:
                for s in v.layers[:-1]:
                    lines.append(f"  was {s.layer:<5} {s.source:<38} {_show(s.value)}")
        for p in out.get("today_refuses") or []:
            lines.append(f"today's org refuses this task's layers: {p}")
        if diffs:
            lines.append(f"pinned {cfg.config_hash} differs from today's {out['today_hash']}:")
            for d in diffs:
                p, t = d["pinned"], d["today"]
                lines.append(
                    f"  {d['path']}: pinned {_show(p['value']) if p else '(absent)'}"
                    f" ({p['source'] if p else '-'}), today {_show(t['value']) if t else '(absent)'}"
                    f" ({t['source'] if t else '-'})"
                )
        elif task:
            lines.append(f"pinned {cfg.config_hash}: the same values as today's")
        return "\n".join(lines)

    emit(out, human)


def _show(v: object) -> str:
    import json

    return v if isinstance(v, str) else json.dumps(v, default=str)


def doctor(json_: JsonFlag = False) -> None:
    """The coding CLIs org has adapters for: installed where, which version, tested versions, permission
    protocol; and, inside an org, each CLI lane member's runtime."""
    from org.agents.clis.adapters import ADAPTERS
    from org.agents.clis.presence import CLI_PATH_ENV, describe, installed, runtime_problems

    o = opts(json_)
    rows = installed()
    members: list[dict] = []
    notes: list[str] = []
    from org.errors import OrgError

    try:  # inside an org: its CLI members too; outside one (or with a config that does not load): the machine's
        from org.config.loader import load_org

        members = runtime_problems(load_org(o.org_root()))
    except OrgError as exc:
        notes.append(f"no org's members checked: {exc.message}")
    adapters = {name: cls().describe() for name, cls in ADAPTERS.items()}
    doc = {
        "ok": not any(m["problem"] for m in members),
        "search": f"{CLI_PATH_ENV}, then PATH",
        "clis": [
            {**p.to_json(), **{k: adapters[p.runtime][k] for k in ("protocol", "output", "controls")}}
            for p in rows
        ],
        "members": members,
        "notes": notes,
    }

    def text() -> str:
        lines = []
        for p in rows:
            where = f"{p.path} ({p.version or 'version unknown'})" if p.installed else "not installed"
            if p.installed:
                where += " tested" if p.known else f" NOT tested (tested: {', '.join(p.tested)})"
            lines += [f"{p.runtime:15} {where}", f"{'':15} {adapters[p.runtime]['controls']}"]
        for m in members:
            kind = "problem" if m["problem"] else "warning" if m["warning"] else ""
            lines.append(
                f"{kind}: {describe(m)}"
                if kind
                else f"ok: {m['actor']} ({m['runtime']}) at {m['presence']['path']}"
            )
        return "\n".join(lines + notes)

    emit(doc, text)
    if not doc["ok"]:
        from org.errors import UsageError

        raise UsageError("a CLI lane member's coding CLI is not installed here (see above)")
