"""The built-in rule ids: the one home of every id org itself (not the org's YAML) answers with.

Every refusal, escalation and event names the rule behind it. Rules an org writes carry the ids of
its `gates/rules.yaml`; the ones below are org's own. Nothing else in the code spells one of these
ids: it imports the constant (a test fails on the literal anywhere else).

| id                         | what it protects                                                 | where it is enforced |
|----------------------------|------------------------------------------------------------------|----------------------|
| ORG-UNKNOWN-ACTOR          | only members of a lane act (invariant 1)                         | engine.policy, engine.duties, bus.decisions |
| ORG-BAD-ATTRIBUTE          | a value outside its declared type or values is never compared    | engine.policy (engine.conditions coerces)  |
| ORG-CREDENTIAL-UNAVAILABLE | an unknown credential is refused without naming the known ones   | engine.policy |
| ORG-ATTRIBUTE-CONFLICT     | an action contradicting too many of its task's attributes        | engine.policy (decide_within) |
| ORG-REJECTED-BY-HUMAN      | a human's rejection of an action stands on that revision         | bus.decisions (act) |
| ORG-HUMAN-APPROVAL         | approvals, rejections and resumes come from humans (invariant 3) | engine.duties, engine.flow, bus.decisions, identity.guard, tui.principal |
| ORG-SEPARATION-OF-DUTIES   | an author never reviews or approves its own work (invariant 5)   | engine.duties, engine.binding, bus.claims, bus.decisions |
| ORG-CROSS-VENDOR           | a cross-vendor review comes from another family (invariant 6)    | engine.duties, bus.claims |
| ORG-STALE-REVISION         | reviews and approvals bind to a revision (invariant 7)           | engine.flow, engine.pipeline, bus.decisions |
| ORG-CONTENT-BINDING        | `done` only on the revision every control passed (invariant 4)   | engine.binding (terminal re-check) |
| ORG-REVISION-REUSED        | new work never takes the id of a revision another gate delivered | engine.flow (ADR 0070) |
| ORG-BAD-ACTION             | an action has one spelling; look-alikes and invisibles are no action | engine.policy (ADR 0071) |
| ORG-MISSING-FACTS          | an action missing too many facts it requires to read at their worst | engine.policy (ADR 0071) |
| ORG-REQUIRED-GATE          | `done` only after every gate its tier requires (invariant 4)     | engine.binding (terminal re-check) |
| ORG-PINNED-GATE-MISSING    | a pinned required gate cannot vanish from the workflow           | engine.binding (terminal re-check) |
| ORG-POLICY-PINNED          | a task runs under the policy it started with (invariant 9)       | engine.flow, engine.duties |
| ORG-NO-GATE                | work happens only at a gate of the task's workflow               | engine.duties |
| ORG-TASK-CLOSED            | a closed task takes no more work                                 | engine.duties, engine.flow |
| ORG-GATE-NOT-READY         | a gate is worked only once the gates before it passed            | engine.duties, engine.flow, engine.pipeline |
| ORG-WRONG-LANE             | a gate is worked only by a member of the lane holding it         | engine.duties, bus.claims |
| ORG-ONE-REVIEW-EACH        | one reviewer gives one review of a revision at a gate (quorum)   | engine.duties, engine.flow, bus.claims |
| ORG-LANE-MODEL             | an agent works only with a model its lane (as pinned) may call   | engine.duties (ADR 0120), gateway |
| ORG-INELIGIBLE             | a claim the engine refused for a reason it did not name          | bus.claims |
| ORG-AUTHENTICATION         | every bus command proves who acts (a token)                      | identity.tokens, identity.guard |
| ORG-TOKEN-SCOPE            | a token acts only within its kind, job, task and lane's actions  | identity.guard, cli.workspace_cmds |
| ORG-GATE-SCOPE             | a job token takes only its gate's actions (and an approved plan's) | bus.decisions (act; ADR 0110) |
| ORG-UNAPPROVED-PLAN        | an allow resting on a plan no human approved needs a human | bus.decisions (act; ADR 0167) |
| ORG-HUMAN-ISSUER           | only a human's token issues, lists or revokes tokens             | cli.identity_cmds (through identity.guard) |
| ORG-KEEP-A-RESUMER         | no pause or revocation leaves the org without a human to resume  | identity.tokens, bus.switches |
| ORG-REVISION-UNCHECKED     | a repository task's work counts only as the commit org checked   | bus.repofacts |
| ORG-PROTECTED-PATH         | no agent changes a protected path (a human only on the high tier)| workspaces.diffguard |
| ORG-GOLDEN-FILE            | an existing golden file is never modified or deleted             | workspaces.diffguard |
| ORG-MAX-DIFF               | a revision stays within max_diff's files and lines               | workspaces.diffguard |
| ORG-PATH-ESCAPE            | no path or symlink leads outside the worktree                    | workspaces.diffguard |
| ORG-SUBMODULE              | no submodule (gitlink) or .gitmodules change                     | workspaces.diffguard |
| ORG-GIT-PATH               | no change inside a .git folder (git's own files)                 | workspaces.diffguard |
| ORG-SECRET-IN-DIFF         | no known secret or token-shaped string is added                  | workspaces.diffguard |
| ORG-DIFF-TOO-LARGE         | a diff too large to check is refused, not skipped                | workspaces.diffguard |
| ORG-BINARY-FILE            | no content a diff cannot show (binary) enters outside `binary:`   | workspaces.diffguard |
| ORG-UNSEEN-CONTENT         | no agent passes a revision whose diff it was not shown whole     | workspaces.service |
| ORG-NO-TEST-COMMAND        | a repository's tests gate never passes without a test command    | workspaces.pipeline |
| ORG-TESTS-FAILED           | a revision whose tests fail does not pass the tests gate         | workspaces.pipeline |
| ORG-NO-SANDBOX             | agent-written code never runs unsandboxed unless the repo says so | workspaces.commands |
| ORG-MERGE-CONFLICT         | only a clean merge of the checked revision reaches the target    | workspaces.pipeline |
| ORG-MERGE-FAILED           | a merge that did not complete is never recorded as merged        | workspaces.pipeline |
| LANE-<LANE>-MAY-NOT        | a lane never takes an action its `may_not` names (lane_may_not) | engine.policy |
| LANE-<LANE>-MAY            | a lane takes only the actions its `may` names (lane_may)        | engine.policy |
| ADR-UNREADABLE             | an accepted ADR that does not parse is not silently skipped      | adrs.check |
| ADR-NNNN                   | an accepted ADR's constraints hold (org.adrs.model.adr_id)       | adrs.check |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from org.config.loader import OrgConfig

__all__ = [
    "known",
    "UNKNOWN_ACTOR",
    "BAD_ATTRIBUTE",
    "CREDENTIAL_UNAVAILABLE",
    "ATTRIBUTE_CONFLICT",
    "REJECTED_BY_HUMAN",
    "HUMAN_APPROVAL",
    "SEPARATION_OF_DUTIES",
    "CROSS_VENDOR",
    "STALE_REVISION",
    "CONTENT_BINDING",
    "REVISION_REUSED",
    "BAD_ACTION",
    "MISSING_FACTS",
    "REQUIRED_GATE",
    "PINNED_GATE_MISSING",
    "POLICY_PINNED",
    "NO_GATE",
    "TASK_CLOSED",
    "GATE_NOT_READY",
    "WRONG_LANE",
    "ONE_REVIEW_EACH",
    "LANE_MODEL",
    "INELIGIBLE",
    "AUTHENTICATION",
    "TOKEN_SCOPE",
    "GATE_SCOPE",
    "UNAPPROVED_PLAN",
    "HUMAN_ISSUER",
    "KEEP_A_RESUMER",
    "REVISION_UNCHECKED",
    "PROTECTED_PATH",
    "GOLDEN_FILE",
    "MAX_DIFF",
    "PATH_ESCAPE",
    "SUBMODULE",
    "GIT_PATH",
    "SECRET_IN_DIFF",
    "DIFF_TOO_LARGE",
    "BINARY_FILE",
    "UNSEEN_CONTENT",
    "NO_TEST_COMMAND",
    "TESTS_FAILED",
    "NO_SANDBOX",
    "MERGE_CONFLICT",
    "MERGE_FAILED",
    "ADR_UNREADABLE",
    "lane_may_not",
    "lane_may",
    "BUILT_IN",
]

UNKNOWN_ACTOR = "ORG-UNKNOWN-ACTOR"
BAD_ATTRIBUTE = "ORG-BAD-ATTRIBUTE"
CREDENTIAL_UNAVAILABLE = "ORG-CREDENTIAL-UNAVAILABLE"
ATTRIBUTE_CONFLICT = "ORG-ATTRIBUTE-CONFLICT"
REJECTED_BY_HUMAN = "ORG-REJECTED-BY-HUMAN"
HUMAN_APPROVAL = "ORG-HUMAN-APPROVAL"
SEPARATION_OF_DUTIES = "ORG-SEPARATION-OF-DUTIES"
CROSS_VENDOR = "ORG-CROSS-VENDOR"
STALE_REVISION = "ORG-STALE-REVISION"
CONTENT_BINDING = "ORG-CONTENT-BINDING"
REVISION_REUSED = "ORG-REVISION-REUSED"
BAD_ACTION = "ORG-BAD-ACTION"
MISSING_FACTS = "ORG-MISSING-FACTS"
REQUIRED_GATE = "ORG-REQUIRED-GATE"
PINNED_GATE_MISSING = "ORG-PINNED-GATE-MISSING"
POLICY_PINNED = "ORG-POLICY-PINNED"
NO_GATE = "ORG-NO-GATE"
TASK_CLOSED = "ORG-TASK-CLOSED"
GATE_NOT_READY = "ORG-GATE-NOT-READY"
WRONG_LANE = "ORG-WRONG-LANE"
ONE_REVIEW_EACH = "ORG-ONE-REVIEW-EACH"
LANE_MODEL = "ORG-LANE-MODEL"
INELIGIBLE = "ORG-INELIGIBLE"
AUTHENTICATION = "ORG-AUTHENTICATION"
TOKEN_SCOPE = "ORG-TOKEN-SCOPE"
GATE_SCOPE = "ORG-GATE-SCOPE"
UNAPPROVED_PLAN = "ORG-UNAPPROVED-PLAN"  # an allow resting on a plan no human approved needs one
HUMAN_ISSUER = "ORG-HUMAN-ISSUER"
KEEP_A_RESUMER = "ORG-KEEP-A-RESUMER"
REVISION_UNCHECKED = "ORG-REVISION-UNCHECKED"
PROTECTED_PATH = "ORG-PROTECTED-PATH"
GOLDEN_FILE = "ORG-GOLDEN-FILE"
MAX_DIFF = "ORG-MAX-DIFF"
PATH_ESCAPE = "ORG-PATH-ESCAPE"
SUBMODULE = "ORG-SUBMODULE"
GIT_PATH = "ORG-GIT-PATH"
SECRET_IN_DIFF = "ORG-SECRET-IN-DIFF"
DIFF_TOO_LARGE = "ORG-DIFF-TOO-LARGE"
BINARY_FILE = "ORG-BINARY-FILE"
UNSEEN_CONTENT = "ORG-UNSEEN-CONTENT"
NO_TEST_COMMAND = "ORG-NO-TEST-COMMAND"
TESTS_FAILED = "ORG-TESTS-FAILED"
NO_SANDBOX = "ORG-NO-SANDBOX"
MERGE_CONFLICT = "ORG-MERGE-CONFLICT"
MERGE_FAILED = "ORG-MERGE-FAILED"
ADR_UNREADABLE = "ADR-UNREADABLE"


def lane_may_not(lane: str) -> str:
    """The id of a lane's `may_not` refusal: LANE-BUILDER-MAY-NOT."""
    return f"LANE-{lane.upper()}-MAY-NOT"


def lane_may(lane: str) -> str:
    """The id of a lane's `may` refusal (the action is not among those it may take): LANE-BUILDER-MAY."""
    return f"LANE-{lane.upper()}-MAY"


BUILT_IN = frozenset(v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str) and "-" in v)


def known(cfg: OrgConfig) -> frozenset[str]:
    """Every rule id a decision under `cfg` can name: org's built-in ids, the ids of its gates/rules.yaml and
    risk classification, and each lane's may/may-not ids. Any other id (a caller's ledger entry) is no rule."""
    lanes = {f(lane) for lane in cfg.lanes for f in (lane_may, lane_may_not)}
    return BUILT_IN | {r.spec.id for r in cfg.rules} | {c.id for c in cfg.risk.classify} | lanes
