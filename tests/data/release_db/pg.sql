--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: org_release_before; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA org_release_before;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: approvals; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.approvals (
    id integer NOT NULL,
    task character varying(32),
    kind character varying(16) NOT NULL,
    subject character varying(128) NOT NULL,
    lane character varying(64),
    revision character varying(64),
    status character varying(16) NOT NULL,
    requested_by character varying(128),
    requested_at double precision NOT NULL,
    decided_by character varying(128),
    decided_at double precision,
    note character varying,
    reason character varying NOT NULL,
    rules character varying NOT NULL,
    job bigint
);


--
-- Name: approvals_id_seq; Type: SEQUENCE; Schema: org_release_before; Owner: -
--

CREATE SEQUENCE org_release_before.approvals_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: approvals_id_seq; Type: SEQUENCE OWNED BY; Schema: org_release_before; Owner: -
--

ALTER SEQUENCE org_release_before.approvals_id_seq OWNED BY org_release_before.approvals.id;


--
-- Name: audit_head; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.audit_head (
    id integer NOT NULL,
    seq bigint NOT NULL,
    hash bytea NOT NULL
);


--
-- Name: bus_meta; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.bus_meta (
    key character varying(64) NOT NULL,
    value character varying NOT NULL
);


--
-- Name: config_pins; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.config_pins (
    config_hash character varying(64) NOT NULL,
    files character varying NOT NULL,
    created_at double precision NOT NULL
);


--
-- Name: events; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.events (
    seq bigint NOT NULL,
    task character varying(32),
    type character varying(48) NOT NULL,
    body bytea NOT NULL,
    hash bytea NOT NULL
);


--
-- Name: jobs; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.jobs (
    id bigint NOT NULL,
    task character varying(32),
    gate character varying(64),
    lane character varying(64) NOT NULL,
    kind character varying(16) NOT NULL,
    status character varying(16) NOT NULL,
    priority integer NOT NULL,
    round integer NOT NULL,
    slot integer NOT NULL,
    revision character varying(64),
    excluded character varying NOT NULL,
    attempts integer NOT NULL,
    max_attempts integer NOT NULL,
    fence integer NOT NULL,
    token character varying(64),
    leased_by character varying(128),
    lease_seconds double precision NOT NULL,
    lease_expires double precision,
    posted_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    verdict character varying(16),
    result character varying,
    payload character varying,
    reason character varying
);


--
-- Name: jobs_id_seq; Type: SEQUENCE; Schema: org_release_before; Owner: -
--

CREATE SEQUENCE org_release_before.jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: jobs_id_seq; Type: SEQUENCE OWNED BY; Schema: org_release_before; Owner: -
--

ALTER SEQUENCE org_release_before.jobs_id_seq OWNED BY org_release_before.jobs.id;


--
-- Name: lane_signals; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.lane_signals (
    lane character varying(64) NOT NULL,
    version integer NOT NULL
);


--
-- Name: leases; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.leases (
    id bigint NOT NULL,
    job bigint NOT NULL,
    fence integer NOT NULL,
    actor character varying(128) NOT NULL,
    granted_at double precision NOT NULL,
    expires_at double precision NOT NULL,
    heartbeat_at double precision,
    ended_at double precision,
    outcome character varying(16) NOT NULL
);


--
-- Name: leases_id_seq; Type: SEQUENCE; Schema: org_release_before; Owner: -
--

CREATE SEQUENCE org_release_before.leases_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: leases_id_seq; Type: SEQUENCE OWNED BY; Schema: org_release_before; Owner: -
--

ALTER SEQUENCE org_release_before.leases_id_seq OWNED BY org_release_before.leases.id;


--
-- Name: org_auth_failures; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.org_auth_failures (
    key character varying(200) NOT NULL,
    first_at double precision NOT NULL,
    last_at double precision NOT NULL,
    failures integer NOT NULL
);


--
-- Name: org_tokens; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.org_tokens (
    id character varying(32) NOT NULL,
    kind character varying(16) NOT NULL,
    principal character varying(128) NOT NULL,
    principal_kind character varying(16) NOT NULL,
    salt character varying(64) NOT NULL,
    hash character varying(128) NOT NULL,
    created_at double precision NOT NULL,
    created_by character varying(128),
    expires_at double precision,
    revoked_at double precision,
    revoked_by character varying(128),
    note text,
    job bigint,
    fence integer,
    fence_token character varying(64),
    task character varying(32),
    gate character varying(64),
    lane character varying(64),
    actions text
);


--
-- Name: rate_budgets; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.rate_budgets (
    provider character varying(128) NOT NULL,
    capacity double precision NOT NULL,
    tokens double precision NOT NULL,
    refill_per_s double precision NOT NULL,
    updated_at double precision NOT NULL
);


--
-- Name: switches; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.switches (
    id integer NOT NULL,
    scope character varying(16) NOT NULL,
    target character varying(128) NOT NULL,
    active boolean NOT NULL,
    paused_by character varying(128) NOT NULL,
    paused_at double precision NOT NULL,
    note character varying,
    resumed_by character varying(128),
    resumed_at double precision,
    resume_note character varying
);


--
-- Name: switches_id_seq; Type: SEQUENCE; Schema: org_release_before; Owner: -
--

CREATE SEQUENCE org_release_before.switches_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: switches_id_seq; Type: SEQUENCE OWNED BY; Schema: org_release_before; Owner: -
--

ALTER SEQUENCE org_release_before.switches_id_seq OWNED BY org_release_before.switches.id;


--
-- Name: tasks; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.tasks (
    id integer NOT NULL,
    key character varying(32) NOT NULL,
    title character varying NOT NULL,
    workflow character varying(64) NOT NULL,
    tier character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    config_hash character varying(64) NOT NULL,
    created_by character varying(128),
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    last_event_at double precision NOT NULL,
    idempotency_key character varying(200),
    attributes character varying NOT NULL,
    revision character varying(64),
    rounds integer NOT NULL,
    escalation character varying,
    last_seq integer NOT NULL
);


--
-- Name: tasks_id_seq; Type: SEQUENCE; Schema: org_release_before; Owner: -
--

CREATE SEQUENCE org_release_before.tasks_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: tasks_id_seq; Type: SEQUENCE OWNED BY; Schema: org_release_before; Owner: -
--

ALTER SEQUENCE org_release_before.tasks_id_seq OWNED BY org_release_before.tasks.id;


--
-- Name: usage; Type: TABLE; Schema: org_release_before; Owner: -
--

CREATE TABLE org_release_before.usage (
    id bigint NOT NULL,
    ts double precision NOT NULL,
    actor character varying(128) NOT NULL,
    lane character varying(64),
    task character varying(32),
    workflow character varying(64),
    gate character varying(64),
    job bigint,
    model character varying(200) NOT NULL,
    vendor character varying(64),
    family character varying(64),
    tokens_in integer NOT NULL,
    tokens_out integer NOT NULL,
    cost_usd double precision,
    latency_ms double precision NOT NULL,
    outcome character varying(32) NOT NULL
);


--
-- Name: usage_id_seq; Type: SEQUENCE; Schema: org_release_before; Owner: -
--

CREATE SEQUENCE org_release_before.usage_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: usage_id_seq; Type: SEQUENCE OWNED BY; Schema: org_release_before; Owner: -
--

ALTER SEQUENCE org_release_before.usage_id_seq OWNED BY org_release_before.usage.id;


--
-- Name: approvals id; Type: DEFAULT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.approvals ALTER COLUMN id SET DEFAULT nextval('org_release_before.approvals_id_seq'::regclass);


--
-- Name: jobs id; Type: DEFAULT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.jobs ALTER COLUMN id SET DEFAULT nextval('org_release_before.jobs_id_seq'::regclass);


--
-- Name: leases id; Type: DEFAULT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.leases ALTER COLUMN id SET DEFAULT nextval('org_release_before.leases_id_seq'::regclass);


--
-- Name: switches id; Type: DEFAULT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.switches ALTER COLUMN id SET DEFAULT nextval('org_release_before.switches_id_seq'::regclass);


--
-- Name: tasks id; Type: DEFAULT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.tasks ALTER COLUMN id SET DEFAULT nextval('org_release_before.tasks_id_seq'::regclass);


--
-- Name: usage id; Type: DEFAULT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.usage ALTER COLUMN id SET DEFAULT nextval('org_release_before.usage_id_seq'::regclass);


--
-- Data for Name: approvals; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.approvals VALUES (1, 'T-1', 'gate', 'approval', 'approver', '32e43a8100ad3ab8', 'granted', NULL, 1796604040.4516268, 'alice', 1796604040.4946935, NULL, 'approval gate ''approval'' of a high-tier change task', '[]', NULL);
INSERT INTO org_release_before.approvals VALUES (2, 'T-3', 'action', 'credential.use', NULL, '51b0c5d87447c43d', 'pending', 'ops-gpt', 1796604040.595309, NULL, NULL, NULL, 'needs approval by a human who is not an author: Credential-bearing actions need a human', '["CONSEQ-CREDENTIAL"]', NULL);


--
-- Data for Name: audit_head; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.audit_head VALUES (1, 67, '\x9d73386097d8615b88b96fdf216d9e60fca3f0e13918f498d6db9baba89bfe59');


--
-- Data for Name: bus_meta; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.bus_meta VALUES ('schema_version', '2');
INSERT INTO org_release_before.bus_meta VALUES ('created_at', '1796604039.2684534');
INSERT INTO org_release_before.bus_meta VALUES ('identity_schema', '3');


--
-- Data for Name: config_pins; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.config_pins VALUES ('0b5004fe775790ca', '{"gates/change.yaml": "# A code change: spec, implement, correctness and security review in parallel (both must\n# pass: a join), design review, eligibility, human approval, done. Lower tiers skip what\n# they do not need; skipped gates are recorded as skipped, never as passed.\nworkflow: change\ndescription: A change to code or docs, from spec to merge-ready.\ngates:\n  spec:\n    kind: work\n    lane: builder\n    tiers: [medium, high]\n    description: Write down what will change and why.\n    action: spec.write\n  implement:\n    kind: work\n    lane: builder\n    after: [spec]\n    description: Make the change on the builder''s own branch.\n    action: code.write\n  correctness:\n    kind: review\n    lane: reviewer\n    after: [implement]\n    quorum: 1\n    cross_vendor: true\n    on_fail: implement\n    adrs: [4]\n    description: Does it do what the spec says? Reviewed by another model family.\n  security:\n    kind: review\n    lane: security\n    after: [implement]\n    cross_vendor: true\n    on_fail: implement\n    tiers: [medium, high]\n    description: Security review, in parallel with correctness.\n  design:\n    kind: review\n    lane: reviewer\n    after: [correctness, security]\n    cross_vendor: true\n    on_fail: implement\n    tiers: [high]\n    description: Does it fit the architecture and the accepted ADRs?\n  eligibility:\n    kind: check\n    check: eligibility\n    after: [design]\n    description: Separation of duties, cross-vendor quorum, content binding and ADR constraints hold.\n  approval:\n    kind: approval\n    lane: approver\n    after: [eligibility]\n    tiers: [high]\n    adrs: [5]\n    description: A human who is not an author approves.\n  done:\n    kind: terminal\n    after: [approval]\nlimits:\n  max_rework_rounds: 3\n  no_progress_seconds: 3600\n  budget_usd: 5\n", "gates/credentials.yaml": "# Credentials are declared by name with the service they belong to and where the secret\n# lives. The secret itself never appears here, in events, logs, prompts or output.\ncredentials:\n  github: {service: github, env: ORG_SECRET_GITHUB, description: Push branches and open pull requests.}\n  jira: {service: jira, env: ORG_SECRET_JIRA, description: File and update tickets.}\n  prod-db: {service: prod-db, env: ORG_SECRET_PROD_DB, description: Production database migrations.}\n  deploy-key: {service: deploy, env: ORG_SECRET_DEPLOY, description: The deploy pipeline.}\n", "gates/ops.yaml": "# Operational actions. Low-risk work (rebuilding a disposable dev environment) takes the\n# light path: plan, eligibility check, execute. Production and credential-bearing work gets a\n# cross-vendor security review and a human approval before anything runs.\nworkflow: ops\ndescription: An operational action such as a deploy, a migration or an environment rebuild.\ngates:\n  plan:\n    kind: work\n    lane: operator\n    description: Say exactly what will be done, where, with which credential.\n    action: ops.plan\n  review:\n    kind: review\n    lane: security\n    after: [plan]\n    cross_vendor: true\n    on_fail: plan\n    tiers: [medium, high]\n    description: Security review of the plan by another model family.\n  eligibility:\n    kind: check\n    check: eligibility\n    after: [review]\n  approval:\n    kind: approval\n    lane: approver\n    after: [eligibility]\n    tiers: [high]\n    adrs: [5]\n  execute:\n    kind: work\n    lane: operator\n    after: [approval]\n    description: Carry out the approved plan; every action still goes through decide().\n    action: ops.execute\n    carries_out: plan    # keeps the approved plan''s revision: it delivers no new content (ADR 0070)\n  done:\n    kind: terminal\n    after: [execute]\nlimits:\n  max_rework_rounds: 2\n  no_progress_seconds: 1800\n  budget_usd: 2\n", "gates/risk.yaml": "# Risk tiers, lowest first. Each tier names the controls every workflow must enforce at it;\n# `org validate` proves that none can be bypassed. The highest matching rule sets the tier.\nrisk:\n  tiers:\n    - id: low\n      requires: [check]\n      description: Disposable or cosmetic work; the light path.\n    - id: medium\n      requires: [review, check]\n      description: Ordinary changes; cross-vendor review.\n    - id: high\n      requires: [review, check, approval]\n      description: Production, irreversible or credential-bearing; a human approves.\n  default: medium\n  classify:\n    - id: RISK-DOCS\n      tier: low\n      title: Documentation-only changes\n      when: {attr: kind, eq: docs}\n    - id: RISK-DISPOSABLE-DEV\n      tier: low\n      title: Disposable dev environments\n      when:\n        all:\n          - {attr: environment, eq: dev}\n          - {attr: disposable, eq: true}\n    - id: RISK-PRODUCTION\n      tier: high\n      title: Anything that touches production\n      when: {attr: environment, eq: production}\n    - id: RISK-IRREVERSIBLE\n      tier: high\n      title: Irreversible actions\n      when: {attr: irreversible, eq: true}\n    - id: RISK-CREDENTIAL\n      tier: high\n      title: Credential-bearing work outside dev\n      when:\n        all:\n          - {attr: credential, exists: true}\n          - {attr: environment, ne: dev}\n", "gates/rules.yaml": "# Rules bind every lane and every actor, the security lane included. There is no way to\n# exempt anyone: conditions may read what is being done, never who is doing it.\n\n# The attributes rules and risk classification may read (checked by `org validate`).\nattributes:\n  environment: {type: str, values: [dev, staging, production], description: Where the action takes effect.}\n  disposable: {type: bool, description: \"The target can be thrown away and rebuilt, e.g. a dev environment.\"}\n  irreversible: {type: bool, description: \"Cannot be undone: data deletion, a sent message, a release.\"}\n  credential: {type: str, description: Name of the credential the action uses (resolved by the broker).}\n  service: {type: str, description: The service the action talks to.}\n  via: {type: str, values: [pipeline, manual, agent], description: The path a change takes to a host.}\n  kind: {type: str, values: [code, docs, deploy, env, config, migration, ops], description: What sort of work.}\n\n# RED: denied for everyone, always; no approval overrides them.\nred:\n  - id: RED-CREDENTIAL-REUSE\n    title: A credential is used only for the service it belongs to\n    reason: using one service''s credential for another service is never allowed\n    when:\n      all:\n        - {attr: credential, exists: true}\n        - {attr: credential_service, ne_attr: service}\n    adr: 6\n  - id: RED-HOST-CONFIG-OUTSIDE-PIPELINE\n    title: Host configuration changes only through the pipeline\n    reason: host configuration is pushed only through the pipeline\n    actions: [host.config.*]\n    when: {attr: via, ne: pipeline}\n    adr: 7\n  - id: RED-SECRET-REVEAL\n    title: Secrets are never revealed to an actor\n    reason: no actor may read or print a secret; actions name credentials and the broker uses them\n    actions: [secret.read, secret.print, credential.reveal]\n\n# Consequential: allowed only with the approval of a human who is not an author.\nconsequential:\n  - id: CONSEQ-IRREVERSIBLE\n    title: Irreversible actions need a human\n    when: {attr: irreversible, eq: true}\n    adr: 5\n  - id: CONSEQ-CREDENTIAL\n    title: Credential-bearing actions need a human\n    when:\n      all:\n        - {attr: credential, exists: true}\n        - {attr: environment, ne: dev}\n    adr: 5\n  - id: CONSEQ-PRODUCTION\n    title: Production changes need a human\n    when: {attr: environment, eq: production}\n    adr: 5\n", "lanes/approver.yaml": "# Humans approve irreversible, credential-bearing and production work. An approver is never\n# an author of what they approve; their tokens never reach an agent.\nlane: approver\nkind: human\npurpose: Approves or rejects consequential work with a note; can pause anyone.\nmay:\n  - approve\n  - reject\n  - pause\n  - resume\n  - task.add\n  - code.read\nmay_not:\n  - code.write\n  - branch.push\nmembers:\n  - {id: alice, name: Alice Example}\n  - {id: bob, name: Bob Example}\n", "lanes/builder.yaml": "# The builder lane writes the change on its own branch. It never merges, never reviews and\n# never approves: the hand that writes is never the hand that checks.\nlane: builder\nkind: agent\npurpose: Writes specs, code and operational plans on its own branch; never merges or approves.\nmay:\n  - spec.write\n  - code.write\n  - code.commit\n  - branch.push          # its own branch only; merging belongs to the pipeline after approval\n  - test.run\n  - docs.write\n  - pr.open\n  - credential.use       # by name, through the broker; RED rules still apply\nmay_not:\n  - branch.merge\n  - review.file\n  - approve\n  - deploy.*\n  - host.config.*\nmembers:\n  - {id: build-claude, model: anthropic/claude-sonnet-4-5}\n  - {id: build-gpt, model: openai/gpt-5}\nconcurrency: 2\nbudget: {usd: 20}\n", "lanes/operator.yaml": "# The operator lane plans and carries out operational work (deploys, environment rebuilds,\n# migrations). Consequential actions wait for a human; RED rules deny outright.\nlane: operator\nkind: agent\npurpose: Plans and executes operational actions once the gates allow them.\nmay:\n  - ops.plan\n  - ops.execute          # carry out an approved plan (the ops workflow''s execute gate)\n  - env.rebuild\n  - deploy.*\n  - db.migrate\n  - service.restart\n  - host.config.push\n  - credential.use\nmay_not:\n  - code.write\n  - branch.merge\n  - review.file\n  - approve\nmembers:\n  - {id: ops-claude, model: anthropic/claude-sonnet-4-5}\n  - {id: ops-gpt, model: openai/gpt-5-mini}\nconcurrency: 2\nbudget: {usd: 10}\n", "lanes/reviewer.yaml": "# The reviewer lane checks correctness and design. It files findings; it never rewrites the\n# work under review. Its members span several model families so that a review can always\n# come from a family other than the author''s.\nlane: reviewer\nkind: agent\npurpose: Checks correctness and design without rewriting the work under review.\nmay:\n  - review.file\n  - code.read\n  - test.run\nmay_not:\n  - code.write\n  - code.commit\n  - branch.push\n  - branch.merge\n  - approve\nmembers:\n  - {id: rev-gpt, model: openai/gpt-5-mini}\n  - {id: rev-gemini, model: gemini/gemini-2.5-pro}\n  - {id: rev-claude, model: anthropic/claude-haiku-4-5}\nconcurrency: 3\nbudget: {usd: 10}\n", "lanes/security.yaml": "# The security lane reviews for security and may veto. It is itself gated: the RED rules\n# bind it exactly like everyone else (the gate catches the enforcer).\nlane: security\nkind: agent\npurpose: Reviews every change for security and can veto it; bound by the same RED rules as everyone.\nmay:\n  - review.file\n  - security.veto\n  - code.read\n  - scan.run\n  - credential.use       # e.g. to run a scanner; reuse across services is still RED\n  - host.config.push     # only through the pipeline; RED-HOST-CONFIG-OUTSIDE-PIPELINE applies\n  - secret.rotate\nmay_not:\n  - code.write\n  - code.commit\n  - branch.merge\n  - approve\nmembers:\n  - {id: sec-gemini, model: gemini/gemini-2.5-flash}\n  - {id: sec-claude, model: anthropic/claude-sonnet-4-5}\n  - {id: sec-gpt, model: openai/gpt-5}\nconcurrency: 2\nbudget: {usd: 10}\n"}', 1796604040.026855);


--
-- Data for Name: events; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.events VALUES (1, NULL, 'token.issued', '\x311f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a22616c696365222c227072696e636970616c5f6b696e64223a2268756d616e222c22746f6b656e5f6964223a2239343962666136646630356462376238227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a33392e3837333239395a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d', '\xfafa78a7f1cf60e3eeb7d20c99624694f259405663d89ba6c6cc650ced1d6cad');
INSERT INTO org_release_before.events VALUES (2, NULL, 'token.issued', '\x321f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a22626f62222c227072696e636970616c5f6b696e64223a2268756d616e222c22746f6b656e5f6964223a2262353735623663343034366137303538227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a33392e3931303537335a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d', '\x117e5dc8828e2c33e6b121c315dce35fbab542b57ea89222e39965f9c19bb73c');
INSERT INTO org_release_before.events VALUES (3, NULL, 'token.issued', '\x331f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a226275696c642d636c61756465222c227072696e636970616c5f6b696e64223a226167656e74222c22746f6b656e5f6964223a2231346431346130366566396631393533227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a33392e3932333133355a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d', '\xe3fd669febbbb5b7a80d59966031840fd1761292ce7becc2e6dad07e577ae031');
INSERT INTO org_release_before.events VALUES (4, NULL, 'token.issued', '\x341f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a226f70732d636c61756465222c227072696e636970616c5f6b696e64223a226167656e74222c22746f6b656e5f6964223a2239393061303261333330633837626535227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a33392e3934363531395a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d', '\x08c558c9d9c67ddd4d8600b494b5bf124c2f3e138c65648b32e8a5c1676d4c3d');
INSERT INTO org_release_before.events VALUES (5, NULL, 'token.issued', '\x351f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a227265762d677074222c227072696e636970616c5f6b696e64223a226167656e74222c22746f6b656e5f6964223a2232326532326231636463353636363361227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a33392e3936343530385a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d', '\x0c307c04233cbdb4f99bf6a967eebad56c19c1b33932292670e09fac72bc0da7');
INSERT INTO org_release_before.events VALUES (6, NULL, 'token.revoked', '\x361f1f746f6b656e2e7265766f6b65641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b227072696e636970616c223a227265762d677074222c22746f6b656e5f6964223a2232326532326231636463353636363361227d2c226465636973696f6e223a227265766f6b65222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a6e756c6c2c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a33392e3936363833385a222c2274797065223a22746f6b656e2e7265766f6b6564222c2276223a317d', '\xf480ad7077c878bdf5c20345e1d574359ad946d6e26615b9edf0424930eb5370');
INSERT INTO org_release_before.events VALUES (7, 'T-1', 'task.created', '\x371f542d311f7461736b2e637265617465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b2261747472696275746573223a7b22656e7669726f6e6d656e74223a2270726f64756374696f6e227d2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c226761746573223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c2264657369676e222c22656c69676962696c697479222c22617070726f76616c222c22646f6e65225d2c227265717569726564223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c2264657369676e222c22656c69676962696c697479222c22617070726f76616c225d2c2274696572223a2268696768222c22746965725f726561736f6e223a225249534b2d50524f44554354494f4e3a20416e797468696e67207468617420746f75636865732070726f64756374696f6e222c22746965725f72756c6573223a5b225249534b2d50524f44554354494f4e225d2c22746965725f736f7572636573223a5b2267617465732f7269736b2e79616d6c3a3237225d2c227469746c65223a22466978206c6f67696e222c22776f726b666c6f77223a226368616e6765222c22776f726b666c6f775f736f75726365223a2267617465732f6368616e67652e79616d6c3a34227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a2268756d616e222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b225249534b2d50524f44554354494f4e225d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3032363835355a222c2274797065223a227461736b2e63726561746564222c2276223a317d', '\xdaa7b8f4915ab08c6a934ad90c475329616326cc9956756fbeafcf5be38aeb85');
INSERT INTO org_release_before.events VALUES (8, 'T-1', 'gate.ready', '\x381f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2273706563222c226c616e65223a226275696c646572222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2273706563222c226a6f62223a6e756c6c2c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3032363835355a222c2274797065223a22676174652e7265616479222c2276223a317d', '\xf6d145c820b38d7ae5f75b7979b6b40be27833bf68758dccea5ecb4971544a8f');
INSERT INTO org_release_before.events VALUES (9, 'T-1', 'job.posted', '\x391f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22776f726b222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3032363835355a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\xb07e1a89a5a1c14facc5fbc525a4fe3cde9459082975da2aedff2903c64b1b85');
INSERT INTO org_release_before.events VALUES (10, 'T-1', 'job.claimed', '\x31301f542d311f6a6f622e636c61696d65641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a34353a34302e3131343038335a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3131343038335a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d', '\xb680025619c19473b6a0b445f7fb11062ea79ff470626415ac1aef4304e9d58d');
INSERT INTO org_release_before.events VALUES (11, 'T-1', 'job.submitted', '\x31311f542d311f6a6f622e7375626d69747465641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2264326366343638383662646233616333333336663766666431373361343834373934333963383334363032613737663436396432343932376232653833363831222c2266656e6365223a312c227265766973696f6e223a6e756c6c7d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3135333831325a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d', '\x43873cb42b076432c0ea8ba3e2c8e75e087888562556b55ced52d7e43dee8461');
INSERT INTO org_release_before.events VALUES (12, 'T-1', 'work.submitted', '\x31321f542d311f776f726b2e7375626d69747465641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226e6f7465223a22222c227265766973696f6e223a2263393338343732663863353462663362227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3135333831325a222c2274797065223a22776f726b2e7375626d6974746564222c2276223a317d', '\x4102e026dc1e7de46acde0bab8469049d576a0e6c1b5bb1cca0da34be02657a2');
INSERT INTO org_release_before.events VALUES (13, 'T-1', 'gate.passed', '\x31331f542d311f676174652e7061737365641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2273706563222c22726561736f6e223a2264656c697665726564206279206275696c642d636c61756465222c227265766973696f6e223a2263393338343732663863353462663362227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3135333831325a222c2274797065223a22676174652e706173736564222c2276223a317d', '\x4180d20ab4656c4d8cd60c77302a2bec3f1211a277c571e3acba8fada8c48728');
INSERT INTO org_release_before.events VALUES (14, 'T-1', 'gate.ready', '\x31341f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22696d706c656d656e74222c226c616e65223a226275696c646572222c227265766973696f6e223a2263393338343732663863353462663362222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3133227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22696d706c656d656e74222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3135333831325a222c2274797065223a22676174652e7265616479222c2276223a317d', '\x53366ae90bdbf87dc212a1ccb6de096a1612f76abe4eee38ce9669a99a7f74cc');
INSERT INTO org_release_before.events VALUES (15, 'T-1', 'job.posted', '\x31351f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22776f726b222c227265766973696f6e223a2263393338343732663863353462663362222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3133227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3135333831325a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\xa17d7e7571e935d7c2ee254da9fd93d6a61395ef0944ff9755e2f45949c77a36');
INSERT INTO org_release_before.events VALUES (16, 'T-1', 'job.claimed', '\x31361f542d311f6a6f622e636c61696d65641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a34353a34302e3233343133365a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3233343133365a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d', '\xdf73aaf3d372b1f2238bca155b660c3da6e07d6f6bb7a897db8f89b7a5c94a83');
INSERT INTO org_release_before.events VALUES (17, 'T-1', 'job.submitted', '\x31371f542d311f6a6f622e7375626d69747465641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2264326366343638383662646233616333333336663766666431373361343834373934333963383334363032613737663436396432343932376232653833363831222c2266656e6365223a312c227265766973696f6e223a2263393338343732663863353462663362227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3233373935335a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d', '\xdbd7b6e8f55ec2306d226df2acec55f04e20444f7b18de0f98e5140721eefba6');
INSERT INTO org_release_before.events VALUES (67, NULL, 'jobs.posted', '\x36371f1f6a6f62732e706f737465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22636f756e74223a312c226b696e64223a22706c61696e222c2272616e676573223a5b5b31302c31305d5d7d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a31302c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a34302e3637303730345a222c2274797065223a226a6f62732e706f73746564222c2276223a317d', '\x9d73386097d8615b88b96fdf216d9e60fca3f0e13918f498d6db9baba89bfe59');
INSERT INTO org_release_before.events VALUES (18, 'T-1', 'work.submitted', '\x31381f542d311f776f726b2e7375626d69747465641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3233373935335a222c2274797065223a22776f726b2e7375626d6974746564222c2276223a317d', '\xf7b97681b58dec127a2e8c5ac6512fb61b63873100c51b0f37942d36cacf6340');
INSERT INTO org_release_before.events VALUES (19, 'T-1', 'gate.passed', '\x31391f542d311f676174652e7061737365641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22696d706c656d656e74222c22726561736f6e223a2264656c697665726564206279206275696c642d636c61756465222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3233373935335a222c2274797065223a22676174652e706173736564222c2276223a317d', '\xfcb6a4f0f0cf080357939330a3d320530d54686c2e47385536a14d2539b668b9');
INSERT INTO org_release_before.events VALUES (20, 'T-1', 'gate.ready', '\x32301f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22636f72726563746e657373222c226c616e65223a227265766965776572222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3139227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22636f72726563746e657373222c226a6f62223a322c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3233373935335a222c2274797065223a22676174652e7265616479222c2276223a317d', '\x08c1badf0e5ae2898acfeb1d1156f0a7f8d5ce397a49122b033c258062aaca14');
INSERT INTO org_release_before.events VALUES (21, 'T-1', 'gate.ready', '\x32311f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a227365637572697479222c226c616e65223a227365637572697479222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3238227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a227365637572697479222c226a6f62223a322c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3233373935335a222c2274797065223a22676174652e7265616479222c2276223a317d', '\xba439d4419340c9a46a28f62244eefe554071e29b7ab57d92b3ec6bd18a48c2a');
INSERT INTO org_release_before.events VALUES (22, 'T-1', 'job.posted', '\x32321f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22726576696577222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3139227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3233373935335a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\x4f35a05178ede6304f86b07c22912584fcb0e16ef8acc33491136c79f72db911');
INSERT INTO org_release_before.events VALUES (23, 'T-1', 'job.posted', '\x32331f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22726576696577222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3238227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3233373935335a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\xdd96ef3f0fcd782dc23b727667f9def7c5a557c210a2dc0893261e8db6639d04');
INSERT INTO org_release_before.events VALUES (24, 'T-1', 'job.claimed', '\x32341f542d311f6a6f622e636c61696d65641e7b226163746f72223a227265762d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a34353a34302e3330343532325a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a226f70656e6169222c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3330343532325a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d', '\x8cc3dab7ee2bd1b0e43d0f0da4a123f6efdda50855ab666f8fa234e64b92c68d');
INSERT INTO org_release_before.events VALUES (25, 'T-1', 'job.submitted', '\x32351f542d311f6a6f622e7375626d69747465641e7b226163746f72223a227265762d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2264333533623538373361343763383238386239383639333332343230666337643430393433303031396639356231363931633930356533643236613537323166222c2266656e6365223a312c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a226f70656e6169222c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3334353030345a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d', '\x65c71fc7aa30bc5a256f9d5f389b4bbd1ff9bca2044b21ebbdd85e47f627fce8');
INSERT INTO org_release_before.events VALUES (26, 'T-1', 'review.filed', '\x32361f542d311f7265766965772e66696c65641e7b226163746f72223a227265762d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22636f756e7473223a747275652c2263726f73735f76656e646f72223a747275652c2266616d696c79223a226f70656e6169222c2266696e64696e6773223a5b5d2c2267617465223a22636f72726563746e657373222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238222c2276657264696374223a2270617373222c22776879223a22636f756e74733a206e6f7420616e20617574686f722c206f70656e616920646966666572732066726f6d20657665727920617574686f7227732066616d696c79227d2c226465636973696f6e223a2270617373222c2266616d696c79223a226f70656e6169222c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3334353030345a222c2274797065223a227265766965772e66696c6564222c2276223a317d', '\x086df7ea2efd6cea4199e0509f39ea5bccdc01a90aa76594d97014975faa7dba');
INSERT INTO org_release_before.events VALUES (27, 'T-1', 'gate.passed', '\x32371f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22636f72726563746e657373222c22726561736f6e223a2231206f66203120726576696577287329206f6e207265766973696f6e2033326534336138313030616433616238222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3334353030345a222c2274797065223a22676174652e706173736564222c2276223a317d', '\x03f00161602d9ba30bdb4a19d5b67e83e0220b8453cc1124f6731b7cba7e7005');
INSERT INTO org_release_before.events VALUES (28, 'T-1', 'job.claimed', '\x32381f542d311f6a6f622e636c61696d65641e7b226163746f72223a227365632d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a34353a34302e3337393039365a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22676f6f676c65222c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3337393039365a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d', '\x1a4aa29c8daf2b220bdda2dd15540dd6fd0b417ee228350fc59845c7c2616257');
INSERT INTO org_release_before.events VALUES (29, 'T-1', 'job.submitted', '\x32391f542d311f6a6f622e7375626d69747465641e7b226163746f72223a227365632d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2263323130643962363031316531346236323764316461316134386132386433363738323437303966313432306561613164653335353435616636353730326564222c2266656e6365223a312c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22676f6f676c65222c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3339373035345a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d', '\xbbe55715f1dea1dd4f9f3655684f8da3eaefe14010f194cf437fcf787567ed99');
INSERT INTO org_release_before.events VALUES (30, 'T-1', 'review.filed', '\x33301f542d311f7265766965772e66696c65641e7b226163746f72223a227365632d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22636f756e7473223a747275652c2263726f73735f76656e646f72223a747275652c2266616d696c79223a22676f6f676c65222c2266696e64696e6773223a5b5d2c2267617465223a227365637572697479222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238222c2276657264696374223a2270617373222c22776879223a22636f756e74733a206e6f7420616e20617574686f722c20676f6f676c6520646966666572732066726f6d20657665727920617574686f7227732066616d696c79227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22676f6f676c65222c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3339373035345a222c2274797065223a227265766965772e66696c6564222c2276223a317d', '\x50083f0a7673a39ed40e1994e499ac0759650b81482c523e3a8d993182ca2d19');
INSERT INTO org_release_before.events VALUES (31, 'T-1', 'gate.passed', '\x33311f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a227365637572697479222c22726561736f6e223a2231206f66203120726576696577287329206f6e207265766973696f6e2033326534336138313030616433616238222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3339373035345a222c2274797065223a22676174652e706173736564222c2276223a317d', '\x4daf9b112edae33edc90bc5c4681f829c2719276089f24cce445c77b786dc081');
INSERT INTO org_release_before.events VALUES (32, 'T-1', 'gate.ready', '\x33321f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2264657369676e222c226c616e65223a227265766965776572222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3336227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2264657369676e222c226a6f62223a342c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3339373035345a222c2274797065223a22676174652e7265616479222c2276223a317d', '\x9d7a61b72e077698e27b1a6c149ca133c1855e0a7d24a52d7dd15e227e20530d');
INSERT INTO org_release_before.events VALUES (33, 'T-1', 'job.posted', '\x33331f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22726576696577222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3336227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3339373035345a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\x220fbd331f0a283555d7cbeafc2b3f3c01611211a3ce54ac1129134ee39afaf3');
INSERT INTO org_release_before.events VALUES (34, 'T-1', 'job.claimed', '\x33341f542d311f6a6f622e636c61696d65641e7b226163746f72223a227265762d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a34353a34302e3433323236315a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22676f6f676c65222c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3433323236315a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d', '\x592f915b45b1e838c57d7169ea16ffb92c8660e531cea8ffb5967321c2319a11');
INSERT INTO org_release_before.events VALUES (35, 'T-1', 'job.submitted', '\x33351f542d311f6a6f622e7375626d69747465641e7b226163746f72223a227265762d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2234393662326533373932316537316566393630346437343834336131313763346264316139626637633064656231646366386466396635663736393866613064222c2266656e6365223a312c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22676f6f676c65222c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3435313632375a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d', '\x70218440962124f13f861bfd1c25f0bee1a8d352ed8b2d04ef07f23ed8d975cb');
INSERT INTO org_release_before.events VALUES (36, 'T-1', 'review.filed', '\x33361f542d311f7265766965772e66696c65641e7b226163746f72223a227265762d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22636f756e7473223a747275652c2263726f73735f76656e646f72223a747275652c2266616d696c79223a22676f6f676c65222c2266696e64696e6773223a5b5d2c2267617465223a2264657369676e222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238222c2276657264696374223a2270617373222c22776879223a22636f756e74733a206e6f7420616e20617574686f722c20676f6f676c6520646966666572732066726f6d20657665727920617574686f7227732066616d696c79227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22676f6f676c65222c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3435313632375a222c2274797065223a227265766965772e66696c6564222c2276223a317d', '\x5c3a4aacce826a007748c051e7f54440d79d17a03572dce336b80bc289af6701');
INSERT INTO org_release_before.events VALUES (37, 'T-1', 'gate.passed', '\x33371f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2264657369676e222c22726561736f6e223a2231206f66203120726576696577287329206f6e207265766973696f6e2033326534336138313030616433616238222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3435313632375a222c2274797065223a22676174652e706173736564222c2276223a317d', '\x413ff535ffec666c9ef72083c2d5f7f4f72c122d6d2fb3148d268aacb39f72cb');
INSERT INTO org_release_before.events VALUES (38, 'T-1', 'gate.passed', '\x33381f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22656c69676962696c697479222c22726561736f6e223a22656c696769626c653a2073657061726174696f6e206f66206475746965732c2063726f73732d76656e646f722071756f72756d20616e6420636f6e74656e742062696e64696e6720686f6c64222c227265766973696f6e223a2233326534336138313030616433616238222c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3434227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a22656c69676962696c697479222c226a6f62223a352c226c616e65223a6e756c6c2c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3435313632375a222c2274797065223a22676174652e706173736564222c2276223a317d', '\x8ce055c4df55b6bc395861640e8d7de5d67e6b521eb3b624b09a7f056e652ad0');
INSERT INTO org_release_before.events VALUES (39, 'T-1', 'gate.ready', '\x33391f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22617070726f76616c222c226c616e65223a22617070726f766572222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3439227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a352c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3435313632375a222c2274797065223a22676174652e7265616479222c2276223a317d', '\xd85b0cdaddb4070094f1ee558538ff44c07605568b88b8f4722f51fddd963d1d');
INSERT INTO org_release_before.events VALUES (40, 'T-1', 'job.posted', '\x34301f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22617070726f76616c222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3439227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3435313632375a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\x93882c3173129f92a0168684b1f44edc872e22f099b1daa43476f0d812542b15');
INSERT INTO org_release_before.events VALUES (41, 'T-1', 'approval.requested', '\x34311f542d311f617070726f76616c2e7265717565737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617070726f76616c223a312c226b696e64223a2267617465222c227265766973696f6e223a2233326534336138313030616433616238222c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3439227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3435313632375a222c2274797065223a22617070726f76616c2e726571756573746564222c2276223a317d', '\x489f9bff959af26e22a78fedff4424f4712190f5032ee806b7f3a3e2f4b65a05');
INSERT INTO org_release_before.events VALUES (42, 'T-1', 'job.claimed', '\x34321f542d311f6a6f622e636c61696d65641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a34353a34302e3437353631335a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a2268756d616e222c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3437353631335a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d', '\x02edd8ede2fc3ae1dd4991ec70c4a0f3e48dfc1f2d63fb5021ba19a5765e53d5');
INSERT INTO org_release_before.events VALUES (43, 'T-1', 'job.submitted', '\x34331f542d311f6a6f622e7375626d69747465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2236363130353433323234303963373765303664366435393664393333613338336431386332366163386264666661323937366435333036633134626462316266222c2266656e6365223a312c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a22617070726f7665222c2266616d696c79223a2268756d616e222c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3439343639345a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d', '\xd8d140f74c4d81d6946860eded35ed453aed50bf4b801a1aa67de479aab9c386');
INSERT INTO org_release_before.events VALUES (44, 'T-1', 'approval.granted', '\x34341f542d311f617070726f76616c2e6772616e7465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22636f756e7473223a747275652c2266616d696c79223a2268756d616e222c2267617465223a22617070726f76616c222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238222c22776879223a2268756d616e2c206e6f7420616e20617574686f72227d2c226465636973696f6e223a22617070726f7665222c2266616d696c79223a2268756d616e222c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3439343639345a222c2274797065223a22617070726f76616c2e6772616e746564222c2276223a317d', '\x98dcc2155fa576cc060149450e93758c8ae36480bb6a83de68848e867f56343e');
INSERT INTO org_release_before.events VALUES (45, 'T-1', 'gate.passed', '\x34351f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22617070726f76616c222c22726561736f6e223a2231206f66203120617070726f76616c287329206f6e207265766973696f6e2033326534336138313030616433616238222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3439343639345a222c2274797065223a22676174652e706173736564222c2276223a317d', '\xecb84975dfb8f1260a02067b5c804b59fd607a05a6879ec0ff9b9027cb7bac1d');
INSERT INTO org_release_before.events VALUES (46, 'T-1', 'gate.passed', '\x34361f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22646f6e65222c22726561736f6e223a227465726d696e616c2072652d636865636b2068656c64222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a22646f6e65222c226a6f62223a362c226c616e65223a6e756c6c2c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3439343639345a222c2274797065223a22676174652e706173736564222c2276223a317d', '\x95fddb40539a0cf8c7af89624729e90d4c6bcf6946890db85ea25549a28adf25');
INSERT INTO org_release_before.events VALUES (47, 'T-1', 'task.done', '\x34371f542d311f7461736b2e646f6e651e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22706173736564223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c2264657369676e222c22656c69676962696c697479222c22617070726f76616c225d2c227265766973696f6e223a2233326534336138313030616433616238222c22736b6970706564223a5b5d2c2274696572223a2268696768227d2c226465636973696f6e223a22646f6e65222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a362c226c616e65223a6e756c6c2c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a34303a34302e3439343639345a222c2274797065223a227461736b2e646f6e65222c2276223a317d', '\xca4d5ba32b9d5bfee65eca5e4765239e64f3cd27eaac3a435b59b3653e889834');
INSERT INTO org_release_before.events VALUES (48, 'T-2', 'task.created', '\x34381f542d321f7461736b2e637265617465641e7b226163746f72223a22626f62222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b2261747472696275746573223a7b7d2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c226761746573223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c2264657369676e222c22656c69676962696c697479222c22617070726f76616c222c22646f6e65225d2c227265717569726564223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c22656c69676962696c697479225d2c2274696572223a226d656469756d222c22746965725f726561736f6e223a226e6f20636c6173736966792072756c65206d6174636865643b2064656661756c74207469657220276d656469756d27222c22746965725f72756c6573223a5b5d2c22746965725f736f7572636573223a5b2267617465732f7269736b2e79616d6c3a3134225d2c227469746c65223a22466978206c6f676f7574222c22776f726b666c6f77223a226368616e6765222c22776f726b666c6f775f736f75726365223a2267617465732f6368616e67652e79616d6c3a34227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a2268756d616e222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a34303a34302e3531353437335a222c2274797065223a227461736b2e63726561746564222c2276223a317d', '\x8ded912d7b538c83cabfe46a472dd8860c947c66c53f25b4fb0b4f92c87ec2f4');
INSERT INTO org_release_before.events VALUES (49, 'T-2', 'gate.skipped', '\x34391f542d321f676174652e736b69707065641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2264657369676e222c22726561736f6e223a226e6f74207265717569726564206174207469657220276d656469756d27202872657175697265642061743a206869676829222c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3336227d2c226465636973696f6e223a22736b6970222c2266616d696c79223a6e756c6c2c2267617465223a2264657369676e222c226a6f62223a6e756c6c2c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a34303a34302e3531353437335a222c2274797065223a22676174652e736b6970706564222c2276223a317d', '\xef526d1edc0a3e0e16af402ee651545fdba5e00e9e035211d6b7b5ac364830b8');
INSERT INTO org_release_before.events VALUES (50, 'T-2', 'gate.skipped', '\x35301f542d321f676174652e736b69707065641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22617070726f76616c222c22726561736f6e223a226e6f74207265717569726564206174207469657220276d656469756d27202872657175697265642061743a206869676829222c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3439227d2c226465636973696f6e223a22736b6970222c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a34303a34302e3531353437335a222c2274797065223a22676174652e736b6970706564222c2276223a317d', '\x4a068d5904298ca6712b578823e7de324fd72a71683bcf3a40afbbbf237c77b2');
INSERT INTO org_release_before.events VALUES (51, 'T-2', 'gate.ready', '\x35311f542d321f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2273706563222c226c616e65223a226275696c646572222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2273706563222c226a6f62223a6e756c6c2c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a34303a34302e3531353437335a222c2274797065223a22676174652e7265616479222c2276223a317d', '\x294a9148651341c919213d248e0fc524d9c1bb795a5c079afb3825b7d867e9d1');
INSERT INTO org_release_before.events VALUES (52, 'T-2', 'job.posted', '\x35321f542d321f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22776f726b222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2273706563222c226a6f62223a372c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a34303a34302e3531353437335a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\x949349dc22e2e8b6eb50d14be0e812e07743b7b2c290403812cc41f6e5d7165b');
INSERT INTO org_release_before.events VALUES (53, 'T-2', 'job.claimed', '\x35331f542d321f6a6f622e636c61696d65641e7b226163746f72223a226275696c642d636c61756465222c2261757468223a7b226b696e64223a226167656e74222c227072696e636970616c223a226275696c642d636c61756465222c22746f6b656e223a2231346431346130366566396631393533222c22766961223a227072696e636970616c227d2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430313a34303a34302e3532333733355a222c2266656e6365223a312c226a6f625f746f6b656e223a2261333562383938343630383831353432222c226c656173655f7365636f6e6473223a333630307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a372c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a34303a34302e3532333733355a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d', '\xdba9f1ba6c6fc069bee80de77ce7adf2b32218801a79fdd71fe995e1d4f5d488');
INSERT INTO org_release_before.events VALUES (54, 'T-3', 'task.created', '\x35341f542d331f7461736b2e637265617465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b2261747472696275746573223a7b2263726564656e7469616c223a22676974687562222c22656e7669726f6e6d656e74223a2273746167696e67222c2273657276696365223a22676974687562227d2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c226761746573223a5b22706c616e222c22726576696577222c22656c69676962696c697479222c22617070726f76616c222c2265786563757465222c22646f6e65225d2c227265717569726564223a5b22706c616e222c22726576696577222c22656c69676962696c697479222c22617070726f76616c222c2265786563757465225d2c2274696572223a2268696768222c22746965725f726561736f6e223a225249534b2d43524544454e5449414c3a2043726564656e7469616c2d62656172696e6720776f726b206f75747369646520646576222c22746965725f72756c6573223a5b225249534b2d43524544454e5449414c225d2c22746965725f736f7572636573223a5b2267617465732f7269736b2e79616d6c3a3335225d2c227469746c65223a22526f74617465206b657973222c22776f726b666c6f77223a226f7073222c22776f726b666c6f775f736f75726365223a2267617465732f6f70732e79616d6c3a34227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a2268756d616e222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b225249534b2d43524544454e5449414c225d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3533373537365a222c2274797065223a227461736b2e63726561746564222c2276223a317d', '\x579b4bd020fd3a3da9d8e72ae72b43660dda08142f3256949eacf3cf7c371ced');
INSERT INTO org_release_before.events VALUES (55, 'T-3', 'gate.ready', '\x35351f542d331f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22706c616e222c226c616e65223a226f70657261746f72222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736f75726365223a2267617465732f6f70732e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22706c616e222c226a6f62223a6e756c6c2c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3533373537365a222c2274797065223a22676174652e7265616479222c2276223a317d', '\x626c1ae14009a32f727ca57e60fc48fc4d4fb9248b3f33438a0fc4dd36c6c25c');
INSERT INTO org_release_before.events VALUES (56, 'T-3', 'job.posted', '\x35361f542d331f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22776f726b222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6f70732e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3533373537365a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\x99c4d2a44000150f9b18f799612c1a700366bc36e6223be7ef454198dfd52018');
INSERT INTO org_release_before.events VALUES (57, 'T-3', 'job.claimed', '\x35371f542d331f6a6f622e636c61696d65641e7b226163746f72223a226f70732d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a34353a34302e3536323533345a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3536323533345a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d', '\x7d9774799ba6f0cedd5c218220aa1eaabc923f6035cbb8d7410ac1f9c979a98a');
INSERT INTO org_release_before.events VALUES (58, 'T-3', 'job.submitted', '\x35381f542d331f6a6f622e7375626d69747465641e7b226163746f72223a226f70732d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2264383664623339393032383838366537386239623466633462333533326232303238623635626666623133383131663638373535373436633233643339646134222c2266656e6365223a312c227265766973696f6e223a6e756c6c7d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3537343539355a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d', '\xfca23b9593f7deda5b1763d2a9b2792896b49f9c58a544850b8927fb725ef324');
INSERT INTO org_release_before.events VALUES (59, 'T-3', 'work.submitted', '\x35391f542d331f776f726b2e7375626d69747465641e7b226163746f72223a226f70732d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226e6f7465223a22222c227265766973696f6e223a2235316230633564383734343763343364227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3537343539355a222c2274797065223a22776f726b2e7375626d6974746564222c2276223a317d', '\x67db35d140f45aa511bd7ac818ec5a7f7d4969f2b93109194c734a37dc60df60');
INSERT INTO org_release_before.events VALUES (60, 'T-3', 'gate.passed', '\x36301f542d331f676174652e7061737365641e7b226163746f72223a226f70732d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22706c616e222c22726561736f6e223a2264656c697665726564206279206f70732d636c61756465222c227265766973696f6e223a2235316230633564383734343763343364227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3537343539355a222c2274797065223a22676174652e706173736564222c2276223a317d', '\xd352c7b4ee8c24d115de33321b47ca991f562ba79c7ffefa57252531356698b0');
INSERT INTO org_release_before.events VALUES (61, 'T-3', 'gate.ready', '\x36311f542d331f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22726576696577222c226c616e65223a227365637572697479222c227265766973696f6e223a2235316230633564383734343763343364222c22726f756e64223a302c22736f75726365223a2267617465732f6f70732e79616d6c3a3132227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22726576696577222c226a6f62223a382c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3537343539355a222c2274797065223a22676174652e7265616479222c2276223a317d', '\x5245ef3127846af74301f7aac350a3c6f59f7f77ed94b5ff16a14f022163724e');
INSERT INTO org_release_before.events VALUES (62, 'T-3', 'job.posted', '\x36321f542d331f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22726576696577222c227265766973696f6e223a2235316230633564383734343763343364222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6f70732e79616d6c3a3132227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22726576696577222c226a6f62223a392c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3537343539355a222c2274797065223a226a6f622e706f73746564222c2276223a317d', '\xbcdf7b9e126e18f6a1988ae8fb7e63ba56facaeb3f0b252759ead39ceec18579');
INSERT INTO org_release_before.events VALUES (63, 'T-3', 'action.decided', '\x36331f542d331f616374696f6e2e646563696465641e7b226163746f72223a226f70732d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22616374696f6e223a2263726564656e7469616c2e757365222c22617070726f7665645f6279223a6e756c6c2c2261747472696275746573223a7b2263726564656e7469616c223a22676974687562222c22656e7669726f6e6d656e74223a2273746167696e67222c2273657276696365223a22676974687562227d2c22726561736f6e223a226e6565647320617070726f76616c20627920612068756d616e2077686f206973206e6f7420616e20617574686f723a2043726564656e7469616c2d62656172696e6720616374696f6e73206e65656420612068756d616e222c227265766973696f6e223a2235316230633564383734343763343364222c2272756c6573223a5b7b22616472223a352c22656666656374223a226e656564735f617070726f76616c222c226964223a22434f4e5345512d43524544454e5449414c222c22726561736f6e223a2243726564656e7469616c2d62656172696e6720616374696f6e73206e65656420612068756d616e222c22736f75726365223a2267617465732f72756c65732e79616d6c3a3431227d5d7d2c226465636973696f6e223a226e656564735f617070726f76616c222c2266616d696c79223a226f70656e6169222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a226f70657261746f72222c2272756c6573223a5b22434f4e5345512d43524544454e5449414c225d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3539353330395a222c2274797065223a22616374696f6e2e64656369646564222c2276223a317d', '\xcffef10ba032bb65cf9be1318adbb4970e7d040fe71ff9b7ce114c740f03e328');
INSERT INTO org_release_before.events VALUES (64, 'T-3', 'approval.requested', '\x36341f542d331f617070726f76616c2e7265717565737465641e7b226163746f72223a226f70732d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22616374696f6e223a2263726564656e7469616c2e757365222c22617070726f76616c223a322c226b696e64223a22616374696f6e222c227265766973696f6e223a2235316230633564383734343763343364222c2272756c6573223a5b7b22616472223a352c22656666656374223a226e656564735f617070726f76616c222c226964223a22434f4e5345512d43524544454e5449414c222c22726561736f6e223a2243726564656e7469616c2d62656172696e6720616374696f6e73206e65656420612068756d616e222c22736f75726365223a2267617465732f72756c65732e79616d6c3a3431227d5d7d2c226465636973696f6e223a226e656564735f617070726f76616c222c2266616d696c79223a226f70656e6169222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a226f70657261746f72222c2272756c6573223a5b22434f4e5345512d43524544454e5449414c225d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a34303a34302e3539353330395a222c2274797065223a22617070726f76616c2e726571756573746564222c2276223a317d', '\x9f66ebce8ca0c1377fa2d0965b784f6f7bfe484e4b128e59882d93ab29f7e3a3');
INSERT INTO org_release_before.events VALUES (65, NULL, 'switch.paused', '\x36351f1f7377697463682e7061757365641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226e6f7465223a226c756e6368222c2273636f7065223a226c616e65222c22737769746368223a312c22746172676574223a227265766965776572227d2c226465636973696f6e223a227061757365222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a34302e3633343838325a222c2274797065223a227377697463682e706175736564222c2276223a317d', '\xd56f3d3a992a4566d3afd502b5f5967e943eb916a802094b61eee72d996c7447');
INSERT INTO org_release_before.events VALUES (66, NULL, 'switch.resumed', '\x36361f1f7377697463682e726573756d65641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226e6f7465223a22222c2273636f7065223a226c616e65222c22737769746368223a312c22746172676574223a227265766965776572227d2c226465636973696f6e223a22726573756d65222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a34303a34302e3634323533395a222c2274797065223a227377697463682e726573756d6564222c2276223a317d', '\x0828715c326df44963555dd0108da28256ac8ebf56181727aec4cf8466764ba7');


--
-- Data for Name: jobs; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.jobs VALUES (1, 'T-1', 'spec', 'builder', 'work', 'done', 2, 0, 0, NULL, '|', 1, 3, 1, '1-cbe8fed78a04bdda5910fb07', 'build-claude', 300, 1796604340.1140833, 1796604040.026855, 1796604040.1538122, 'pass', '{"content": "work of build-claude", "content_bytes": 20, "content_sha256": "d2cf46886bdb3ac3336f7ffd173a48479439c834602a77f469d24927b2e83681", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["work.submitted", "gate.passed", "gate.ready"], "ready": ["implement"], "revision": "c938472f8c54bf3b", "task_status": "active"}}', NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (2, 'T-1', 'implement', 'builder', 'work', 'done', 2, 0, 0, 'c938472f8c54bf3b', '|', 1, 3, 1, '1-100dc43755f5a0b3675b78c1', 'build-claude', 300, 1796604340.234136, 1796604040.1538122, 1796604040.237953, 'pass', '{"content": "work of build-claude", "content_bytes": 20, "content_sha256": "d2cf46886bdb3ac3336f7ffd173a48479439c834602a77f469d24927b2e83681", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["work.submitted", "gate.passed", "gate.ready", "gate.ready"], "ready": ["correctness", "security"], "revision": "32e43a8100ad3ab8", "task_status": "active"}}', NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (3, 'T-1', 'correctness', 'reviewer', 'review', 'done', 2, 0, 0, '32e43a8100ad3ab8', '|a:build-claude|f:anthropic|', 1, 3, 1, '1-24713a4084223c211efb610b', 'rev-gpt', 300, 1796604340.3045216, 1796604040.237953, 1796604040.3450036, 'pass', '{"content": "work of rev-gpt", "content_bytes": 15, "content_sha256": "d353b5873a47c8288b9869332420fc7d409430019f95b1691c905e3d26a5721f", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["review.filed", "gate.passed"], "ready": ["security"], "revision": "32e43a8100ad3ab8", "task_status": "active"}}', NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (4, 'T-1', 'security', 'security', 'review', 'done', 2, 0, 0, '32e43a8100ad3ab8', '|a:build-claude|f:anthropic|', 1, 3, 1, '1-c55988e266f332c3629d6d14', 'sec-gemini', 300, 1796604340.379096, 1796604040.237953, 1796604040.397054, 'pass', '{"content": "work of sec-gemini", "content_bytes": 18, "content_sha256": "c210d9b6011e14b627d1da1a48a28d367824709f1420eaa1de35545af65702ed", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["review.filed", "gate.passed", "gate.ready"], "ready": ["design"], "revision": "32e43a8100ad3ab8", "task_status": "active"}}', NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (5, 'T-1', 'design', 'reviewer', 'review', 'done', 2, 0, 0, '32e43a8100ad3ab8', '|a:build-claude|f:anthropic|', 1, 3, 1, '1-715018809ea12ea33897b4ce', 'rev-gemini', 300, 1796604340.4322608, 1796604040.397054, 1796604040.4516268, 'pass', '{"content": "work of rev-gemini", "content_bytes": 18, "content_sha256": "496b2e37921e71ef9604d74843a117c4bd1a9bf7c0deb1dcf8df9f5f7698fa0d", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["review.filed", "gate.passed", "gate.passed", "gate.ready"], "ready": ["approval"], "revision": "32e43a8100ad3ab8", "task_status": "active"}}', NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (6, 'T-1', 'approval', 'approver', 'approval', 'done', 2, 0, 0, '32e43a8100ad3ab8', '|a:build-claude|', 1, 3, 1, '1-27cbd0c8ae07a65c1c164143', 'alice', 300, 1796604340.4756129, 1796604040.4516268, 1796604040.4946935, 'approve', '{"content": "work of alice", "content_bytes": 13, "content_sha256": "661054322409c77e06d6d596d933a383d18c26ac8bdffa2976d5306c14bdb1bf", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["approval.granted", "gate.passed", "gate.passed", "task.done"], "ready": [], "revision": "32e43a8100ad3ab8", "task_status": "done"}}', NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (7, 'T-2', 'spec', 'builder', 'work', 'leased', 1, 0, 0, NULL, '|', 1, 3, 1, '1-9a2012e19dd39fc558eb31dc', 'build-claude', 3600, 1796607640.5237348, 1796604040.5154734, 1796604040.5237348, NULL, NULL, NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (9, 'T-3', 'review', 'security', 'review', 'queued', 2, 0, 0, '51b0c5d87447c43d', '|a:ops-claude|f:anthropic|', 0, 3, 0, NULL, NULL, 0, NULL, 1796604040.5745952, 1796604040.5745952, NULL, NULL, NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (8, 'T-3', 'plan', 'operator', 'work', 'done', 2, 0, 0, NULL, '|', 1, 3, 1, '1-d8a09ece129459772a6247de', 'ops-claude', 300, 1796604340.5625339, 1796604040.5375764, 1796604040.5745952, 'pass', '{"content": "1. rotate", "content_bytes": 9, "content_sha256": "d86db399028886e78b9b4fc4b3532b2028b65bffb13811f68755746c23d39da4", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["work.submitted", "gate.passed", "gate.ready"], "ready": ["review"], "revision": "51b0c5d87447c43d", "task_status": "active"}}', NULL, NULL);
INSERT INTO org_release_before.jobs VALUES (10, NULL, NULL, 'operator', 'plain', 'queued', 0, 0, 0, NULL, '|', 0, 3, 0, NULL, NULL, 0, NULL, 1796604040.6707041, 1796604040.6707041, NULL, NULL, '{"n": 1}', NULL);


--
-- Data for Name: lane_signals; Type: TABLE DATA; Schema: org_release_before; Owner: -
--



--
-- Data for Name: leases; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.leases VALUES (1, 1, 1, 'build-claude', 1796604040.1140833, 1796604340.1140833, NULL, 1796604040.1538122, 'submitted');
INSERT INTO org_release_before.leases VALUES (2, 2, 1, 'build-claude', 1796604040.234136, 1796604340.234136, NULL, 1796604040.237953, 'submitted');
INSERT INTO org_release_before.leases VALUES (3, 3, 1, 'rev-gpt', 1796604040.3045216, 1796604340.3045216, NULL, 1796604040.3450036, 'submitted');
INSERT INTO org_release_before.leases VALUES (4, 4, 1, 'sec-gemini', 1796604040.379096, 1796604340.379096, NULL, 1796604040.397054, 'submitted');
INSERT INTO org_release_before.leases VALUES (5, 5, 1, 'rev-gemini', 1796604040.4322608, 1796604340.4322608, NULL, 1796604040.4516268, 'submitted');
INSERT INTO org_release_before.leases VALUES (6, 6, 1, 'alice', 1796604040.4756129, 1796604340.4756129, NULL, 1796604040.4946935, 'submitted');
INSERT INTO org_release_before.leases VALUES (7, 7, 1, 'build-claude', 1796604040.5237348, 1796607640.5237348, NULL, NULL, 'active');
INSERT INTO org_release_before.leases VALUES (8, 8, 1, 'ops-claude', 1796604040.5625339, 1796604340.5625339, NULL, 1796604040.5745952, 'submitted');


--
-- Data for Name: org_auth_failures; Type: TABLE DATA; Schema: org_release_before; Owner: -
--



--
-- Data for Name: org_tokens; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.org_tokens VALUES ('949bfa6df05db7b8', 'principal', 'alice', 'human', '444a1f4e51734f117042e0c04a6bd2b4', '7e1fbcbd1730fc6278c1d80347a2afd2175dbcb275846f56f43266725d72035f', 1796604039.8732991, 'release-fixture', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO org_release_before.org_tokens VALUES ('b575b6c4046a7058', 'principal', 'bob', 'human', '5405fd9e9c71a34d22655223be4c0e98', '8cbbb8d2854cc4d00e81e515b330acdefbcfa41e46a8b0ab36f59f137291aca5', 1796604039.9105732, 'release-fixture', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO org_release_before.org_tokens VALUES ('14d14a06ef9f1953', 'principal', 'build-claude', 'agent', 'df2fd9feeaa4ed092aaed69d91a091fd', 'a80feca90131cea24205ab4d05c60735f3e909e53b9c137d2f7a8d9c7823fe2f', 1796604039.923135, 'release-fixture', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO org_release_before.org_tokens VALUES ('990a02a330c87be5', 'principal', 'ops-claude', 'agent', 'e99e27bf8edd6da89ede9eae6ca010f8', '1921e95247dde62032883be3cde84cbb1cd61db77c1b82e0224f948194546298', 1796604039.946519, 'release-fixture', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO org_release_before.org_tokens VALUES ('22e22b1cdc56663a', 'principal', 'rev-gpt', 'agent', 'c5408b6e0a8620a2a69d8050dd434526', '246362b79e11cc530cbf187be83279087a3d3d6f75392976e83f90ae60c8c809', 1796604039.964508, 'release-fixture', NULL, 1796604039.9668384, 'release-fixture', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO org_release_before.org_tokens VALUES ('a35b898460881542', 'job', 'build-claude', 'agent', '413f6283462cd1c0c130753b9be0cd9d', 'ad02ea86274d7ee3be310e1c316c7954f83c2bfbf7f5a2dbf433ed95fc146c33', 1796604040.5237348, '14d14a06ef9f1953', 1796607640.5237348, NULL, NULL, NULL, 7, 1, '1-9a2012e19dd39fc558eb31dc', 'T-2', 'spec', 'builder', '["branch.push", "code.commit", "code.write", "credential.use", "docs.write", "job.heartbeat", "job.submit", "pr.open", "spec.write", "test.run"]');


--
-- Data for Name: rate_budgets; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.rate_budgets VALUES ('anthropic', 100, 95, 1, 1796604040.6625428);


--
-- Data for Name: switches; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.switches VALUES (1, 'lane', 'reviewer', false, 'alice', 1796604040.634882, 'lunch', 'alice', 1796604040.6425385, NULL);


--
-- Data for Name: tasks; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.tasks VALUES (1, 'T-1', 'Fix login', 'change', 'high', 'done', '0b5004fe775790ca', 'alice', 1796604040.026855, 1796604040.4946935, 1796604040.4946935, NULL, '{"environment": "production"}', '32e43a8100ad3ab8', 0, NULL, 22);
INSERT INTO org_release_before.tasks VALUES (2, 'T-2', 'Fix logout', 'change', 'medium', 'active', '0b5004fe775790ca', 'bob', 1796604040.5154734, 1796604040.5154734, 1796604040.5154734, NULL, '{}', NULL, 0, NULL, 4);
INSERT INTO org_release_before.tasks VALUES (3, 'T-3', 'Rotate keys', 'ops', 'high', 'active', '0b5004fe775790ca', 'alice', 1796604040.5375764, 1796604040.5745952, 1796604040.5745952, NULL, '{"credential": "github", "environment": "staging", "service": "github"}', '51b0c5d87447c43d', 0, NULL, 5);


--
-- Data for Name: usage; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

INSERT INTO org_release_before.usage VALUES (1, 1796604040.6147435, 'build-claude', 'builder', 'T-2', 'change', NULL, NULL, 'anthropic/claude-sonnet-4-5', 'anthropic', 'anthropic', 100, 20, 0.01, 0, 'ok');
INSERT INTO org_release_before.usage VALUES (2, 1796604040.6264956, 'build-claude', 'builder', NULL, NULL, NULL, NULL, 'anthropic/house-model-x', 'anthropic', 'anthropic', 10, 0, NULL, 0, 'ok');


--
-- Name: approvals_id_seq; Type: SEQUENCE SET; Schema: org_release_before; Owner: -
--

SELECT pg_catalog.setval('org_release_before.approvals_id_seq', 2, true);


--
-- Name: jobs_id_seq; Type: SEQUENCE SET; Schema: org_release_before; Owner: -
--

SELECT pg_catalog.setval('org_release_before.jobs_id_seq', 10, true);


--
-- Name: leases_id_seq; Type: SEQUENCE SET; Schema: org_release_before; Owner: -
--

SELECT pg_catalog.setval('org_release_before.leases_id_seq', 8, true);


--
-- Name: switches_id_seq; Type: SEQUENCE SET; Schema: org_release_before; Owner: -
--

SELECT pg_catalog.setval('org_release_before.switches_id_seq', 1, true);


--
-- Name: tasks_id_seq; Type: SEQUENCE SET; Schema: org_release_before; Owner: -
--

SELECT pg_catalog.setval('org_release_before.tasks_id_seq', 3, true);


--
-- Name: usage_id_seq; Type: SEQUENCE SET; Schema: org_release_before; Owner: -
--

SELECT pg_catalog.setval('org_release_before.usage_id_seq', 2, true);


--
-- Name: approvals approvals_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.approvals
    ADD CONSTRAINT approvals_pkey PRIMARY KEY (id);


--
-- Name: audit_head audit_head_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.audit_head
    ADD CONSTRAINT audit_head_pkey PRIMARY KEY (id);


--
-- Name: bus_meta bus_meta_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.bus_meta
    ADD CONSTRAINT bus_meta_pkey PRIMARY KEY (key);


--
-- Name: config_pins config_pins_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.config_pins
    ADD CONSTRAINT config_pins_pkey PRIMARY KEY (config_hash);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (seq);


--
-- Name: jobs jobs_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);


--
-- Name: lane_signals lane_signals_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.lane_signals
    ADD CONSTRAINT lane_signals_pkey PRIMARY KEY (lane);


--
-- Name: leases leases_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.leases
    ADD CONSTRAINT leases_pkey PRIMARY KEY (id);


--
-- Name: org_auth_failures org_auth_failures_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.org_auth_failures
    ADD CONSTRAINT org_auth_failures_pkey PRIMARY KEY (key);


--
-- Name: org_tokens org_tokens_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.org_tokens
    ADD CONSTRAINT org_tokens_pkey PRIMARY KEY (id);


--
-- Name: rate_budgets rate_budgets_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.rate_budgets
    ADD CONSTRAINT rate_budgets_pkey PRIMARY KEY (provider);


--
-- Name: switches switches_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.switches
    ADD CONSTRAINT switches_pkey PRIMARY KEY (id);


--
-- Name: tasks tasks_idempotency_key_key; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.tasks
    ADD CONSTRAINT tasks_idempotency_key_key UNIQUE (idempotency_key);


--
-- Name: tasks tasks_key_key; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.tasks
    ADD CONSTRAINT tasks_key_key UNIQUE (key);


--
-- Name: tasks tasks_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (id);


--
-- Name: usage usage_pkey; Type: CONSTRAINT; Schema: org_release_before; Owner: -
--

ALTER TABLE ONLY org_release_before.usage
    ADD CONSTRAINT usage_pkey PRIMARY KEY (id);


--
-- Name: ix_approvals_status; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_approvals_status ON org_release_before.approvals USING btree (status, id);


--
-- Name: ix_events_task; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_events_task ON org_release_before.events USING btree (task, seq) WHERE (task IS NOT NULL);


--
-- Name: ix_jobs_claim; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_jobs_claim ON org_release_before.jobs USING btree (lane, priority DESC, id) WHERE ((status)::text = 'queued'::text);


--
-- Name: ix_jobs_expiry; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_jobs_expiry ON org_release_before.jobs USING btree (lease_expires) WHERE ((status)::text = 'leased'::text);


--
-- Name: ix_jobs_task; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_jobs_task ON org_release_before.jobs USING btree (task, status) WHERE (task IS NOT NULL);


--
-- Name: ix_leases_job; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_leases_job ON org_release_before.leases USING btree (job, fence);


--
-- Name: ix_org_auth_failures_last; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_org_auth_failures_last ON org_release_before.org_auth_failures USING btree (last_at);


--
-- Name: ix_org_tokens_job; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_org_tokens_job ON org_release_before.org_tokens USING btree (job);


--
-- Name: ix_org_tokens_principal; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_org_tokens_principal ON org_release_before.org_tokens USING btree (principal, kind);


--
-- Name: ix_tasks_status; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_tasks_status ON org_release_before.tasks USING btree (status);


--
-- Name: ix_usage_actor; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_usage_actor ON org_release_before.usage USING btree (actor, ts);


--
-- Name: ix_usage_lane; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_usage_lane ON org_release_before.usage USING btree (lane, ts);


--
-- Name: ix_usage_task; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE INDEX ix_usage_task ON org_release_before.usage USING btree (task, ts);


--
-- Name: ux_approvals_pending; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE UNIQUE INDEX ux_approvals_pending ON org_release_before.approvals USING btree (task, kind, subject) WHERE ((status)::text = 'pending'::text);


--
-- Name: ux_switches_active; Type: INDEX; Schema: org_release_before; Owner: -
--

CREATE UNIQUE INDEX ux_switches_active ON org_release_before.switches USING btree (scope, target) WHERE active;


--
-- PostgreSQL database dump complete
--


