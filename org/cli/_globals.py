"""The global options (`--root`, `--db`, `--json`, `--as`) accepted before or after any command, in one place."""

from __future__ import annotations

import copy
import functools
from typing import Any

__all__ = ["install_globals", "deprecated_by", "check_db", "sub_app"]


def sub_app(name: str, help: str, *, no_args_is_help: bool = True, **kw: Any) -> Any:
    """A command group of `org` (`org task`, `org token`, ...) with the settings every group shares: plain help
    text, no shell-completion commands, its help when given no command (unless it runs on its own)."""
    import typer

    return typer.Typer(
        name=name,
        help=help,
        no_args_is_help=no_args_is_help,
        add_completion=False,
        rich_markup_mode=None,
        **kw,
    )


_GLOBAL = ("root", "db", "json_")  # the root callback's parameters every command also takes


def _setter(name: str):
    """A parameter callback that stores a value given on the command line into the shared options."""

    def store(ctx: Any, param: Any, value: Any) -> Any:
        from org.cli._common import opts

        if value is None or value is False:
            return value
        o = opts()
        if name == "json_":
            o.json = True
        else:
            if name == "db":
                check_db(value)
            setattr(o, name, value)
        return value

    return store


def check_db(url: str | None) -> None:
    """A SQLite --db in a folder that does not exist is a typo far more often than a wish: refuse it (exit 2)
    instead of creating the folders and a new, empty database there."""
    if not url:
        return
    from org.bus.store import normalize_url, sqlite_path
    from org.errors import UsageError

    path = sqlite_path(normalize_url(url))
    if path is not None and not path.expanduser().parent.is_dir():
        parent = path.expanduser().parent
        raise UsageError(
            f"--db {url}: the folder {parent} does not exist, so this would be a new, empty database "
            f"there; create the folder first (mkdir -p {parent}) if that is what you want"
        )


def _copy_param(param: Any) -> Any:
    p = copy.copy(param)
    p.envvar = None  # the environment is read once, by the root; a command's copy only takes what is typed
    p.expose_value = False
    p.callback = _setter(param.name)
    p.required = False
    return p


def _wrap_as(cmd: Any, path: str) -> None:
    """The command's own --as, else the global one; both given must agree; required stays required."""
    param = next((p for p in cmd.params if p.name == "as_"), None)
    original = cmd.callback
    if original is None:
        return
    required = bool(param is not None and param.required)
    if param is not None:
        param.required = False

    @functools.wraps(original)
    def callback(*args: Any, **kwargs: Any) -> Any:
        from org.cli._common import opts
        from org.errors import UsageError

        given = opts().as_
        if param is None:
            if given:
                raise UsageError(f"--as does not apply to 'org {path}' (it acts for no one)")
            return original(*args, **kwargs)
        mine = kwargs.get("as_")
        if mine is not None and given is not None and mine != given:
            raise UsageError(f"--as given twice with different actors ('{given}' and '{mine}')")
        kwargs["as_"] = mine if mine is not None else given
        if kwargs["as_"] is None and required:
            raise UsageError(f"'org {path}' needs --as ACTOR (who acts)")
        return original(*args, **kwargs)

    cmd.callback = callback


_METAVARS = {"--as": "NAME", "--root": "PATH", "--db": "URL", "--set": "K=V", "--for": "NAME"}


def _metavars(cmd: Any) -> None:
    """Usage lines a user can read: `org approve [OPTIONS] TASK` and `--note NOTE`, not `{task}` and `<str>`."""
    for p in cmd.params:
        if getattr(p, "metavar", None) is not None:
            continue
        if getattr(p, "param_type_name", "") == "argument":
            name = p.metavar = p.name.upper()
            usage = name if p.required else f"[{name}]"  # not Typer's `{task}`
            p._usage_display_name = lambda usage=usage, many=p.nargs != 1: usage + ("..." if many else "")
        elif not getattr(p, "is_flag", False) and not getattr(p, "count", False):
            long = next((o for o in p.opts if o.startswith("--")), p.opts[0])
            p.metavar = _METAVARS.get(long, long.lstrip("-").upper())


def install_globals(root_cmd: Any) -> Any:
    """Give every command and group under the root the root's global options, so they work after the
    command too (`org validate --root DIR`), and let `--as` before the command name the actor."""
    _metavars(root_cmd)
    shared = [p for p in root_cmd.params if p.name in _GLOBAL]

    def walk(cmd: Any, path: str) -> None:
        names = {p.name for p in cmd.params}
        opts_taken = {o for p in cmd.params for o in getattr(p, "opts", [])}
        for p in shared:
            if p.name in names or set(p.opts) & opts_taken:  # e.g. a command's own --json, which sets it too
                continue
            cmd.params.append(_copy_param(p))
        _metavars(cmd)
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{path} {name}".strip())
        else:
            _wrap_as(cmd, path)

    for name, sub in root_cmd.commands.items():
        walk(sub, name)
    return root_cmd


def deprecated_by(as_: str | None, by: str | None, command: str) -> str | None:
    """`--by` where `--as` is meant (kept one release): the actor, with a note on stderr."""
    from org.cli._common import err
    from org.errors import UsageError

    if by is None:
        return as_
    if as_ is not None and as_ != by:
        raise UsageError(
            f"--by is the old name of --as on 'org {command}'; give one actor, not '{as_}' and '{by}'"
        )
    err(f"org: --by on 'org {command}' is deprecated; use --as {by}")
    return by
