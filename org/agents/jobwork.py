"""One job, start to finish, for a built-in agent: what it is told, the paced model call, the actions it
asks for (each through decide() and the audit log: `credential.use` through the credential broker, which
decides, resolves the secret and makes the call; every other action through the bus's `act`), the
submission, the ledger, and the budget ceilings. Called by the dispatcher's workers; never raises for model
trouble.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from org.agents.agent import AgentResult, LaneAgent
from org.agents.busport import holding_switch, last_findings
from org.agents.families import check_actor
from org.agents.prompts import WorkItem, role_of
from org.agents.story import call_text
from org.engine.plans import ACTIONS_PREFIX, body_text, executes_actions, plan_gate, planned_calls, same_call
from org.engine.policy import decide_within
from org.errors import Denied, NeedsApproval, OrgError

__all__ = ["JobOutcome", "JobRunner", "executes_actions", "call_text", "quietly", "review_diff"]


def review_diff(diff: dict) -> tuple[str, str]:
    """What a reviewer is shown of a revision's diff ({patch, files, truncated, unseen} from the workspaces
    service), and why it is not the whole change ("" when it is: org.workspaces.diffguard.shown_partly). A
    partial diff says so at its top and names every file changed, and its reviewer may not pass it: a builder
    could pad the change so a file falls past the cut, or make a script binary to git with one NUL byte."""
    from org.workspaces.diffguard import shown_partly

    patch = diff.get("patch")
    partial = shown_partly(diff)
    if not patch:
        return f"({partial[0]})", partial[0]
    files = list(diff.get("files") or ())
    if not partial:
        return patch, ""
    why = "; ".join(partial)
    head = (
        f"NOTE: {why}. You cannot see the whole change, so you may not pass it: review what is shown "
        "and say what you could not see. Files changed: " + ", ".join(files) + "\n\n"
    )
    return head + patch, why


def quietly(fn: Any, *args: Any, **kw: Any) -> bool:
    """A bus call whose refusal changes nothing for the caller (a release or heartbeat of a lease that already
    moved on, a pause already in place): True when it went through."""
    try:
        fn(*args, **kw)
        return True
    except OrgError:
        return False


@dataclass
class JobOutcome:
    job: int
    task: str | None
    gate: str | None
    lane: str
    actor: str
    status: str  # submitted | released | failed | refused
    verdict: str | None = None
    detail: str = ""
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    unpriced: int = 0
    model_s: float = 0.0
    elapsed_s: float = 0.0  # from the claim to the bus's answer to the submission
    actions: list[dict] = field(default_factory=list)
    failure: str | None = None  # the agent's failure kind when it did not deliver
    budget: list[str] = field(default_factory=list)  # ceilings crossed by this job
    made: list[dict] = field(
        default_factory=list
    )  # the planned service calls asked of the broker in this job
    tools: list[dict] = field(default_factory=list)  # the tool-call ledger of a job worked with tools


class JobRunner:
    """Shared, thread-safe pieces for running jobs; each call gets the worker's own AgentDoor."""

    def __init__(
        self,
        cfg: Any,
        endpoints: dict,
        pacer: Any,
        adrs: Any,
        redact: Any,
        note: Any = None,
        broker: Any = None,
        models: Any = None,
        in_room: bool = False,
    ) -> None:
        self.cfg = cfg
        # in a job's room (org.agents.worker): its tests run in the room itself, and the budget brake is the
        # dispatcher's, after the job (it reads the lane's whole ledger, which no job's token may)
        self.in_room = in_room
        self.endpoints = endpoints
        # job token -> org.gateway.service.ModelAccess: every model call of a job goes through the run's
        # gateway with that job's own gateway token, which counts it in the ledger (ADR 0170)
        self.models = models
        self.pacer = pacer
        self.adrs = adrs
        self.redact = redact
        self.note = note or (lambda *_a, **_k: None)
        self.broker = broker  # org.identity.brokerclient.BrokerUse: how credential.use reaches the broker

    # -- what the agent is told --------------------------------------------------------------------
    def item(self, port: Any, claim: Any) -> WorkItem:
        cfg = self.cfg
        wf = cfg.workflows.get(claim.workflow)
        spec = wf.gates.get(claim.gate) if wf else None
        item = WorkItem(
            job=str(claim.job),
            task=claim.task or "",
            title=claim.title or "",
            workflow=claim.workflow or "",
            gate=claim.gate or "",
            gate_kind=claim.kind,
            gate_description=(spec.description or "") if spec else "",
            lane=claim.lane,
            tier=claim.tier or "",
            attributes=dict(claim.attributes or {}),
            round=int(claim.round or 0),
            policy=dict((getattr(claim, "policy_source", None) or {}).get("values") or {}),
        )
        files: tuple[str, ...] = ()
        if claim.kind == "review" and (claim.attributes or {}).get("repo"):
            # the real diff of the bound commit, read from git, and the tests on it: never the author's account
            from org.agents.handover import handover

            item.revision = claim.revision
            h = handover(port.door, claim.token, claim.job, cfg=cfg)
            diff = h.get("diff") or {}
            item.work, item.partial = review_diff(diff)
            tests = h.get("tests") or {}
            item.work_summary = f"tests on this revision: {tests.get('summary', '')}" if tests else ""
            files = tuple(diff.get("files") or ())
            item.files, item.tests = list(files), dict(tests)
        elif claim.kind == "review":
            item.revision = claim.revision
            r = self._result(port, claim, revision=claim.revision)
            item.work, item.work_summary = r.get("content", ""), r.get("note", "")
            files = tuple(re.findall(r"^\+\+\+ b/(\S+)", item.work, re.M))
        elif claim.kind == "work":
            if item.round > 0:
                item.findings = last_findings(port, claim.actor, claim.task)
                prev = self._result(port, claim, gate=claim.gate)
                item.work, item.work_summary = prev.get("content", ""), prev.get("note", "")
            planned_at = plan_gate(cfg, claim.workflow, claim.gate)
            if planned_at:
                item.plan = self._result(port, claim, gate=planned_at).get("content", "")
        ctx = self.adrs.for_job(
            item.task,
            item.workflow,
            item.gate,
            item.lane,
            item.attributes,
            item.title,
            files,
            scope=(getattr(claim, "policy_source", None) or {}).get("adr_scope"),
        )
        item.adr_ids, item.adr_text = list(ctx.ids), ctx.text
        return item

    # -- the job -------------------------------------------------------------------------------------
    def run(self, port: Any, claim: Any, actor: str, stopping: Any) -> JobOutcome:
        cfg = self.cfg
        lane = cfg.lanes[claim.lane]
        out = JobOutcome(claim.job, claim.task, claim.gate, claim.lane, actor, "released")
        ep = self.endpoints[actor]
        member = next((m for m in lane.members if m.id == actor), None)
        wrong = check_actor(actor, cfg.actors[actor].family, ep.model, member.family if member else None)
        if wrong:
            return self._fail(port, claim, out, wrong)
        if claim.kind not in ("work", "review"):
            self._release(port, claim, out, f"{claim.kind} jobs are not for built-in agents")
            return out
        role = role_of(lane, claim.kind)
        access = self._access(port, claim, out)
        if access is None:
            return out
        ep = ep.through(access)
        from org.agents.clis.adapters import adapter_for

        adapter = adapter_for(member)
        if adapter is not None:  # a coding CLI member (org.agents.clis)
            from org.agents.clis.job import cli_job

            return cli_job(self, port, claim, actor, lane, adapter, out, access, stopping=stopping)
        if claim.kind == "work" and role == "builder" and (claim.attributes or {}).get("repo"):
            from org.agents.toolwork import tool_job

            return tool_job(self, port, claim, actor, lane, ep, out, access=access)
        if claim.kind == "review" and (claim.attributes or {}).get("repo"):
            from org.agents.review import review_job

            return review_job(self, port, claim, actor, lane, ep, role, out, access)
        item = self.item(port, claim)
        sw = holding_switch(port, actor, claim.lane, claim.task)
        if sw:
            self._release(port, claim, out, f"paused ({sw}) before the model call")
            return out
        res = LaneAgent(actor, lane, ep, self.pacer, self.redact).work(item, role)
        self._ledger(res, out)
        out.budget = self._budget(port, claim.lane, actor, flush=access.flush)
        if not res.ok:
            out.failure = res.failure
            if res.failure == "malformed":
                return self._fail(port, claim, out, res.error)
            self._release(port, claim, out, f"{res.failure}: {res.error}"[:300])
            return out
        sw = holding_switch(port, actor, claim.lane, claim.task)
        if sw:
            self._release(
                port, claim, out, f"paused ({sw}) after the model call; the result was not submitted"
            )
            return out
        if claim.kind == "review" and item.partial and getattr(res.output, "verdict", None) == "pass":
            # fail closed: a pass of a change the reviewer could not see whole is no pass (a human reviews it)
            return self._fail(port, claim, out, f"cannot pass a change not seen whole: {item.partial}"[:300])
        return self._submit(port, claim, actor, role, res, out)

    def _submit(
        self, port: Any, claim: Any, actor: str, role: str, res: AgentResult, out: JobOutcome
    ) -> JobOutcome:
        o = res.output
        blocked = self._actions(port, claim, actor, role, getattr(o, "actions", []) or [], out)
        refs = (
            f" (cites {', '.join(f'ADR-{n:04d}' for n in o.adrs_cited)})"
            if getattr(o, "adrs_cited", None)
            else ""
        )
        if claim.kind == "review":
            verdict = o.verdict
            note = o.summary + refs
            if out.actions:
                denied = [a for a in out.actions if a["outcome"] != "allow"]
                if denied:
                    note += (
                        f" [{len(denied)} requested action(s) refused: "
                        + ", ".join(f"{a['action']} ({'/'.join(a['rules']) or a['outcome']})" for a in denied)
                        + "]"
                    )
            kw = {"note": note, "revision": claim.revision, "findings": [f.model_dump() for f in o.findings]}
        else:
            if role == "builder":
                content = o.diff
            else:
                content = "\n".join(f"{i}. {s}" for i, s in enumerate(o.steps, 1))
                if o.actions:
                    content += (
                        "\n"
                        + ACTIONS_PREFIX
                        + json.dumps([a.model_dump() for a in o.actions], sort_keys=True)
                    )
            verdict, note = "pass", o.summary + refs
            calls = [a["call"] for a in out.actions if a.get("call")]
            if calls:  # what the services answered (through the broker, scrubbed), for the timeline
                content += "\nservice calls (made by the credential broker):\n" + "\n".join(
                    f"- {call_text(c)}: {c['answer']}" for c in calls
                )
                note += " [" + "; ".join(call_text(c) for c in calls) + "]"
            if blocked:
                verdict, note = "fail", f"could not carry it out: {blocked}"
            kw = {"note": note, "content": content}
            if (
                role == "operator"
                and executes_actions(self.cfg, claim.workflow, claim.gate)
                and claim.revision
            ):
                # carrying out the approved plan does not change it: the approvals stay bound to it
                kw["revision"] = claim.revision
        out.verdict = verdict
        try:
            port.door.submit(claim.token, claim.job, verdict, **kw)
            out.status = "submitted"
        except OrgError as exc:  # a stale lease, a paused task, a rule: the bus changed nothing
            out.status, out.detail = "refused", f"{exc.kind}: {exc.message}"
        return out

    def _actions(self, port: Any, claim: Any, actor: str, role: str, actions: list, out: JobOutcome) -> str:
        """Every requested action passes decide(): recorded through the bus's act, or, at a planning
        gate, evaluated as a dry run and written into the plan. Returns why execution is blocked."""
        execute = (
            role == "operator"
            and claim.kind == "work"
            and executes_actions(self.cfg, claim.workflow, claim.gate)
        )
        blocked = []
        for a in actions:
            attrs = {k: v for k, v in a.attributes.items()}
            if role == "operator" and not execute:
                d, _conflicts = decide_within(
                    self.cfg, actor, a.action, claim.attributes or {}, attrs
                )  # as act will
                out.actions.append(
                    {"action": a.action, "outcome": d.outcome, "rules": d.rule_ids, "dry_run": True}
                )
                continue
            if a.action == "credential.use":
                why = self._use_credential(port, claim, actor, a, attrs, execute, out)
                if why and execute:
                    blocked.append(f"credential.use: {why}")
                continue
            try:
                d = port.door.act(claim.token, a.action, actor, claim.task, attrs)["decision"]
            except (
                OrgError
            ) as exc:  # refused before deciding (the lease is over, an undeclared attribute, ...)
                d = {"outcome": "deny", "reason": exc.message, "rules": []}
            rules = [h["id"] for h in d.get("rules", [])]
            out.actions.append(
                {
                    "action": a.action,
                    "outcome": d["outcome"],
                    "rules": rules,
                    "reason": d.get("reason", ""),
                    "why": a.why,
                }
            )
            if d.get("outcome") != "allow" and execute:
                blocked.append(f"{a.action}: {d.get('reason', 'refused')}")
        return "; ".join(blocked)

    def _use_credential(
        self, port: Any, claim: Any, actor: str, a: Any, attrs: dict, execute: bool, out: JobOutcome
    ) -> str:
        """A credential.use through the credential broker, with the job token: the broker runs decide()
        (RED-CREDENTIAL-REUSE, human approvals), resolves the secret and makes the call; this agent gets the
        status and the scrubbed answer. Records the outcome in `out.actions`; returns why it did not happen
        or the service refused it ("" when the service answered below 400)."""
        task_attrs = claim.attributes or {}
        cred = str(attrs.pop("credential", None) or task_attrs.get("credential") or "")
        service = str(attrs.pop("service", None) or task_attrs.get("service") or "")
        rec: dict[str, Any] = {
            "action": a.action,
            "outcome": "deny",
            "rules": [],
            "reason": "",
            "why": a.why,
            "via": "broker",
        }
        out.actions.append(rec)
        call = (
            {"method": a.call.method, "path": a.call.path, "body": body_text(a.call.body)} if a.call else None
        )
        if execute:  # the broker makes only the calls the approved plan names, each once: ask for one of them
            planned = self._planned_calls(port, claim, cred, service)
            todo = [c for c in planned if not any(same_call(c, m) for m in out.made)]
            if not planned:
                rec["reason"] = "the approved plan names no call with this credential"
                return rec["reason"]
            if call is not None and not any(same_call(call, c) for c in planned):
                first = planned[0]
                rec["reason"] = (
                    f"asked for {call['method']} {call['path']}, but the approved plan names "
                    f"{first['method']} {first['path']}"
                )
                return rec["reason"]
            if call is not None and not any(same_call(call, c) for c in todo) or not todo:
                rec.update(outcome="allow", reason="the approved plan's call was made already in this job")
                return ""
            call = call if call is not None else todo[0]
            out.made.append(call)
        if self.broker is None:
            rec["reason"] = "no credential broker serves this run"
            return rec["reason"]
        head = port.door.head(port.token(actor))
        try:
            r = self.broker.use(
                claim.token,
                actor,
                credential=cred,
                service=service,
                task=claim.task,
                method=call["method"] if call else "GET",
                path=call["path"] if call else "/",
                body=call["body"] if call else None,
                attributes=attrs or None,
            )
        except OrgError as exc:
            rec["outcome"] = (
                "needs_approval"
                if isinstance(exc, NeedsApproval)
                else "deny"
                if isinstance(exc, Denied)
                else "error"
            )
            rec["reason"] = exc.message
            rec["rules"] = self._decided_rules(port, claim, head)
            return exc.message + (f" ({', '.join(rec['rules'])})" if rec["rules"] else "")
        answer = " ".join(self.redact(str(r.get("body") or "")).split())
        d = r.get("decision") or {}
        rec.update(
            outcome="allow",
            reason=d.get("reason", ""),
            rules=[h.get("id") for h in d.get("rules", []) if isinstance(h, dict)]
            or list(d.get("rule_ids", [])),
        )
        rec["call"] = {
            "credential": cred,
            "service": service,
            "method": r.get("method"),
            "path": r.get("path"),
            "status": r.get("status"),
            "answer": answer[:2000],
            "stand_in": bool(r.get("stand_in")),
        }
        if int(r.get("status") or 0) >= 400:
            return f"{call_text(rec['call'])}: {answer[:300]}"
        return ""

    def _planned_calls(self, port: Any, claim: Any, cred: str, service: str) -> list[dict]:
        """The service calls the approved plan (on the revision this job carries out) names for this
        credential and service: the only ones the broker makes here (org.engine.plans)."""
        planned_at = plan_gate(self.cfg, claim.workflow, claim.gate)
        plan = self._result(port, claim, gate=planned_at, revision=claim.revision) if planned_at else {}
        return planned_calls((plan or {}).get("content", ""), cred, service, claim.attributes or {})

    def _decided_rules(self, port: Any, claim: Any, after: int) -> list[str]:
        """The rules of the decision the broker recorded for this job since `after` (the broker's answer to a
        refusal is the same for every reason; the audit log, which this runtime reads anyway, has the rule)."""
        try:
            evs = port.door.events_since(
                port.token(claim.actor), after, task=claim.task, types=("action.decided",), limit=100
            )
        except OrgError:
            return []
        mine = [e for e in evs if (e.get("auth") or {}).get("job") == claim.job]
        return list(mine[-1].get("rules") or []) if mine else []

    def _access(self, port: Any, claim: Any, out: JobOutcome) -> Any:
        """The job's model access from the run's gateway, or None (the job released, with why)."""
        if self.models is None:
            self._release(port, claim, out, "no model gateway serves this run")
            return None
        from org.gateway.service import GatewayGone

        try:
            return self.models(claim.token)
        except OrgError as exc:  # the lease is over, a pause, the gateway is gone: no call is made
            if isinstance(exc, GatewayGone):
                out.failure = "gateway_gone"  # the dispatcher stops the run (org.agents.runner)
            self._release(port, claim, out, f"no model access: {exc.message}"[:300])
            return None

    # -- bookkeeping ---------------------------------------------------------------------------------
    def _ledger(self, res: AgentResult, out: JobOutcome) -> None:
        """The job's calls in its outcome (the run's report). The usage ledger is the gateway's: it counted
        every call it made, against this job, whatever the agent says."""
        for c in res.calls:
            if not c.called:  # refused by the pacer before any request was sent
                continue
            out.calls += 1
            out.tokens_in += c.prompt_tokens
            out.tokens_out += c.completion_tokens
            out.model_s += c.latency_s
            # a call answered without a price has an unknown cost (NULL in the ledger, never $0);
            # a refused or failed call is not billed
            cost = c.cost_usd if c.status == 200 else (c.cost_usd or 0.0)
            if cost is None:
                out.unpriced += 1
            out.cost_usd += cost or 0.0

    def _budget(self, port: Any, lane_name: str, actor: str, flush: Any = None) -> list[str]:
        """Ask the bus to pause (and so escalate to a human) the actor or lane if its ledger shows a budget
        ceiling crossed or unaccepted calls of unknown cost (org.bus.brakes, ADR 0051). `flush`: wait for the
        gateway's ledger first, so the job's own calls count."""
        if flush is not None:
            try:
                flush()
            except OrgError as exc:  # the check below reads what is written; say that it may lag
                self.note("ledger", f"the gateway's ledger could not be flushed: {exc.message}")
        if self.in_room:
            return []
        crossed = port.door.brake_over_budget(port.token(actor), lane_name, as_=actor)
        for why in crossed:
            self.note("budget", why)
        return crossed

    def _release(self, port: Any, claim: Any, out: JobOutcome, why: str) -> None:
        out.status, out.detail = "released", why
        quietly(port.door.release, claim.token, claim.job, reason=why)

    def _fail(self, port: Any, claim: Any, out: JobOutcome, why: str) -> JobOutcome:
        out.status, out.detail = "failed", why
        quietly(port.door.fail, claim.token, claim.job, reason=why)
        return out

    @staticmethod
    def _result(port: Any, claim: Any, *, gate: str | None = None, revision: str | None = None) -> dict:
        """The latest submitted result (note, content, findings) of the claim's task, at a gate or for a
        revision; {} when none."""
        return port.door.work_result(port.token(claim.actor), claim.task, gate=gate, revision=revision) or {}
