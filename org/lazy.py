"""A package's public names imported where they live on first use (PEP 562), so its cheap parts load alone."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, homes: Mapping[str, str], space: dict[str, Any]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: name -> the submodule (`homes`) it is imported from, then kept in
    the package's namespace `space` (its globals())."""

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        space[name] = value
        return value

    return getattr_
