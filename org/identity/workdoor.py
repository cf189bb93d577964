"""The door's side of the data plane: what org.workspaces reads from and records on the bus (a task's
repository, a job's, what holds a workspace, workspace facts, the pipeline's results), bound to one principal
the door authenticated (Guard.workspaces). org.workspaces never holds the raw bus.

Every write runs as that principal (stamped on its events). A fact is recorded as that principal or as org's
pipeline (org.bus.repofacts.PIPELINE), never as another actor; a job token's door reaches only its own job and
task; `act` is the door's (Guard.may_act: a human's own token, or a job token on its task).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from org.bus.repofacts import PIPELINE, TaskRepo
from org.engine import rule_ids

if TYPE_CHECKING:
    from org.identity.guard import Guard
    from org.identity.tokens import Principal

__all__ = ["WorkspaceDoor"]


class WorkspaceDoor:
    """org.workspaces' reads and writes through the door, as one authenticated principal (see the module)."""

    def __init__(self, door: Guard, bus: Any, principal: Principal, command: str) -> None:
        self._door, self._bus, self.principal, self._command = door, bus, principal, command

    @property
    def root(self) -> Path | None:
        return self._bus.root

    def config(self, *, required: bool = False) -> Any:
        return self._bus.config(required=required)

    def _own_task(self, task: str, why: str) -> None:
        from org.bus.context import task_key

        p = self.principal
        if p.via == "job" and task_key(task) != p.task:
            self._door._deny(
                p, self._command, "other task", f"this job token covers task {p.task}, not '{task}' ({why})"
            )

    def repo_task(self, task: str) -> TaskRepo:
        self._own_task(task, "its repository")
        return self._as(lambda: self._bus.repo_task(task))

    def repo_job(self, job: int) -> dict:
        p = self.principal
        if p.via == "job" and job != p.job:
            self._door._deny(p, self._command, "other job", f"this job token is for job {p.job}, not '{job}'")
        return self._as(lambda: self._bus.repo_job(job))

    def workspace_holds(self, task: str) -> list[str]:
        return self._as(lambda: self._bus.workspace_holds(task))

    def secrets_in(self, text: str) -> list[str]:
        return self._bus.secrets_in(text)

    def outcome_events(self) -> list[dict]:
        return self._as(self._bus.outcome_events)

    def spend(self, by: str = "actor", **filters: Any) -> list[dict]:
        return self._as(lambda: self._bus.spend(by, **filters))

    def pipeline_queue(self) -> list[dict]:
        return self._as(self._bus.pipeline_queue)

    def record_fact(self, type_: str, task: str, *, actor: str | None = None, **kw: Any) -> None:
        """A workspace fact about `task`, as this principal (or as org's pipeline), never as another actor."""
        p = self.principal
        if actor not in (p.actor, PIPELINE):
            self._door._deny(
                p,
                self._command,
                "fact as another actor",
                f"{p.actor} records workspace facts as itself, not as '{actor}'",
                rule=rule_ids.TOKEN_SCOPE,
            )
        self._own_task(task, "a workspace fact")
        self._as(lambda: self._bus.record_fact(type_, task, actor=actor, **kw))

    def pipeline_apply(self, task: str, gate: str, ok: bool, **kw: Any) -> dict:
        """The pipeline's result for a gate: org's pipeline runs as the principal that started it (no job token)."""
        p = self.principal
        if p.via == "job":
            self._door._deny(
                p, self._command, "job token running the pipeline", "org's pipeline needs a principal token"
            )
        return self._as(lambda: self._bus.pipeline_apply(task, gate, ok, **kw))

    def act(self, action: str, actor: str, task: str, attributes: dict | None = None) -> dict:
        """decide() and record `action` by this principal (the door's act rules: Guard.may_act)."""
        p = self.principal
        if actor != p.actor:
            self._door._deny(
                p, self._command, "act as another", f"{p.actor} acts as itself, not as '{actor}'"
            )
        self._door.may_act(p, action, task, self._command)
        return self._as(lambda: self._bus.act(action, actor, task, attributes))

    def _as(self, fn: Any) -> Any:
        from org.identity.guard import acting

        with acting(self.principal):
            return fn()
