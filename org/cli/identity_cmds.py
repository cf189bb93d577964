"""org token issue|revoke|list, org credential use and org broker serve|status: tokens and the credential broker."""

from __future__ import annotations

import os
import re
import sys
import time
from typing import Annotated

import typer

from org.cli._common import ActTokenOpt, DeprecatedBy, JsonFlag, TokenOpt, emit, opts, token_option
from org.cli._globals import deprecated_by, sub_app

__all__ = ["register"]

token_app = sub_app("token", "Issue, revoke and list principals' tokens.")
cred_app = sub_app("credential", "Use a credential by name through the broker.")
broker_app = sub_app("broker", "The credential broker: the one process that holds secrets.")

AsOpt = Annotated[
    str | None, typer.Option("--as", help="The human doing this (their own token file is used).")
]
_TTL = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
    app.add_typer(cred_app, name="credential")
    app.add_typer(broker_app, name="broker")


def _ttl(s: str | None) -> float | None:
    from org.errors import UsageError

    if s is None:
        return None
    m = _TTL.match(s.strip().lower())
    if not m:
        raise UsageError(f"--ttl is a duration like 3600, 45m, 12h or 30d, not '{s}'")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "never"


def _open():
    from org.cli.bus_cmds import open_door

    return open_door(opts())


@token_app.command("issue")
def issue(
    for_: Annotated[
        str | None, typer.Option("--for", help="The actor the token speaks for (default: yourself, --as).")
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option(
            "--as", help="The human issuing it (their own token file is used); alone: renew your own."
        ),
    ] = None,
    ttl: Annotated[
        str | None, typer.Option("--ttl", help="Lifetime, e.g. 3600, 45m, 12h, 30d (default: none).")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", hidden=True, help="Deprecated: --as ISSUER --for SUBJECT.")
    ] = None,
    token: TokenOpt = None,
    show: Annotated[
        bool,
        typer.Option(
            "--show",
            help="Also print your own token once (another human's is always printed, never saved here).",
        ),
    ] = False,
    note: Annotated[str, typer.Option("--note", help="What the token is for (kept with it).")] = "",
    json_: JsonFlag = False,
) -> None:
    """Create a token for an actor (--for); the secret is shown once. Your own (--as X alone) is saved to the
    token file your commands on this machine read (0600; printed too with --show). Another human's (--for THEM
    --as YOU) is never saved to your files: it is printed once, for them to save on their own account with
    'org token save --as THEM'. Needs a human's token (--as HUMAN, their own file), except on an org's first
    use, when every human's file is made (ADR 0058)."""
    from org.errors import UsageError
    from org.identity import files
    from org.identity.bootstrap import first_use_tokens

    opts(json_)
    if by is not None:  # the old form: --as SUBJECT --by ISSUER (kept one release)
        from org.cli._common import err

        if for_ is not None:
            raise UsageError("--by is the old name of the issuer (--as); with --for, give the issuer as --as")
        err(
            f"org: 'org token issue --as {as_} --by {by}' is deprecated; use 'org token issue --for {as_} --as {by}'"
        )
        for_, as_ = as_, by
    if for_ is None and as_ is None:
        raise UsageError(
            "give --for ACTOR (whose token) and --as HUMAN (who issues it), or --as HUMAN alone to "
            "renew your own"
        )
    by, subject = (as_, for_) if for_ is not None else (None, as_)  # below: as_ the subject, by the issuer
    if subject is None:
        raise UsageError("give --for ACTOR (whose token)")
    as_ = subject
    g = _open()
    with g:
        cfg = g.config(required=True)
        subject = cfg.actors.get(as_)
        human = subject is not None and subject.is_human
        info = None
        issuer = None
        if human and not token and by is None:
            by = as_  # a human renews their own token with their own file
            first = {m["principal"]: m for m in first_use_tokens(g) if m["issued"]}
            if as_ in first:  # trust on first use: the org's humans got their own files just now
                issuer = as_
                info = {
                    "id": first[as_]["id"],
                    "principal": as_,
                    "kind": "human",
                    "expires_at": None,
                    "first_use": True,
                    "token": files.read_human_token(g.root, as_, g.tokens.db()),
                }
        if info is None:
            info = g.issue_token(token, as_, as_=by, ttl=_ttl(ttl), note=note)
            issuer = info.pop("issuer")
        db = g.tokens.db()
    own = human and issuer == as_  # only a human's own token goes into the files of the account running this
    out = {"ok": True, **info}
    if own:
        out["token_file"] = str(files.write_human_token(g.root, as_, info["token"], db))
        if not show:
            out.pop("token")
    elif human:
        out["save_with"] = f"org token save --as {as_}"

    def text() -> str:
        lines = [f"token {info['id']} for {as_} ({info['kind']}), expires {_when(info['expires_at'])}"]
        if own:
            lines.append(
                f"  saved to {out['token_file']} (owner-only): {as_}'s commands on this machine read it"
            )
        if "token" in out:
            lines.append(f"  {info['token']}")
            lines.append(
                "  shown once: only its hash is kept. "
                + (
                    f"It was not saved here (it is {as_}'s, not yours): hand it to {as_}, who saves it on their own "
                    f"account with 'org token save --as {as_}' (pasting it on stdin), or sets ORG_TOKEN."
                    if human and not own
                    else f"Hand it to {as_}, who saves it with 'org token save --as {as_}' (or sets ORG_TOKEN)."
                    if human
                    else "Give it to the agent as ORG_TOKEN."
                )
            )
        return "\n".join(lines)

    emit(out, text)


@token_app.command("save")
def save(
    as_: Annotated[str, typer.Option("--as", help="The human the token speaks for.")],
    token: Annotated[
        str | None, token_option("The token (default: $ORG_TOKEN, else one line read from stdin).")
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Save a human's token (handed over from 'org token issue --for YOU --as THEM') to their own token file (0600), after
    checking that it authenticates as that human."""
    from org.errors import UsageError
    from org.identity import files

    opts(json_)
    if not token:
        token = sys.stdin.readline().strip()
    if not token:
        raise UsageError("give the token with --token, ORG_TOKEN or on stdin")
    g = _open()
    with g:
        p = g.principal(token, as_=as_, command="token save", human=True)
        db = g.tokens.db()
    path = files.write_human_token(g.root, p.actor, token, db)
    emit(
        {"ok": True, "principal": p.actor, "id": p.token_id, "token_file": str(path)},
        f"token {p.token_id} saved to {path} (owner-only): {p.actor}'s commands on this machine read it",
    )


@token_app.command("revoke")
def revoke(
    token_id: Annotated[str | None, typer.Argument(help="The token's id (from 'org token list').")] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Revoke every live token of this actor.")
    ] = None,
    as_: AsOpt = None,
    token: TokenOpt = None,
    by: DeprecatedBy = None,
    json_: JsonFlag = False,
) -> None:
    """Revoke a token now (every command refuses it from the next call). Humans may revoke any; anyone their own."""
    opts(json_)
    with _open() as g:
        ids = g.revoke_tokens(
            token, token_id=token_id, actor=actor, as_=deprecated_by(as_, by, "token revoke")
        )
    emit(
        {"ok": True, "revoked": ids}, f"revoked {len(ids)} token(s)" + (f": {', '.join(ids)}" if ids else "")
    )


@token_app.command("list")
def list_(
    actor: Annotated[str | None, typer.Option("--actor", help="Only this actor's tokens.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include revoked and expired tokens.")] = False,
    jobs: Annotated[bool, typer.Option("--jobs", help="Include job tokens.")] = False,
    as_: AsOpt = None,
    token: TokenOpt = None,
    by: DeprecatedBy = None,
    json_: JsonFlag = False,
) -> None:
    """Every principal of the org with its tokens (ids, never secrets). Needs a human's token."""
    opts(json_)
    with _open() as g:
        listed = g.list_tokens(
            token, actor=actor, active_only=not all_, as_=deprecated_by(as_, by, "token list")
        )
        cfg = g.config(required=True)
    rows = [r for r in listed if jobs or r["kind"] == "principal"]
    principals = [
        {
            "principal": a.id,
            "kind": a.kind,
            "lane": a.lane,
            "tokens": [r for r in rows if r["principal"] == a.id],
        }
        for a in sorted(cfg.actors.values(), key=lambda a: (a.lane, a.id))
        if actor in (None, a.id)
    ]

    def human() -> str:
        lines = []
        for pr in principals:
            live = [t for t in pr["tokens"] if t["status"] == "active"]
            lines.append(f"{pr['principal']:<14} {pr['kind']:<6} {pr['lane']:<10} {len(live)} live token(s)")
            for t in pr["tokens"]:
                lines.append(
                    f"    {t['id']}  {t['kind']:<9} {t['status']:<8} expires {_when(t['expires_at'])}"
                    + (f"  job {t['job']} ({t['task']} {t['gate']})" if t["kind"] == "job" else "")
                )
        return "\n".join(lines)

    emit({"ok": True, "principals": principals}, human)


@cred_app.command("use")
def use(
    credential: Annotated[str, typer.Argument(help="The credential's name, e.g. github.")],
    service: Annotated[str, typer.Option("--service", help="The service the call is for.")],
    task: Annotated[str, typer.Option("--task", help="The task the call belongs to.")],
    as_: Annotated[str | None, typer.Option("--as", help="Who asks (the token's principal).")] = None,
    method: Annotated[str, typer.Option("--method", help="HTTP method of the call.")] = "GET",
    path: Annotated[str, typer.Option("--path", help="Path on the service, e.g. /repos/x/pulls.")] = "/",
    data: Annotated[str | None, typer.Option("--data", help="Request body.")] = None,
    token: ActTokenOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Have the broker call SERVICE with CREDENTIAL (decide() first; you never see the secret).
    Needs a running broker ('org broker serve'). Exit 0 called, 4 refused, 6 needs a human's approval,
    7 the broker or the service did not answer."""
    from org.identity import files
    from org.identity.brokerclient import call

    o = opts(json_)
    if not token and as_:
        with _open() as g:
            db = g.tokens.db()
        token = files.read_human_token(
            o.org_root(), as_, db
        )  # a human's own file, read here, never by the broker
    req = {
        "op": "use",
        "token": token,
        "credential": credential,
        "service": service,
        "task": task,
        "as": as_,
        "method": method,
        "path": path,
        "body": data,
    }
    r = call(o.org_root(), o.db_url(), req, timeout=60.0)
    emit(r, lambda: f"{r['method']} {r['service']}{r['path']} -> {r['status']}\n{r['body']}")


@broker_app.command("serve")
def serve(
    socket_: Annotated[
        str | None, typer.Option("--socket", help="Socket path (default: the org's own, under .org/).")
    ] = None,
    allow_uid: Annotated[
        list[int] | None,
        typer.Option(
            "--allow-uid", help="Also answer this OS user (when the broker runs as its own user; repeatable)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No start-up line on stderr.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Serve the org's credential broker until stopped (SIGTERM or Ctrl-C). Start it where the secrets are
    (the credentials' environment variables or files); agents and 'org credential use' only talk to it."""
    from pathlib import Path

    from org.cli._common import err, load_config
    from org.identity.brokerd import BrokerDaemon

    o = opts(json_)
    root = o.org_root()
    cfg = load_config(root)
    d = BrokerDaemon(
        root,
        o.db_url(),
        cfg,
        socket_file=Path(socket_).expanduser() if socket_ else None,
        allow_uids=tuple(allow_uid or ()),
    )
    d.bind()
    have = sorted(
        n
        for n, spec in cfg.credentials.items()
        if d.secrets.env is not None and (spec.env in d.secrets.env if spec.env else spec.file is not None)
    )

    def ready() -> None:
        emit(
            {"ok": True, "pid": d.status()["pid"], "socket": str(d.path), "credentials": have},
            "" if quiet else None,
        )
        if not quiet and not o.json:
            err(
                f"org broker: serving {root} on {d.path} (pid {d.status()['pid']}); credentials with a secret "
                f"source here: {', '.join(have) or 'none'}. Ctrl-C stops."
            )
        sys.stdout.flush()

    d.serve(on_ready=ready)
    from org import telemetry

    telemetry.close()  # its decisions' last spans (a no-op unless an OTLP endpoint is set)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the socket is gone and the connections are closed: skip the interpreter's slow teardown


@broker_app.command("status")
def status(json_: JsonFlag = False) -> None:
    """Is a broker serving this org? Its pid, socket and counters (exit 7 when none is running)."""
    from org.identity.brokerclient import call

    o = opts(json_)
    r = call(o.org_root(), o.db_url(), {"op": "ping"}, timeout=5.0)
    emit(
        {"ok": True, **r},
        lambda: (
            f"broker pid {r['pid']} on {r['socket']}: {r['requests']} request(s), "
            f"{r['uses']} use(s), {r['refusals']} refusal(s), "
            f"{r['secrets_resolved']} secret read(s)"
        ),
    )
