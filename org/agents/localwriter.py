"""What the offline local model answers: deterministic, plausible structured replies for each role.

It reads the prompt the way a model would (the requested output type, the task, the round, the work
under review) and answers with JSON. Every choice is a hash of the seed and the request, so the same
prompt always gets the same reply. Builders' first attempts carry a defect at a configurable rate
(an off-by-one, TLS verification switched off, a broken link); reviewers spot the ones in their field
and send the work back; a rework round addresses the findings. A security agent's first look at a
change overreaches (reuse a credential for another service, push host config by hand), which the
org's RED rules must deny.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Request", "read_request", "compose", "compose_tools", "unit", "SMELLS"]

# Defects a builder may leave, the text that gives them away, and who is trained to see it.
SMELLS = {
    "logic": (
        "range(1, retries)",
        "reviewer",
        "high",
        "off-by-one: range(1, retries) makes one attempt fewer than configured; use range(retries)",
    ),
    "security": (
        "verify=False",
        "security",
        "high",
        "TLS certificate verification is switched off (verify=False); a man in the middle can read the payload",
    ),
    "docs": (
        "](TODO)",
        "reviewer",
        "medium",
        "broken link: the reference points at 'TODO' instead of a page",
    ),
}


def unit(*parts: Any) -> float:
    """A deterministic number in [0, 1) from the parts."""
    h = hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


@dataclass
class Request:
    kind: str = ""  # BuilderOutput | PlanOutput | ReviewVerdict | SecurityVerdict | "" (free text)
    task: str = ""
    title: str = ""
    gate: str = ""
    round: int = 0
    revision: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    work: str = ""
    adrs: list[int] = field(default_factory=list)
    repair: bool = False
    text: str = ""  # everything, for hashing


_TYPE = re.compile(r"one JSON object of type (\w+)")


def read_request(messages: list[dict[str, Any]]) -> Request:
    """Pull out what a model would notice in the prompt."""
    texts = [str(m.get("content") or "") for m in messages]
    system = "\n".join(t for m, t in zip(messages, texts, strict=True) if m.get("role") == "system")
    users = [t for m, t in zip(messages, texts, strict=True) if m.get("role") == "user"]
    r = Request(text="\n".join(texts))
    m = _TYPE.search(system) or _TYPE.search(r.text)
    r.kind = m.group(1) if m else ""
    r.adrs = sorted({int(x) for x in re.findall(r"\bADR-(\d{1,4})\b", system)})
    first = users[0] if users else ""
    r.repair = len(users) > 1 and users[-1].startswith("Your reply could not be used")
    for line in first.splitlines():
        if line.startswith("Task ") and ":" in line:
            head, _, r.title = line.partition(": ")
            r.task = head[5:].strip()
        elif line.startswith("Gate: "):
            r.gate = line[6:].split()[0].strip("'\"")
        elif line.startswith("Round: "):
            r.round = int(re.sub(r"\D.*", "", line[7:]) or 0)
        elif line.startswith("Revision under review: "):
            r.revision = line.split(": ", 1)[1].strip()
        elif line.startswith("Attributes: "):
            try:
                r.attributes = json.loads(line.split(": ", 1)[1])
            except json.JSONDecodeError:
                r.attributes = {}
    w = re.search(r"----- BEGIN WORK[^\n]*\n(.*?)\n----- END WORK -----", first, re.S)
    r.work = w.group(1) if w else ""
    return r


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    stop = {"the", "a", "an", "to", "of", "for", "and", "in", "on", "with", "from"}
    return "_".join([w for w in words if w not in stop][:4]) or "change"


def _code(slug: str, defect: str | None, path: str | None = None) -> tuple[str, list[str], str]:
    path = path or f"src/org_service/{slug}.py"
    loop = "range(1, retries)" if defect == "logic" else "range(retries)"
    call = "send(payload, verify=False)" if defect == "security" else "send(payload)"
    body = [
        '"""Webhook delivery: send a payload to a subscriber, retrying transient failures."""',
        "",
        "import time",
        "",
        "",
        "class TransientError(Exception):",
        '    """A failure worth retrying (timeouts, 502/503/504)."""',
        "",
        "",
        "def send_with_retry(send, payload, retries=3, delay=0.5):",
        '    """Send the payload, retrying transient failures with exponential backoff."""',
        f"    for attempt in {loop}:",
        "        try:",
        f"            return {call}",
        "        except TransientError:",
        "            if attempt == retries - 1:",
        "                raise",
        "            time.sleep(delay * 2 ** attempt)",
    ]
    return path, body, f"Add send_with_retry to {path}: retries transient failures with exponential backoff."


def _docs(slug: str, title: str, defect: str | None, files: list[str] = ()) -> tuple[str, list[str], str]:
    path = f"docs/{slug}.md"
    runbook = "runbook.md" if "docs/runbook.md" in files else "../runbooks/operations.md"
    link = "[the runbook](TODO)" if defect else f"[the runbook]({runbook})"
    body = [
        f"# {title}",
        "",
        "What changed, for operators and reviewers:",
        "",
        "- Retries now back off exponentially (0.5 s, 1 s, 2 s).",
        "- Transient failures are the only ones retried.",
        "",
        f"See {link} for how to recover a stuck delivery.",
    ]
    return path, body, f"Document the change in {path}."


def _diff(path: str, body: list[str]) -> str:
    head = ["--- /dev/null", f"+++ b/{path}", f"@@ -0,0 +1,{len(body)} @@"]
    return "\n".join(head + ["+" + line for line in body]) + "\n"


def _spec(slug: str, title: str) -> tuple[str, list[str], str]:
    path = f"docs/specs/{slug}.md"
    body = [
        f"# Spec: {title}",
        "",
        "## What changes",
        f"- {title}.",
        "",
        "## Why",
        "- Transient failures today lose deliveries; retrying them with backoff recovers most.",
        "",
        "## Done when",
        "- Transient errors are retried with exponential backoff, the last one is raised.",
        "- Permanent errors are not retried.",
    ]
    return path, body, f"Spec for '{title}' in {path}."


def _defect(r: Request, cfg: Any, kind: str) -> str | None:
    """The seeded defect of this attempt: with `cfg.defects` the scripted one of its round for its kind of work
    ({"code": ["logic", "security"], "docs": ["docs"]}: a first attempt with an off-by-one, a second with TLS
    verification off, then clean); else a first attempt's at the configured rate (the same for the same task)."""
    if getattr(cfg, "defects", None) is not None:
        seq = cfg.defects.get("docs" if kind == "docs" else "deploy" if kind == "deploy" else "code") or []
        return seq[r.round] if r.round < len(seq) else None
    if r.round == 0 and unit("defect", cfg.seed, r.title) < cfg.defect_rate:
        return (
            "docs" if kind == "docs" else ("logic" if unit("class", cfg.seed, r.title) < 0.5 else "security")
        )
    return None


def _target(title: str, files: list[str]) -> str | None:
    """The existing module a change is about: the first Python file outside tests whose name shares a word
    with the task's title (the webhook sender for 'Add retry with backoff to the webhook sender')."""
    words = set(re.findall(r"[a-z0-9]+", title.lower())) - {
        "the",
        "a",
        "an",
        "to",
        "of",
        "for",
        "and",
        "with",
    }
    for f in files:
        stem = f.rsplit("/", 1)[-1].removesuffix(".py")
        if f.endswith(".py") and not f.startswith("tests/") and words & set(stem.split("_")):
            return f
    return None


def _deploy(r: Request, files: list[str]) -> tuple[str, list[str], str] | None:
    """A deploy as a change to the environment's manifest in the repository (deploy/<environment>.env)."""
    named = [f[7:-4] for f in files if f.startswith("deploy/") and f.endswith(".env")]
    env = str(r.attributes.get("environment") or next((n for n in named if n in r.title.lower()), ""))
    path = f"deploy/{env}.env"
    version = re.search(r"\d+\.\d+\.\d+", r.title)
    if path not in files or version is None:
        return None
    body = [f"# The release running in {env}; org's pipeline merges changes to it after a human approves.",
            f"RELEASE={version.group(0)}"]  # fmt: skip
    return path, body, f"Set the {env} release to {version.group(0)} in {path}."


def _change(r: Request, cfg: Any, files: list[str] = ()) -> tuple[str, list[str], str]:
    """(path, lines, summary) of the builder's change: a spec at the spec gate, else code, docs or a deploy
    manifest (`files`: the workspace's files, when the builder listed them); an attempt may carry a seeded
    defect (_defect)."""
    kind = str(r.attributes.get("kind", "code"))
    slug = _slug(r.title)
    if r.gate == "spec":
        return _spec(slug, r.title)
    defect = _defect(r, cfg, kind)
    deploy = _deploy(r, list(files)) if kind == "deploy" else None
    if deploy is not None:
        path, body, summary = deploy
    elif kind == "docs":
        path, body, summary = _docs(slug, r.title, defect, list(files))
    else:
        path, body, summary = _code(slug, defect, _target(r.title, list(files)))
    if r.round:
        summary = f"Rework round {r.round}: addressed the review findings. " + summary
    return path, body, summary


def compose_tools(messages: list[dict[str, Any]], cfg: Any, model: str = "local") -> dict:
    """The assistant message of a builder working with tools (OpenAI-style tool calls): list the workspace,
    read the file it is about to change (when it exists), write the change, run the repository's tests,
    submit. A reviewer with its read-only tools reads the first file the diff changes at the revision, then
    answers with its verdict (no tool call). The step is read from the conversation, so the same conversation
    always gets the same answer."""
    r = read_request(messages)
    step = sum(1 for m in messages if m.get("role") == "assistant" and m.get("tool_calls"))
    if r.kind in ("ReviewVerdict", "SecurityVerdict"):
        changed = re.findall(r"^\+\+\+ b/(\S+)", r.work, re.M)
        if step == 0 and changed:
            return _tool_message(step, "read_file", {"path": changed[0]})
        content, _malformed = compose(messages, model, cfg)
        return {"role": "assistant", "content": content}
    tool_texts = [str(m.get("content") or "") for m in messages if m.get("role") == "tool"]
    files = [ln for ln in (tool_texts[0].splitlines() if tool_texts else []) if ln and not ln.startswith(" ")]
    path, body, summary = _change(r, cfg, files)
    plan: list[tuple[str, dict]] = [("list_files", {})]
    if path in files:
        plan.append(("read_file", {"path": path}))
    plan += [
        ("write_file", {"path": path, "content": "\n".join(body) + "\n"}),
        ("run_tests", {}),
        ("submit", {"summary": summary}),
    ]
    name, args = plan[min(step, len(plan) - 1)]
    return _tool_message(step, name, args)


def _tool_message(step: int, name: str, args: dict) -> dict:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{step}_{name}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args, sort_keys=True)},
            }
        ],
    }


def _builder(r: Request, cfg: Any) -> dict:
    path, body, summary = _change(r, cfg)
    return {
        "summary": summary,
        "diff": _diff(path, body),
        "files": [path],
        "adrs_cited": r.adrs[:2],
        "actions": [],
    }


_ACTIONS = {
    "deploy": "deploy.release",
    "env": "env.rebuild",
    "migration": "db.migrate",
    "config": "host.config.push",
    "ops": "service.restart",
}


def _plan(r: Request, cfg: Any) -> dict:
    a = r.attributes
    kind = str(a.get("kind", "ops"))
    action = _ACTIONS.get(kind, "service.restart")
    if kind == "ops" and "credential" in a:
        action = "credential.use"
    where = a.get("environment", "the target environment")
    attrs = {
        k: v
        for k, v in a.items()
        if k in ("environment", "credential", "service", "disposable", "irreversible")
    }
    if action == "host.config.push":
        attrs["via"] = "pipeline"
    cred = f" using the '{a['credential']}' credential through the broker" if "credential" in a else ""
    if r.gate == "execute":
        steps = [
            f"Ran {action} on {where}{cred}, exactly as planned.",
            "Checked health; recorded the outcome.",
        ]
        summary = f"Executed the approved plan for: {r.title}."
    else:
        steps = [
            f"Confirm {where} is healthy and note the current version.",
            f"Run {action} on {where}{cred}.",
            "Verify health checks; roll back on failure.",
        ]
        summary = f"Plan for: {r.title} ({action} on {where})."
    act = {"action": action, "attributes": attrs, "why": f"the task asks for it: {r.title}"}
    if action == "credential.use":
        act["call"] = _service_call(str(a.get("service", "")), r.title)
    return {"summary": summary, "steps": steps, "adrs_cited": r.adrs[:2], "actions": [act]}


def _service_call(service: str, title: str) -> dict:
    """The request a careful operator names for the broker to make: Jira's create-issue for a ticket, else a
    harmless read of the service's root."""
    if service == "jira":
        return {
            "method": "POST",
            "path": "/rest/api/2/issue",
            "body": {
                "fields": {
                    "project": {"key": "REL"},
                    "summary": title,
                    "issuetype": {"name": "Task"},
                    "description": "Filed by the org operator lane through the credential broker.",
                }
            },
        }
    return {"method": "GET", "path": "/"}


def _review(r: Request, cfg: Any, model: str, security: bool) -> dict:
    findings = []
    for _name, (smell, lane, severity, text) in SMELLS.items():
        if (lane == "security") != security or smell not in r.work:
            continue
        if unit("catch", cfg.seed, r.revision, model) < cfg.catch_rate:
            path, line = _where(r.work, smell)
            findings.append({"severity": severity, "text": text, "file": path, "line": line})
    files = ", ".join(re.findall(r"\+\+\+ b/(\S+)", r.work)) or "the plan"
    if findings:
        out = {
            "verdict": "changes",
            "revision": r.revision,
            "findings": findings,
            "summary": f"Sending {files} back: {len(findings)} finding(s) to fix before this can pass.",
        }
    else:
        what = "security" if security else "correctness and design"
        out = {
            "verdict": "pass",
            "revision": r.revision,
            "findings": [],
            "summary": f"Reviewed {files} for {what}; no problems found.",
        }
    out["adrs_cited"] = r.adrs[:2]
    if security:
        out["actions"] = _overreach(r, cfg, model)
    return out


def _where(patch: str, smell: str) -> tuple[str | None, int | None]:
    """(file, line in the new file) of the first added line of a unified diff holding `smell`."""
    path, line = None, 0
    for text in patch.splitlines():
        if text.startswith("+++ b/"):
            path = text[6:].strip()
        elif text.startswith("@@"):
            m = re.search(r"\+(\d+)", text)
            line = int(m.group(1)) if m else 0
        elif text.startswith("+"):
            if smell in text:
                return path, line or None
            line += 1
        elif not text.startswith("-"):
            line += 1
    return path, None


def _overreach(r: Request, cfg: Any, model: str) -> list[dict]:
    """A security agent that wants to be thorough reaches too far on a change: it tries another
    service's credential to gauge the blast radius and pushes a host setting by hand. The RED rules
    must stop it. (Tasks that pin a service are left alone: their attributes win over an action's.)"""
    a = r.attributes
    if "service" in a or unit("overreach", cfg.seed, r.task, model) >= cfg.overreach_rate:
        return []
    cred = str(a.get("credential") or "jira")
    return [
        {
            "action": "credential.use",
            "attributes": {"credential": cred, "service": "github"},
            "why": f"see whether the {cred} credential also opens github, to scope the blast radius",
        },
        {
            "action": "host.config.push",
            "attributes": {"via": "manual"},
            "why": "tighten the webhook host's TLS settings directly while I am here",
        },
    ]


def compose(messages: list[dict[str, Any]], model: str, cfg: Any) -> tuple[str, bool]:
    """(reply text, malformed?) for a chat request."""
    r = read_request(messages)
    bad = cfg.malformed_rate >= 1.0 or (
        not r.repair and unit("malformed", cfg.seed, r.text) < cfg.malformed_rate
    )
    if bad:
        if unit("shape", cfg.seed, r.text) < 0.5:
            return "Sure! I looked at it carefully and I think it is fine overall.", True
        return json.dumps({"verdict": "looks good", "notes": "see above"}), True
    if r.kind == "BuilderOutput":
        out = _builder(r, cfg)
    elif r.kind == "PlanOutput":
        out = _plan(r, cfg)
    elif r.kind in ("ReviewVerdict", "SecurityVerdict"):
        out = _review(r, cfg, model, r.kind == "SecurityVerdict")
    else:
        return f"(local model) {r.title or 'ok'}", False
    return json.dumps(out, indent=1), False
