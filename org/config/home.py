"""Where org keeps per-user files outside the database: the config home and one folder per org in it.

ORG_CONFIG_HOME, else $XDG_CONFIG_HOME/org, else ~/.config/org; an org's folder is named by the sha256 of
its resolved root, so two orgs on one machine never share files. Identity keeps its pepper and token files
there (org.identity.files) and the bus its audit witness (org.bus.witness); both layers sit above config.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["config_home", "org_dir"]


def config_home() -> Path:
    env = os.environ.get("ORG_CONFIG_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".config") / "org"


def org_dir(root: Path | str | None) -> Path:
    """The config folder of one org (created 0700 on first use)."""
    key = str(Path(root).expanduser().resolve()) if root is not None else "<no-root>"
    d = config_home() / hashlib.sha256(key.encode()).hexdigest()[:16]
    return d
