"""The accepted ADRs an agent is given with a job: ranked by org.adrs (tags, paths, text), plus the ADRs
the gate itself cites in the config; rendered for the prompt with their ids, and remembered per task.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AdrContext", "AdrSource"]


@dataclass(frozen=True)
class AdrContext:
    ids: tuple[int, ...] = ()
    text: str = ""
    refs: tuple[dict, ...] = field(default=())  # what the agent was given, for the record


class AdrSource:
    """Finds the ADRs for a job. Thread-safe; results are cached per (task, gate, files)."""

    def __init__(self, root: Path, cfg: Any, limit: int = 5) -> None:
        self.root = Path(root)
        self.cfg = cfg
        self.limit = limit
        self._lock = threading.Lock()
        self._cache: dict[tuple, AdrContext] = {}

    def for_job(
        self,
        task: str,
        workflow: str,
        gate: str,
        lane: str,
        attributes: dict,
        title: str,
        files: tuple[str, ...] = (),
        scope: list[str] | None = None,
    ) -> AdrContext:
        """`scope`: the ADR tags the task's pinned policy gives agents ADRs of (None: every ADR; ADR 0120)."""
        key = (task, gate, files, tuple(scope) if scope is not None else None)
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                hit = self._cache[key] = self._find(workflow, gate, lane, attributes, title, files, scope)
            return hit

    def _find(
        self,
        workflow: str,
        gate: str,
        lane: str,
        attributes: dict,
        title: str,
        files: tuple[str, ...],
        scope: list[str] | None = None,
    ) -> AdrContext:
        wf = self.cfg.workflows.get(workflow)
        spec = wf.gates.get(gate) if wf else None
        cited = list(getattr(spec, "adrs", []) or [])
        if lane == "security" or "credential" in attributes:
            cited += [r.spec.adr for r in self.cfg.rules if r.effect == "deny" and r.spec.adr]
        tags = {
            workflow,
            gate,
            lane,
            *(str(attributes[k]) for k in ("kind", "environment") if k in attributes),
        }
        if "credential" in attributes:
            tags |= {"credentials", "credential", "security"}
        if lane == "security":
            tags |= {"security", "policy"}
        try:
            from org.adrs.context import relevant_adrs, render_for_prompt
        except ImportError:
            relevant_adrs = render_for_prompt = None
        refs: list[Any] = []
        text = ""
        if relevant_adrs is not None and (self.root / "adrs").is_dir():
            try:
                refs = relevant_adrs(
                    self.root, tags=sorted(tags), paths=list(files), text=title, limit=self.limit, scope=scope
                )
            except Exception:  # a broken ADR index must not stop the work; validation reports it
                refs = []
            text = render_for_prompt(refs) if refs else ""
        numbers = [r.number for r in refs]
        extra = [n for n in dict.fromkeys(cited) if n not in numbers]
        if extra:
            lines = [
                f"- ADR-{n:04d} (established this gate or rule: {self._why(n, workflow, gate)})"
                for n in extra
            ]
            text = (text + "\n" if text else "") + "\n".join(lines)
        return AdrContext(
            tuple(numbers + extra),
            text,
            tuple(r.to_json() for r in refs)
            + tuple({"number": n, "id": f"ADR-{n:04d}", "why": "cited by the config"} for n in extra),
        )

    def _why(self, n: int, workflow: str, gate: str) -> str:
        names = [r.spec.id for r in self.cfg.rules if r.spec.adr == n]
        wf = self.cfg.workflows.get(workflow)
        if wf and gate in wf.gates and n in (wf.gates[gate].adrs or []):
            names.insert(0, f"gate {workflow}.{gate}")
        return ", ".join(names) or "cited by the config"
