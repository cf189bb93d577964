--
-- PostgreSQL database dump
--

\restrict EvtnlA3cE1W0KGVdHb1Y5iMdM9z4lR8mU7iCWXhqQEyK6P8Zvn3X2hdRp1YjmUa

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

COPY org_release_before.approvals (id, task, kind, subject, lane, revision, status, requested_by, requested_at, decided_by, decided_at, note, reason, rules, job) FROM stdin;
1	T-1	gate	approval	approver	32e43a8100ad3ab8	granted	\N	1796602495.122578	alice	1796602495.8522854	\N	approval gate 'approval' of a high-tier change task	[]	\N
2	T-3	action	credential.use	\N	51b0c5d87447c43d	pending	ops-gpt	1796602497.1866834	\N	\N	\N	needs approval by a human who is not an author: Credential-bearing actions need a human	["CONSEQ-CREDENTIAL"]	\N
\.


--
-- Data for Name: audit_head; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.audit_head (id, seq, hash) FROM stdin;
1	67	\\x66b975a57b28f61ccf63f382970262291a2db36ed25fb12c0b34df0c2d077658
\.


--
-- Data for Name: bus_meta; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.bus_meta (key, value) FROM stdin;
schema_version	2
created_at	1796602491.1786535
identity_schema	3
\.


--
-- Data for Name: config_pins; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.config_pins (config_hash, files, created_at) FROM stdin;
0b5004fe775790ca	{"gates/change.yaml": "# A code change: spec, implement, correctness and security review in parallel (both must\\n# pass: a join), design review, eligibility, human approval, done. Lower tiers skip what\\n# they do not need; skipped gates are recorded as skipped, never as passed.\\nworkflow: change\\ndescription: A change to code or docs, from spec to merge-ready.\\ngates:\\n  spec:\\n    kind: work\\n    lane: builder\\n    tiers: [medium, high]\\n    description: Write down what will change and why.\\n    action: spec.write\\n  implement:\\n    kind: work\\n    lane: builder\\n    after: [spec]\\n    description: Make the change on the builder's own branch.\\n    action: code.write\\n  correctness:\\n    kind: review\\n    lane: reviewer\\n    after: [implement]\\n    quorum: 1\\n    cross_vendor: true\\n    on_fail: implement\\n    adrs: [4]\\n    description: Does it do what the spec says? Reviewed by another model family.\\n  security:\\n    kind: review\\n    lane: security\\n    after: [implement]\\n    cross_vendor: true\\n    on_fail: implement\\n    tiers: [medium, high]\\n    description: Security review, in parallel with correctness.\\n  design:\\n    kind: review\\n    lane: reviewer\\n    after: [correctness, security]\\n    cross_vendor: true\\n    on_fail: implement\\n    tiers: [high]\\n    description: Does it fit the architecture and the accepted ADRs?\\n  eligibility:\\n    kind: check\\n    check: eligibility\\n    after: [design]\\n    description: Separation of duties, cross-vendor quorum, content binding and ADR constraints hold.\\n  approval:\\n    kind: approval\\n    lane: approver\\n    after: [eligibility]\\n    tiers: [high]\\n    adrs: [5]\\n    description: A human who is not an author approves.\\n  done:\\n    kind: terminal\\n    after: [approval]\\nlimits:\\n  max_rework_rounds: 3\\n  no_progress_seconds: 3600\\n  budget_usd: 5\\n", "gates/credentials.yaml": "# Credentials are declared by name with the service they belong to and where the secret\\n# lives. The secret itself never appears here, in events, logs, prompts or output.\\ncredentials:\\n  github: {service: github, env: ORG_SECRET_GITHUB, description: Push branches and open pull requests.}\\n  jira: {service: jira, env: ORG_SECRET_JIRA, description: File and update tickets.}\\n  prod-db: {service: prod-db, env: ORG_SECRET_PROD_DB, description: Production database migrations.}\\n  deploy-key: {service: deploy, env: ORG_SECRET_DEPLOY, description: The deploy pipeline.}\\n", "gates/ops.yaml": "# Operational actions. Low-risk work (rebuilding a disposable dev environment) takes the\\n# light path: plan, eligibility check, execute. Production and credential-bearing work gets a\\n# cross-vendor security review and a human approval before anything runs.\\nworkflow: ops\\ndescription: An operational action such as a deploy, a migration or an environment rebuild.\\ngates:\\n  plan:\\n    kind: work\\n    lane: operator\\n    description: Say exactly what will be done, where, with which credential.\\n    action: ops.plan\\n  review:\\n    kind: review\\n    lane: security\\n    after: [plan]\\n    cross_vendor: true\\n    on_fail: plan\\n    tiers: [medium, high]\\n    description: Security review of the plan by another model family.\\n  eligibility:\\n    kind: check\\n    check: eligibility\\n    after: [review]\\n  approval:\\n    kind: approval\\n    lane: approver\\n    after: [eligibility]\\n    tiers: [high]\\n    adrs: [5]\\n  execute:\\n    kind: work\\n    lane: operator\\n    after: [approval]\\n    description: Carry out the approved plan; every action still goes through decide().\\n    action: ops.execute\\n    carries_out: plan    # keeps the approved plan's revision: it delivers no new content (ADR 0070)\\n  done:\\n    kind: terminal\\n    after: [execute]\\nlimits:\\n  max_rework_rounds: 2\\n  no_progress_seconds: 1800\\n  budget_usd: 2\\n", "gates/risk.yaml": "# Risk tiers, lowest first. Each tier names the controls every workflow must enforce at it;\\n# `org validate` proves that none can be bypassed. The highest matching rule sets the tier.\\nrisk:\\n  tiers:\\n    - id: low\\n      requires: [check]\\n      description: Disposable or cosmetic work; the light path.\\n    - id: medium\\n      requires: [review, check]\\n      description: Ordinary changes; cross-vendor review.\\n    - id: high\\n      requires: [review, check, approval]\\n      description: Production, irreversible or credential-bearing; a human approves.\\n  default: medium\\n  classify:\\n    - id: RISK-DOCS\\n      tier: low\\n      title: Documentation-only changes\\n      when: {attr: kind, eq: docs}\\n    - id: RISK-DISPOSABLE-DEV\\n      tier: low\\n      title: Disposable dev environments\\n      when:\\n        all:\\n          - {attr: environment, eq: dev}\\n          - {attr: disposable, eq: true}\\n    - id: RISK-PRODUCTION\\n      tier: high\\n      title: Anything that touches production\\n      when: {attr: environment, eq: production}\\n    - id: RISK-IRREVERSIBLE\\n      tier: high\\n      title: Irreversible actions\\n      when: {attr: irreversible, eq: true}\\n    - id: RISK-CREDENTIAL\\n      tier: high\\n      title: Credential-bearing work outside dev\\n      when:\\n        all:\\n          - {attr: credential, exists: true}\\n          - {attr: environment, ne: dev}\\n", "gates/rules.yaml": "# Rules bind every lane and every actor, the security lane included. There is no way to\\n# exempt anyone: conditions may read what is being done, never who is doing it.\\n\\n# The attributes rules and risk classification may read (checked by `org validate`).\\nattributes:\\n  environment: {type: str, values: [dev, staging, production], description: Where the action takes effect.}\\n  disposable: {type: bool, description: \\"The target can be thrown away and rebuilt, e.g. a dev environment.\\"}\\n  irreversible: {type: bool, description: \\"Cannot be undone: data deletion, a sent message, a release.\\"}\\n  credential: {type: str, description: Name of the credential the action uses (resolved by the broker).}\\n  service: {type: str, description: The service the action talks to.}\\n  via: {type: str, values: [pipeline, manual, agent], description: The path a change takes to a host.}\\n  kind: {type: str, values: [code, docs, deploy, env, config, migration, ops], description: What sort of work.}\\n\\n# RED: denied for everyone, always; no approval overrides them.\\nred:\\n  - id: RED-CREDENTIAL-REUSE\\n    title: A credential is used only for the service it belongs to\\n    reason: using one service's credential for another service is never allowed\\n    when:\\n      all:\\n        - {attr: credential, exists: true}\\n        - {attr: credential_service, ne_attr: service}\\n    adr: 6\\n  - id: RED-HOST-CONFIG-OUTSIDE-PIPELINE\\n    title: Host configuration changes only through the pipeline\\n    reason: host configuration is pushed only through the pipeline\\n    actions: [host.config.*]\\n    when: {attr: via, ne: pipeline}\\n    adr: 7\\n  - id: RED-SECRET-REVEAL\\n    title: Secrets are never revealed to an actor\\n    reason: no actor may read or print a secret; actions name credentials and the broker uses them\\n    actions: [secret.read, secret.print, credential.reveal]\\n\\n# Consequential: allowed only with the approval of a human who is not an author.\\nconsequential:\\n  - id: CONSEQ-IRREVERSIBLE\\n    title: Irreversible actions need a human\\n    when: {attr: irreversible, eq: true}\\n    adr: 5\\n  - id: CONSEQ-CREDENTIAL\\n    title: Credential-bearing actions need a human\\n    when:\\n      all:\\n        - {attr: credential, exists: true}\\n        - {attr: environment, ne: dev}\\n    adr: 5\\n  - id: CONSEQ-PRODUCTION\\n    title: Production changes need a human\\n    when: {attr: environment, eq: production}\\n    adr: 5\\n", "lanes/approver.yaml": "# Humans approve irreversible, credential-bearing and production work. An approver is never\\n# an author of what they approve; their tokens never reach an agent.\\nlane: approver\\nkind: human\\npurpose: Approves or rejects consequential work with a note; can pause anyone.\\nmay:\\n  - approve\\n  - reject\\n  - pause\\n  - resume\\n  - task.add\\n  - code.read\\nmay_not:\\n  - code.write\\n  - branch.push\\nmembers:\\n  - {id: alice, name: Alice Example}\\n  - {id: bob, name: Bob Example}\\n", "lanes/builder.yaml": "# The builder lane writes the change on its own branch. It never merges, never reviews and\\n# never approves: the hand that writes is never the hand that checks.\\nlane: builder\\nkind: agent\\npurpose: Writes specs, code and operational plans on its own branch; never merges or approves.\\nmay:\\n  - spec.write\\n  - code.write\\n  - code.commit\\n  - branch.push          # its own branch only; merging belongs to the pipeline after approval\\n  - test.run\\n  - docs.write\\n  - pr.open\\n  - credential.use       # by name, through the broker; RED rules still apply\\nmay_not:\\n  - branch.merge\\n  - review.file\\n  - approve\\n  - deploy.*\\n  - host.config.*\\nmembers:\\n  - {id: build-claude, model: anthropic/claude-sonnet-4-5}\\n  - {id: build-gpt, model: openai/gpt-5}\\nconcurrency: 2\\nbudget: {usd: 20}\\n", "lanes/operator.yaml": "# The operator lane plans and carries out operational work (deploys, environment rebuilds,\\n# migrations). Consequential actions wait for a human; RED rules deny outright.\\nlane: operator\\nkind: agent\\npurpose: Plans and executes operational actions once the gates allow them.\\nmay:\\n  - ops.plan\\n  - ops.execute          # carry out an approved plan (the ops workflow's execute gate)\\n  - env.rebuild\\n  - deploy.*\\n  - db.migrate\\n  - service.restart\\n  - host.config.push\\n  - credential.use\\nmay_not:\\n  - code.write\\n  - branch.merge\\n  - review.file\\n  - approve\\nmembers:\\n  - {id: ops-claude, model: anthropic/claude-sonnet-4-5}\\n  - {id: ops-gpt, model: openai/gpt-5-mini}\\nconcurrency: 2\\nbudget: {usd: 10}\\n", "lanes/reviewer.yaml": "# The reviewer lane checks correctness and design. It files findings; it never rewrites the\\n# work under review. Its members span several model families so that a review can always\\n# come from a family other than the author's.\\nlane: reviewer\\nkind: agent\\npurpose: Checks correctness and design without rewriting the work under review.\\nmay:\\n  - review.file\\n  - code.read\\n  - test.run\\nmay_not:\\n  - code.write\\n  - code.commit\\n  - branch.push\\n  - branch.merge\\n  - approve\\nmembers:\\n  - {id: rev-gpt, model: openai/gpt-5-mini}\\n  - {id: rev-gemini, model: gemini/gemini-2.5-pro}\\n  - {id: rev-claude, model: anthropic/claude-haiku-4-5}\\nconcurrency: 3\\nbudget: {usd: 10}\\n", "lanes/security.yaml": "# The security lane reviews for security and may veto. It is itself gated: the RED rules\\n# bind it exactly like everyone else (the gate catches the enforcer).\\nlane: security\\nkind: agent\\npurpose: Reviews every change for security and can veto it; bound by the same RED rules as everyone.\\nmay:\\n  - review.file\\n  - security.veto\\n  - code.read\\n  - scan.run\\n  - credential.use       # e.g. to run a scanner; reuse across services is still RED\\n  - host.config.push     # only through the pipeline; RED-HOST-CONFIG-OUTSIDE-PIPELINE applies\\n  - secret.rotate\\nmay_not:\\n  - code.write\\n  - code.commit\\n  - branch.merge\\n  - approve\\nmembers:\\n  - {id: sec-gemini, model: gemini/gemini-2.5-flash}\\n  - {id: sec-claude, model: anthropic/claude-sonnet-4-5}\\n  - {id: sec-gpt, model: openai/gpt-5}\\nconcurrency: 2\\nbudget: {usd: 10}\\n"}	1796602493.1598728
\.


--
-- Data for Name: events; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.events (seq, task, type, body, hash) FROM stdin;
1	\N	token.issued	\\x311f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a22616c696365222c227072696e636970616c5f6b696e64223a2268756d616e222c22746f6b656e5f6964223a2230333132303739616262656231633635227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35322e3838323634305a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d	\\x53980f6d7657beb0b8f7c9345c64099d751647541ece94176c4bab0da2633cab
2	\N	token.issued	\\x321f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a22626f62222c227072696e636970616c5f6b696e64223a2268756d616e222c22746f6b656e5f6964223a2238363064386665323263336631303230227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35322e3936323539375a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d	\\xb95979f6f8982cdd8123c653b94d5e8ef70d98b547fff23f014926211446fa04
3	\N	token.issued	\\x331f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a226275696c642d636c61756465222c227072696e636970616c5f6b696e64223a226167656e74222c22746f6b656e5f6964223a2233353038646161373138326563663031227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35322e3939383538335a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d	\\x32c416060f40737e8ec6c1e3ddeb63276a135650b2ddd995cba39379f6f66c2e
4	\N	token.issued	\\x341f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a226f70732d636c61756465222c227072696e636970616c5f6b696e64223a226167656e74222c22746f6b656e5f6964223a2233613936653435653065363863303939227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35332e3033383538355a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d	\\xb074aa3c9bf687066bb53728a3b4ee3779f3eaf65e62b5f5a37416a9826bd7c8
5	\N	token.issued	\\x351f1f746f6b656e2e6973737565641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22657870697265735f6174223a6e756c6c2c227072696e636970616c223a227265762d677074222c227072696e636970616c5f6b696e64223a226167656e74222c22746f6b656e5f6964223a2230363231373737303565313361663333227d2c226465636973696f6e223a226973737565222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35332e3037383536375a222c2274797065223a22746f6b656e2e697373756564222c2276223a317d	\\xd4ded88708db3eaa1326fc1487840e18f0bf629f735cf84260cacc22b457f310
6	\N	token.revoked	\\x361f1f746f6b656e2e7265766f6b65641e7b226163746f72223a2272656c656173652d66697874757265222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b227072696e636970616c223a227265762d677074222c22746f6b656e5f6964223a2230363231373737303565313361663333227d2c226465636973696f6e223a227265766f6b65222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a6e756c6c2c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35332e3131323632315a222c2274797065223a22746f6b656e2e7265766f6b6564222c2276223a317d	\\xbf1c2fe8f9a6f860fb1027988217812c507052c068ab8eff64871cad45a8d37c
7	T-1	task.created	\\x371f542d311f7461736b2e637265617465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b2261747472696275746573223a7b22656e7669726f6e6d656e74223a2270726f64756374696f6e227d2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c226761746573223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c2264657369676e222c22656c69676962696c697479222c22617070726f76616c222c22646f6e65225d2c227265717569726564223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c2264657369676e222c22656c69676962696c697479222c22617070726f76616c225d2c2274696572223a2268696768222c22746965725f726561736f6e223a225249534b2d50524f44554354494f4e3a20416e797468696e67207468617420746f75636865732070726f64756374696f6e222c22746965725f72756c6573223a5b225249534b2d50524f44554354494f4e225d2c22746965725f736f7572636573223a5b2267617465732f7269736b2e79616d6c3a3237225d2c227469746c65223a22466978206c6f67696e222c22776f726b666c6f77223a226368616e6765222c22776f726b666c6f775f736f75726365223a2267617465732f6368616e67652e79616d6c3a34227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a2268756d616e222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b225249534b2d50524f44554354494f4e225d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3135393837335a222c2274797065223a227461736b2e63726561746564222c2276223a317d	\\x8a046ad03fe1b6a16513779b8c2a2f810263709450b61bfc0542c1eb536da2b4
8	T-1	gate.ready	\\x381f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2273706563222c226c616e65223a226275696c646572222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2273706563222c226a6f62223a6e756c6c2c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3135393837335a222c2274797065223a22676174652e7265616479222c2276223a317d	\\x965b90ee18a9bb9e6119c1e87b3fb6a03c7c55019a8b7d3a098a5e4c4453416c
9	T-1	job.posted	\\x391f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22776f726b222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3135393837335a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\x9e07c68f4d744781fb02fc8627b1f239c5267b01c57dc435ae64912799afae51
10	T-1	job.claimed	\\x31301f542d311f6a6f622e636c61696d65641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a31393a35332e3332323637365a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3332323637365a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d	\\x940c0b8378f63e8cdd478cd6fd9b1b947b2b1bf42b18e6e3551b6e3c4a2a83fe
11	T-1	job.submitted	\\x31311f542d311f6a6f622e7375626d69747465641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2264326366343638383662646233616333333336663766666431373361343834373934333963383334363032613737663436396432343932376232653833363831222c2266656e6365223a312c227265766973696f6e223a6e756c6c7d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3439383733335a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d	\\xe6b112a5fa21b1aa82d8bea507514485d73a48ff5564fd74eff1f19ccc34726f
12	T-1	work.submitted	\\x31321f542d311f776f726b2e7375626d69747465641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226e6f7465223a22222c227265766973696f6e223a2263393338343732663863353462663362227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3439383733335a222c2274797065223a22776f726b2e7375626d6974746564222c2276223a317d	\\x38bd6d580130002afd1899cacf1aef1bbb81f1720cb8263b8e22949f51475a50
13	T-1	gate.passed	\\x31331f542d311f676174652e7061737365641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2273706563222c22726561736f6e223a2264656c697665726564206279206275696c642d636c61756465222c227265766973696f6e223a2263393338343732663863353462663362227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3439383733335a222c2274797065223a22676174652e706173736564222c2276223a317d	\\x35bb302be79ffeab7bfc69005c88c6767dab66aa9f5341ef713c5b00afa5a2d1
14	T-1	gate.ready	\\x31341f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22696d706c656d656e74222c226c616e65223a226275696c646572222c227265766973696f6e223a2263393338343732663863353462663362222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3133227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22696d706c656d656e74222c226a6f62223a312c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3439383733335a222c2274797065223a22676174652e7265616479222c2276223a317d	\\x297873d7ea05130ea3e0b2b51bad5f6ae00f0627bbb9c6e98e190c3c0f1cef3d
15	T-1	job.posted	\\x31351f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22776f726b222c227265766973696f6e223a2263393338343732663863353462663362222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3133227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3439383733335a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\xd701039dd4693935b34e9e7fc97993c8cf2602a6e3a86c89d7361989b1a158ab
16	T-1	job.claimed	\\x31361f542d311f6a6f622e636c61696d65641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a31393a35332e3734363830375a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3734363830375a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d	\\x82a111a8a6b8015985985e358201efa7a15f7dbe889678ce462baa0fe36def53
17	T-1	job.submitted	\\x31371f542d311f6a6f622e7375626d69747465641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2264326366343638383662646233616333333336663766666431373361343834373934333963383334363032613737663436396432343932376232653833363831222c2266656e6365223a312c227265766973696f6e223a2263393338343732663863353462663362227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3938323632345a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d	\\xd72567b5716e7023e2e2213ffe3899d9dd963caa758e8de22cda410952a16c54
67	\N	jobs.posted	\\x36371f1f6a6f62732e706f737465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a6e756c6c2c2264617461223a7b22636f756e74223a312c226b696e64223a22706c61696e222c2272616e676573223a5b5b31302c31305d5d7d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a31302c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35372e3638323538395a222c2274797065223a226a6f62732e706f73746564222c2276223a317d	\\x66b975a57b28f61ccf63f382970262291a2db36ed25fb12c0b34df0c2d077658
18	T-1	work.submitted	\\x31381f542d311f776f726b2e7375626d69747465641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3938323632345a222c2274797065223a22776f726b2e7375626d6974746564222c2276223a317d	\\x8ee236df4471d2501081d4c4bd0d63b4b0a1c537cb8c98e18e9b793e3bb1a574
19	T-1	gate.passed	\\x31391f542d311f676174652e7061737365641e7b226163746f72223a226275696c642d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22696d706c656d656e74222c22726561736f6e223a2264656c697665726564206279206275696c642d636c61756465222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a22696d706c656d656e74222c226a6f62223a322c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3938323632345a222c2274797065223a22676174652e706173736564222c2276223a317d	\\xdcc861a31c3dd08dfdd4fd1dd4c26bfb10c2e936ad2bdf859afea9de2a152c8e
20	T-1	gate.ready	\\x32301f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22636f72726563746e657373222c226c616e65223a227265766965776572222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3139227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22636f72726563746e657373222c226a6f62223a322c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3938323632345a222c2274797065223a22676174652e7265616479222c2276223a317d	\\x3cb118c5b5a14cf9225155400593b05d729454129ed973f1a8c12f06f30a0ab2
21	T-1	gate.ready	\\x32311f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a227365637572697479222c226c616e65223a227365637572697479222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3238227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a227365637572697479222c226a6f62223a322c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3938323632345a222c2274797065223a22676174652e7265616479222c2276223a317d	\\x77c86fc549175d1ba220cc471f125bc18fb042a9d4cee6fb66430ab8e9e6ff00
22	T-1	job.posted	\\x32321f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22726576696577222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3139227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3938323632345a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\x487101bc7e9892530c73b4fd847369a02e20134687326fd5f7e76d184b8e89e9
23	T-1	job.posted	\\x32331f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22726576696577222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3238227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35332e3938323632345a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\x88bb9c0b19495014908e58e71805a592a161000a6219878a48cae2caa3bc920b
24	T-1	job.claimed	\\x32341f542d311f6a6f622e636c61696d65641e7b226163746f72223a227265762d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a31393a35342e3235303532395a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a226f70656e6169222c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3235303532395a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d	\\x52294805ae62835c125cb8dc8c56842ae2cf830232b046a914d569563421d2e3
25	T-1	job.submitted	\\x32351f542d311f6a6f622e7375626d69747465641e7b226163746f72223a227265762d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2264333533623538373361343763383238386239383639333332343230666337643430393433303031396639356231363931633930356533643236613537323166222c2266656e6365223a312c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a226f70656e6169222c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3431303535395a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d	\\x825bef74346644c11fba7653725a4d8c4ea94539381a8f5a35b94615cf30c911
26	T-1	review.filed	\\x32361f542d311f7265766965772e66696c65641e7b226163746f72223a227265762d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22636f756e7473223a747275652c2263726f73735f76656e646f72223a747275652c2266616d696c79223a226f70656e6169222c2266696e64696e6773223a5b5d2c2267617465223a22636f72726563746e657373222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238222c2276657264696374223a2270617373222c22776879223a22636f756e74733a206e6f7420616e20617574686f722c206f70656e616920646966666572732066726f6d20657665727920617574686f7227732066616d696c79227d2c226465636973696f6e223a2270617373222c2266616d696c79223a226f70656e6169222c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3431303535395a222c2274797065223a227265766965772e66696c6564222c2276223a317d	\\xc8b8101598cfe491865ecfc8838f8ce6139d4fd847d7f6475a3b103ee8b9b2fe
27	T-1	gate.passed	\\x32371f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22636f72726563746e657373222c22726561736f6e223a2231206f66203120726576696577287329206f6e207265766973696f6e2033326534336138313030616433616238222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a22636f72726563746e657373222c226a6f62223a332c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3431303535395a222c2274797065223a22676174652e706173736564222c2276223a317d	\\x9c0098e61598c8fc8bf38c914d541f918f8a2dbd3c4b026b4356261f9362e324
28	T-1	job.claimed	\\x32381f542d311f6a6f622e636c61696d65641e7b226163746f72223a227365632d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a31393a35342e3635353537395a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22676f6f676c65222c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3635353537395a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d	\\xf396f1a42212c8061a1a14bc53277c88296adc2ed76036dd8cac99ff34a2a5ac
29	T-1	job.submitted	\\x32391f542d311f6a6f622e7375626d69747465641e7b226163746f72223a227365632d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2263323130643962363031316531346236323764316461316134386132386433363738323437303966313432306561613164653335353435616636353730326564222c2266656e6365223a312c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22676f6f676c65222c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3730363638345a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d	\\x4536104d0f80c76f33c7ecbe00ed4836754f62aebe5879137d479b5ad8c3f992
30	T-1	review.filed	\\x33301f542d311f7265766965772e66696c65641e7b226163746f72223a227365632d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22636f756e7473223a747275652c2263726f73735f76656e646f72223a747275652c2266616d696c79223a22676f6f676c65222c2266696e64696e6773223a5b5d2c2267617465223a227365637572697479222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238222c2276657264696374223a2270617373222c22776879223a22636f756e74733a206e6f7420616e20617574686f722c20676f6f676c6520646966666572732066726f6d20657665727920617574686f7227732066616d696c79227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22676f6f676c65222c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3730363638345a222c2274797065223a227265766965772e66696c6564222c2276223a317d	\\xcb08d885a2792baf0e6e3c4a3d443adf5f6166de37f9f6f83dc698ce94fe8333
31	T-1	gate.passed	\\x33311f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a227365637572697479222c22726561736f6e223a2231206f66203120726576696577287329206f6e207265766973696f6e2033326534336138313030616433616238222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a227365637572697479222c226a6f62223a342c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3730363638345a222c2274797065223a22676174652e706173736564222c2276223a317d	\\x8f766c923d64d78cff6f16d9e7af6d887b01b2eb644df8c72e77e819bbbc8683
32	T-1	gate.ready	\\x33321f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2264657369676e222c226c616e65223a227265766965776572222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3336227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2264657369676e222c226a6f62223a342c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3730363638345a222c2274797065223a22676174652e7265616479222c2276223a317d	\\x30b5251a13b50b815af3822b425c088a66b228c49df1933cc4145869345f9818
33	T-1	job.posted	\\x33331f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22726576696577222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3336227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3730363638345a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\x711c67fc4da8e9029982577bc553598fc7482ef604c7fb988a86f36dfa16e335
34	T-1	job.claimed	\\x33341f542d311f6a6f622e636c61696d65641e7b226163746f72223a227265762d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a31393a35342e3939313637355a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22676f6f676c65222c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35342e3939313637355a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d	\\xe9930ef863ad7a7da7e4658876b56ffe418057b31044584ade76c9a757d4e94e
35	T-1	job.submitted	\\x33351f542d311f6a6f622e7375626d69747465641e7b226163746f72223a227265762d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2234393662326533373932316537316566393630346437343834336131313763346264316139626637633064656231646366386466396635663736393866613064222c2266656e6365223a312c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22676f6f676c65222c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3132323537385a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d	\\xcdfe35c2a9a12935a7e475b0ac96cf5c0a7df9c377c6560b62fd01a3b0eb65ef
36	T-1	review.filed	\\x33361f542d311f7265766965772e66696c65641e7b226163746f72223a227265762d67656d696e69222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22636f756e7473223a747275652c2263726f73735f76656e646f72223a747275652c2266616d696c79223a22676f6f676c65222c2266696e64696e6773223a5b5d2c2267617465223a2264657369676e222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238222c2276657264696374223a2270617373222c22776879223a22636f756e74733a206e6f7420616e20617574686f722c20676f6f676c6520646966666572732066726f6d20657665727920617574686f7227732066616d696c79227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22676f6f676c65222c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3132323537385a222c2274797065223a227265766965772e66696c6564222c2276223a317d	\\x1714d40fc8cd48f05236674e3eb7ea6a61d03eeca45ba199508a9e03a98f5ad7
37	T-1	gate.passed	\\x33371f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2264657369676e222c22726561736f6e223a2231206f66203120726576696577287329206f6e207265766973696f6e2033326534336138313030616433616238222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a2264657369676e222c226a6f62223a352c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3132323537385a222c2274797065223a22676174652e706173736564222c2276223a317d	\\x8c70d01058c1f8d54543f70fb21fa6f84be72e514b1f65c01875982b1764d5dd
38	T-1	gate.passed	\\x33381f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22656c69676962696c697479222c22726561736f6e223a22656c696769626c653a2073657061726174696f6e206f66206475746965732c2063726f73732d76656e646f722071756f72756d20616e6420636f6e74656e742062696e64696e6720686f6c64222c227265766973696f6e223a2233326534336138313030616433616238222c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3434227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a22656c69676962696c697479222c226a6f62223a352c226c616e65223a6e756c6c2c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3132323537385a222c2274797065223a22676174652e706173736564222c2276223a317d	\\x41978a29285b372f5bac3d52aa5be7f4e4e54866068191024dd2fb628ecba18d
39	T-1	gate.ready	\\x33391f542d311f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22617070726f76616c222c226c616e65223a22617070726f766572222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3439227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a352c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3132323537385a222c2274797065223a22676174652e7265616479222c2276223a317d	\\x82d4836bd4907670ef87a84080a95989370d33074e1f716fe1f525f2376cc2b6
40	T-1	job.posted	\\x34301f542d311f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22617070726f76616c222c227265766973696f6e223a2233326534336138313030616433616238222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3439227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3132323537385a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\x1a874f0d7098be583a11b64d7098bbbfd6b0948caa4e808f51214a68236a5ac5
41	T-1	approval.requested	\\x34311f542d311f617070726f76616c2e7265717565737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617070726f76616c223a312c226b696e64223a2267617465222c227265766973696f6e223a2233326534336138313030616433616238222c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3439227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3132323537385a222c2274797065223a22617070726f76616c2e726571756573746564222c2276223a317d	\\xb39c18d70040fa0f6426f2a8ad4bb26f33678489008d913287eeba98aaa6845b
42	T-1	job.claimed	\\x34321f542d311f6a6f622e636c61696d65641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a31393a35352e3537303634325a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a2268756d616e222c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3537303634325a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d	\\x210f5531ea4bfe004af664f86b9f10a9788ab67f7ed2f615e081395da3b155b2
43	T-1	job.submitted	\\x34331f542d311f6a6f622e7375626d69747465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2236363130353433323234303963373765303664366435393664393333613338336431386332366163386264666661323937366435333036633134626462316266222c2266656e6365223a312c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a22617070726f7665222c2266616d696c79223a2268756d616e222c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3835323238355a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d	\\x8b514ee888adb5e28eedcb01816bbb2e24d2ba1555f37d40c53f3646317dca43
44	T-1	approval.granted	\\x34341f542d311f617070726f76616c2e6772616e7465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22636f756e7473223a747275652c2266616d696c79223a2268756d616e222c2267617465223a22617070726f76616c222c226e6f7465223a22222c227265766973696f6e223a2233326534336138313030616433616238222c22776879223a2268756d616e2c206e6f7420616e20617574686f72227d2c226465636973696f6e223a22617070726f7665222c2266616d696c79223a2268756d616e222c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3835323238355a222c2274797065223a22617070726f76616c2e6772616e746564222c2276223a317d	\\xa89efdc91a125a26f593c95465a00f3a706930e9498eb0b85bf2973a58e7a9bb
45	T-1	gate.passed	\\x34351f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22617070726f76616c222c22726561736f6e223a2231206f66203120617070726f76616c287329206f6e207265766973696f6e2033326534336138313030616433616238222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a362c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3835323238355a222c2274797065223a22676174652e706173736564222c2276223a317d	\\x406c2039e889bfc0bd254ac0d5299cf59edb431a7430daf1fac2fe4593b17072
46	T-1	gate.passed	\\x34361f542d311f676174652e7061737365641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22646f6e65222c22726561736f6e223a227465726d696e616c2072652d636865636b2068656c64222c227265766973696f6e223a2233326534336138313030616433616238227d2c226465636973696f6e223a2270617373222c2266616d696c79223a6e756c6c2c2267617465223a22646f6e65222c226a6f62223a362c226c616e65223a6e756c6c2c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3835323238355a222c2274797065223a22676174652e706173736564222c2276223a317d	\\xe54484ea111b7b95b35506bba34f948c90fa1be9eaefd29fddd029b19090483a
47	T-1	task.done	\\x34371f542d311f7461736b2e646f6e651e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c22706173736564223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c2264657369676e222c22656c69676962696c697479222c22617070726f76616c225d2c227265766973696f6e223a2233326534336138313030616433616238222c22736b6970706564223a5b5d2c2274696572223a2268696768227d2c226465636973696f6e223a22646f6e65222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a362c226c616e65223a6e756c6c2c2272756c6573223a5b5d2c227461736b223a22542d31222c227473223a22323032362d31322d30375430303a31343a35352e3835323238355a222c2274797065223a227461736b2e646f6e65222c2276223a317d	\\x166faa375c9ad0ebe9842ec2466c921d15bf5b5206b76053857769247116ad2b
48	T-2	task.created	\\x34381f542d321f7461736b2e637265617465641e7b226163746f72223a22626f62222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b2261747472696275746573223a7b7d2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c226761746573223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c2264657369676e222c22656c69676962696c697479222c22617070726f76616c222c22646f6e65225d2c227265717569726564223a5b2273706563222c22696d706c656d656e74222c22636f72726563746e657373222c227365637572697479222c22656c69676962696c697479225d2c2274696572223a226d656469756d222c22746965725f726561736f6e223a226e6f20636c6173736966792072756c65206d6174636865643b2064656661756c74207469657220276d656469756d27222c22746965725f72756c6573223a5b5d2c22746965725f736f7572636573223a5b2267617465732f7269736b2e79616d6c3a3134225d2c227469746c65223a22466978206c6f676f7574222c22776f726b666c6f77223a226368616e6765222c22776f726b666c6f775f736f75726365223a2267617465732f6368616e67652e79616d6c3a34227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a2268756d616e222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a31343a35362e3330323634305a222c2274797065223a227461736b2e63726561746564222c2276223a317d	\\x1df64152c3cdda15e93efcbc397439a9fa85aa829ffc140ad7df6d9f44984fd2
49	T-2	gate.skipped	\\x34391f542d321f676174652e736b69707065641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2264657369676e222c22726561736f6e223a226e6f74207265717569726564206174207469657220276d656469756d27202872657175697265642061743a206869676829222c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3336227d2c226465636973696f6e223a22736b6970222c2266616d696c79223a6e756c6c2c2267617465223a2264657369676e222c226a6f62223a6e756c6c2c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a31343a35362e3330323634305a222c2274797065223a22676174652e736b6970706564222c2276223a317d	\\x576451e324ff007a6b7fd859d9bc0ad64d77875eb4d4f2e13322bc0578eb903b
50	T-2	gate.skipped	\\x35301f542d321f676174652e736b69707065641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22617070726f76616c222c22726561736f6e223a226e6f74207265717569726564206174207469657220276d656469756d27202872657175697265642061743a206869676829222c22736f75726365223a2267617465732f6368616e67652e79616d6c3a3439227d2c226465636973696f6e223a22736b6970222c2266616d696c79223a6e756c6c2c2267617465223a22617070726f76616c222c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a31343a35362e3330323634305a222c2274797065223a22676174652e736b6970706564222c2276223a317d	\\x8eb319a1b26c3c6f581bdeef8686579c9c6f1be0378fd1f8f9f82b9a7b43053a
51	T-2	gate.ready	\\x35311f542d321f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a2273706563222c226c616e65223a226275696c646572222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2273706563222c226a6f62223a6e756c6c2c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a31343a35362e3330323634305a222c2274797065223a22676174652e7265616479222c2276223a317d	\\xa9ffc39c7a5493f78a8c358994585e9dc233920348b5edadc2a94302295954e1
52	T-2	job.posted	\\x35321f542d321f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22776f726b222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6368616e67652e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a2273706563222c226a6f62223a372c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a31343a35362e3330323634305a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\xa4132306ff244843e31b9870a94dc465a954beee5c5bcb5e3691e2457ba17f1f
53	T-2	job.claimed	\\x35331f542d321f6a6f622e636c61696d65641e7b226163746f72223a226275696c642d636c61756465222c2261757468223a7b226b696e64223a226167656e74222c227072696e636970616c223a226275696c642d636c61756465222c22746f6b656e223a2233353038646161373138326563663031222c22766961223a227072696e636970616c227d2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430313a31343a35362e3336313633305a222c2266656e6365223a312c226a6f625f746f6b656e223a2261343330353236393234313234383237222c226c656173655f7365636f6e6473223a333630307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22616e7468726f706963222c2267617465223a2273706563222c226a6f62223a372c226c616e65223a226275696c646572222c2272756c6573223a5b5d2c227461736b223a22542d32222c227473223a22323032362d31322d30375430303a31343a35362e3336313633305a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d	\\xedc8f5a67023db0440a72e6d613cfe467911609bb6eb30058b5d7520a6e50629
54	T-3	task.created	\\x35341f542d331f7461736b2e637265617465641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b2261747472696275746573223a7b2263726564656e7469616c223a22676974687562222c22656e7669726f6e6d656e74223a2273746167696e67222c2273657276696365223a22676974687562227d2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c226761746573223a5b22706c616e222c22726576696577222c22656c69676962696c697479222c22617070726f76616c222c2265786563757465222c22646f6e65225d2c227265717569726564223a5b22706c616e222c22726576696577222c22656c69676962696c697479222c22617070726f76616c222c2265786563757465225d2c2274696572223a2268696768222c22746965725f726561736f6e223a225249534b2d43524544454e5449414c3a2043726564656e7469616c2d62656172696e6720776f726b206f75747369646520646576222c22746965725f72756c6573223a5b225249534b2d43524544454e5449414c225d2c22746965725f736f7572636573223a5b2267617465732f7269736b2e79616d6c3a3335225d2c227469746c65223a22526f74617465206b657973222c22776f726b666c6f77223a226f7073222c22776f726b666c6f775f736f75726365223a2267617465732f6f70732e79616d6c3a34227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a2268756d616e222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a22617070726f766572222c2272756c6573223a5b225249534b2d43524544454e5449414c225d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3536353037365a222c2274797065223a227461736b2e63726561746564222c2276223a317d	\\xf15f47af8aa740c3c5d726899d22f5e2149186c9893b0e63024c8f9e27370f97
55	T-3	gate.ready	\\x35351f542d331f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22706c616e222c226c616e65223a226f70657261746f72222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736f75726365223a2267617465732f6f70732e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22706c616e222c226a6f62223a6e756c6c2c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3536353037365a222c2274797065223a22676174652e7265616479222c2276223a317d	\\x6bcd1c3c40ab19b4d53f68b8ea3377d1877ea9f318ed3540b6d1d9ab634c42e4
56	T-3	job.posted	\\x35361f542d331f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22776f726b222c227265766973696f6e223a6e756c6c2c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6f70732e79616d6c3a37227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3536353037365a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\xde2e84103fd650f0a147a4825778bcdfd2630b72e8e430deae207c5adb3e4dfe
57	T-3	job.claimed	\\x35371f542d331f6a6f622e636c61696d65641e7b226163746f72223a226f70732d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22617474656d7074223a312c2265787069726573223a22323032362d31322d30375430303a31393a35362e3734373835345a222c2266656e6365223a312c226c656173655f7365636f6e6473223a3330302e307d2c226465636973696f6e223a226c65617365222c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3734373835345a222c2274797065223a226a6f622e636c61696d6564222c2276223a317d	\\x2f8e7b0406ab6fb155f8c9a0f783de036227ef48b3d2f6e7ff701591e0be268b
58	T-3	job.submitted	\\x35381f542d331f6a6f622e7375626d69747465641e7b226163746f72223a226f70732d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e74656e745f736861323536223a2264383664623339393032383838366537386239623466633462333533326232303238623635626666623133383131663638373535373436633233643339646134222c2266656e6365223a312c227265766973696f6e223a6e756c6c7d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3837343639395a222c2274797065223a226a6f622e7375626d6974746564222c2276223a317d	\\xc8de7cb0a82a0851dc6df83a7dbdb43b3fe3b266805be030cbbce8b02aed9b2f
59	T-3	work.submitted	\\x35391f542d331f776f726b2e7375626d69747465641e7b226163746f72223a226f70732d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226e6f7465223a22222c227265766973696f6e223a2235316230633564383734343763343364227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3837343639395a222c2274797065223a22776f726b2e7375626d6974746564222c2276223a317d	\\x6fbcbd33102e80a85a6450cac2e93f506a9af704698918329346b10a9d6bceb8
60	T-3	gate.passed	\\x36301f542d331f676174652e7061737365641e7b226163746f72223a226f70732d636c61756465222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22706c616e222c22726561736f6e223a2264656c697665726564206279206f70732d636c61756465222c227265766973696f6e223a2235316230633564383734343763343364227d2c226465636973696f6e223a2270617373222c2266616d696c79223a22616e7468726f706963222c2267617465223a22706c616e222c226a6f62223a382c226c616e65223a226f70657261746f72222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3837343639395a222c2274797065223a22676174652e706173736564222c2276223a317d	\\x0256753360c8ac9e5d0c2dd598a5cd1ebf6158bd5e4a430e1f5e843f7dea4591
61	T-3	gate.ready	\\x36311f542d331f676174652e72656164791e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22636f6e6669675f68617368223a2230623530303466653737353739306361222c2267617465223a22726576696577222c226c616e65223a227365637572697479222c227265766973696f6e223a2235316230633564383734343763343364222c22726f756e64223a302c22736f75726365223a2267617465732f6f70732e79616d6c3a3132227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22726576696577222c226a6f62223a382c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3837343639395a222c2274797065223a22676174652e7265616479222c2276223a317d	\\x05f0561853c296da16b17c9ec9e895d433a8429871bcd9dc323b8b4da813b35f
62	T-3	job.posted	\\x36321f542d331f6a6f622e706f737465641e7b226163746f72223a6e756c6c2c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226b696e64223a22726576696577222c227265766973696f6e223a2235316230633564383734343763343364222c22726f756e64223a302c22736c6f74223a302c22736f75726365223a2267617465732f6f70732e79616d6c3a3132227d2c226465636973696f6e223a6e756c6c2c2266616d696c79223a6e756c6c2c2267617465223a22726576696577222c226a6f62223a392c226c616e65223a227365637572697479222c2272756c6573223a5b5d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35362e3837343639395a222c2274797065223a226a6f622e706f73746564222c2276223a317d	\\x2ed0f62d4340d7bc755c61d8c9c0b87e9410a0974ecfe470e4b9c8b2128191e5
63	T-3	action.decided	\\x36331f542d331f616374696f6e2e646563696465641e7b226163746f72223a226f70732d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22616374696f6e223a2263726564656e7469616c2e757365222c22617070726f7665645f6279223a6e756c6c2c2261747472696275746573223a7b2263726564656e7469616c223a22676974687562222c22656e7669726f6e6d656e74223a2273746167696e67222c2273657276696365223a22676974687562227d2c22726561736f6e223a226e6565647320617070726f76616c20627920612068756d616e2077686f206973206e6f7420616e20617574686f723a2043726564656e7469616c2d62656172696e6720616374696f6e73206e65656420612068756d616e222c227265766973696f6e223a2235316230633564383734343763343364222c2272756c6573223a5b7b22616472223a352c22656666656374223a226e656564735f617070726f76616c222c226964223a22434f4e5345512d43524544454e5449414c222c22726561736f6e223a2243726564656e7469616c2d62656172696e6720616374696f6e73206e65656420612068756d616e222c22736f75726365223a2267617465732f72756c65732e79616d6c3a3431227d5d7d2c226465636973696f6e223a226e656564735f617070726f76616c222c2266616d696c79223a226f70656e6169222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a226f70657261746f72222c2272756c6573223a5b22434f4e5345512d43524544454e5449414c225d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35372e3138363638335a222c2274797065223a22616374696f6e2e64656369646564222c2276223a317d	\\x40734864e7788b0a308a0d6306a1ec5a1fb939aa306e9be0d9e70291a7be8d13
64	T-3	approval.requested	\\x36341f542d331f617070726f76616c2e7265717565737465641e7b226163746f72223a226f70732d677074222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b22616374696f6e223a2263726564656e7469616c2e757365222c22617070726f76616c223a322c226b696e64223a22616374696f6e222c227265766973696f6e223a2235316230633564383734343763343364222c2272756c6573223a5b7b22616472223a352c22656666656374223a226e656564735f617070726f76616c222c226964223a22434f4e5345512d43524544454e5449414c222c22726561736f6e223a2243726564656e7469616c2d62656172696e6720616374696f6e73206e65656420612068756d616e222c22736f75726365223a2267617465732f72756c65732e79616d6c3a3431227d5d7d2c226465636973696f6e223a226e656564735f617070726f76616c222c2266616d696c79223a226f70656e6169222c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a226f70657261746f72222c2272756c6573223a5b22434f4e5345512d43524544454e5449414c225d2c227461736b223a22542d33222c227473223a22323032362d31322d30375430303a31343a35372e3138363638335a222c2274797065223a22617070726f76616c2e726571756573746564222c2276223a317d	\\x432f4ffd5b52e0002b9891a151a8ff6ca338ad247753e9923a1460f47cae6f3a
65	\N	switch.paused	\\x36351f1f7377697463682e7061757365641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226e6f7465223a226c756e6368222c2273636f7065223a226c616e65222c22737769746368223a312c22746172676574223a227265766965776572227d2c226465636973696f6e223a227061757365222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35372e3433323736335a222c2274797065223a227377697463682e706175736564222c2276223a317d	\\xcad25a387b2f8bb939d6925e319b1d9ae15594288757db8a5c53332d494def7e
66	\N	switch.resumed	\\x36361f1f7377697463682e726573756d65641e7b226163746f72223a22616c696365222c22636f6e6669675f68617368223a2230623530303466653737353739306361222c2264617461223a7b226e6f7465223a22222c2273636f7065223a226c616e65222c22737769746368223a312c22746172676574223a227265766965776572227d2c226465636973696f6e223a22726573756d65222c2266616d696c79223a6e756c6c2c2267617465223a6e756c6c2c226a6f62223a6e756c6c2c226c616e65223a227265766965776572222c2272756c6573223a5b5d2c227461736b223a6e756c6c2c227473223a22323032362d31322d30375430303a31343a35372e3533313632375a222c2274797065223a227377697463682e726573756d6564222c2276223a317d	\\x378962389b96543e1a872ecb9868a3716130990cc3d9defa1e747073102caa2d
\.


--
-- Data for Name: jobs; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.jobs (id, task, gate, lane, kind, status, priority, round, slot, revision, excluded, attempts, max_attempts, fence, token, leased_by, lease_seconds, lease_expires, posted_at, updated_at, verdict, result, payload, reason) FROM stdin;
1	T-1	spec	builder	work	done	2	0	0	\N	|	1	3	1	1-24412e419d91e43c0af3bbd5	build-claude	300	1796602793.3226762	1796602493.1598728	1796602493.4987333	pass	{"content": "work of build-claude", "content_bytes": 20, "content_sha256": "d2cf46886bdb3ac3336f7ffd173a48479439c834602a77f469d24927b2e83681", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["work.submitted", "gate.passed", "gate.ready"], "ready": ["implement"], "revision": "c938472f8c54bf3b", "task_status": "active"}}	\N	\N
2	T-1	implement	builder	work	done	2	0	0	c938472f8c54bf3b	|	1	3	1	1-9faaab4bc6c59090263f6429	build-claude	300	1796602793.7468073	1796602493.4987333	1796602493.9826243	pass	{"content": "work of build-claude", "content_bytes": 20, "content_sha256": "d2cf46886bdb3ac3336f7ffd173a48479439c834602a77f469d24927b2e83681", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["work.submitted", "gate.passed", "gate.ready", "gate.ready"], "ready": ["correctness", "security"], "revision": "32e43a8100ad3ab8", "task_status": "active"}}	\N	\N
3	T-1	correctness	reviewer	review	done	2	0	0	32e43a8100ad3ab8	|a:build-claude|f:anthropic|	1	3	1	1-c62d1d658b31279fff538b2c	rev-gpt	300	1796602794.250529	1796602493.9826243	1796602494.4105594	pass	{"content": "work of rev-gpt", "content_bytes": 15, "content_sha256": "d353b5873a47c8288b9869332420fc7d409430019f95b1691c905e3d26a5721f", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["review.filed", "gate.passed"], "ready": ["security"], "revision": "32e43a8100ad3ab8", "task_status": "active"}}	\N	\N
4	T-1	security	security	review	done	2	0	0	32e43a8100ad3ab8	|a:build-claude|f:anthropic|	1	3	1	1-bf5e3616bbc0e8eaff42be08	sec-gemini	300	1796602794.6555793	1796602493.9826243	1796602494.7066836	pass	{"content": "work of sec-gemini", "content_bytes": 18, "content_sha256": "c210d9b6011e14b627d1da1a48a28d367824709f1420eaa1de35545af65702ed", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["review.filed", "gate.passed", "gate.ready"], "ready": ["design"], "revision": "32e43a8100ad3ab8", "task_status": "active"}}	\N	\N
5	T-1	design	reviewer	review	done	2	0	0	32e43a8100ad3ab8	|a:build-claude|f:anthropic|	1	3	1	1-18adabefbc6f967dd9b349bd	rev-gemini	300	1796602794.991675	1796602494.7066836	1796602495.122578	pass	{"content": "work of rev-gemini", "content_bytes": 18, "content_sha256": "496b2e37921e71ef9604d74843a117c4bd1a9bf7c0deb1dcf8df9f5f7698fa0d", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["review.filed", "gate.passed", "gate.passed", "gate.ready"], "ready": ["approval"], "revision": "32e43a8100ad3ab8", "task_status": "active"}}	\N	\N
6	T-1	approval	approver	approval	done	2	0	0	32e43a8100ad3ab8	|a:build-claude|	1	3	1	1-597fb6c52242659bde3e6527	alice	300	1796602795.5706425	1796602495.122578	1796602495.8522854	approve	{"content": "work of alice", "content_bytes": 13, "content_sha256": "661054322409c77e06d6d596d933a383d18c26ac8bdffa2976d5306c14bdb1bf", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["approval.granted", "gate.passed", "gate.passed", "task.done"], "ready": [], "revision": "32e43a8100ad3ab8", "task_status": "done"}}	\N	\N
7	T-2	spec	builder	work	leased	1	0	0	\N	|	1	3	1	1-a887b389ac273dc5a773ad65	build-claude	3600	1796606096.3616302	1796602496.3026402	1796602496.3616302	\N	\N	\N	\N
9	T-3	review	security	review	queued	2	0	0	51b0c5d87447c43d	|a:ops-claude|f:anthropic|	0	3	0	\N	\N	0	\N	1796602496.8746986	1796602496.8746986	\N	\N	\N	\N
8	T-3	plan	operator	work	done	2	0	0	\N	|	1	3	1	1-a1405dd1070dd0f781d81ddf	ops-claude	300	1796602796.747854	1796602496.5650759	1796602496.8746986	pass	{"content": "1. rotate", "content_bytes": 9, "content_sha256": "d86db399028886e78b9b4fc4b3532b2028b65bffb13811f68755746c23d39da4", "content_truncated": false, "findings": [], "note": "", "outcome": {"events": ["work.submitted", "gate.passed", "gate.ready"], "ready": ["review"], "revision": "51b0c5d87447c43d", "task_status": "active"}}	\N	\N
10	\N	\N	operator	plain	queued	0	0	0	\N	|	0	3	0	\N	\N	0	\N	1796602497.6825888	1796602497.6825888	\N	\N	{"n": 1}	\N
\.


--
-- Data for Name: lane_signals; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.lane_signals (lane, version) FROM stdin;
\.


--
-- Data for Name: leases; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.leases (id, job, fence, actor, granted_at, expires_at, heartbeat_at, ended_at, outcome) FROM stdin;
1	1	1	build-claude	1796602493.3226762	1796602793.3226762	\N	1796602493.4987333	submitted
2	2	1	build-claude	1796602493.7468073	1796602793.7468073	\N	1796602493.9826243	submitted
3	3	1	rev-gpt	1796602494.250529	1796602794.250529	\N	1796602494.4105594	submitted
4	4	1	sec-gemini	1796602494.6555793	1796602794.6555793	\N	1796602494.7066836	submitted
5	5	1	rev-gemini	1796602494.991675	1796602794.991675	\N	1796602495.122578	submitted
6	6	1	alice	1796602495.5706425	1796602795.5706425	\N	1796602495.8522854	submitted
7	7	1	build-claude	1796602496.3616302	1796606096.3616302	\N	\N	active
8	8	1	ops-claude	1796602496.747854	1796602796.747854	\N	1796602496.8746986	submitted
\.


--
-- Data for Name: org_auth_failures; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.org_auth_failures (key, first_at, last_at, failures) FROM stdin;
\.


--
-- Data for Name: org_tokens; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.org_tokens (id, kind, principal, principal_kind, salt, hash, created_at, created_by, expires_at, revoked_at, revoked_by, note, job, fence, fence_token, task, gate, lane, actions) FROM stdin;
0312079abbeb1c65	principal	alice	human	2e6082c6893f679959da570eaacc7e79	ba456dbf8c64a2a20831433aa60602918652bcde92ed0c16eb6cb132345e066e	1796602492.8826396	release-fixture	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
860d8fe22c3f1020	principal	bob	human	5fb54b6dfd4ad19f2cc985cc419f3f59	d64e904bd7e2d86a60ed6db2643c61f31e17776bd6a918489ba634afc4a17bf5	1796602492.9625971	release-fixture	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
3508daa7182ecf01	principal	build-claude	agent	ea751171c9054098983e4b51b1cdc416	cb57b2dda077a70f0b81168825926b1750fb184d10ecbf3db628cc71cd19a7ac	1796602492.9985828	release-fixture	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
3a96e45e0e68c099	principal	ops-claude	agent	8e18f78bfdf9427a6fd5c69157b5bdc5	e66cae55adddd05aecfa1ecb88a967c2219c0f10741ba2996a8e30b4da478b84	1796602493.038585	release-fixture	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N	\N
062177705e13af33	principal	rev-gpt	agent	ec918c51fa7b920fe30a4e5915f69e48	94722db6201deddad233b4a712d4f201914b0e8755e8624e46bc649f474eb666	1796602493.078567	release-fixture	\N	1796602493.1126208	release-fixture	\N	\N	\N	\N	\N	\N	\N	\N
a430526924124827	job	build-claude	agent	8e42a4dac3faedc6119894deedc43d41	7a666426eca7c959c26c23e8e54de8804aede22e3504026f5e2deaca2ca7137e	1796602496.3616302	3508daa7182ecf01	1796606096.3616302	\N	\N	\N	7	1	1-a887b389ac273dc5a773ad65	T-2	spec	builder	["branch.push", "code.commit", "code.write", "credential.use", "docs.write", "job.heartbeat", "job.submit", "pr.open", "spec.write", "test.run"]
\.


--
-- Data for Name: rate_budgets; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.rate_budgets (provider, capacity, tokens, refill_per_s, updated_at) FROM stdin;
anthropic	100	95	1	1796602497.6586192
\.


--
-- Data for Name: switches; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.switches (id, scope, target, active, paused_by, paused_at, note, resumed_by, resumed_at, resume_note) FROM stdin;
1	lane	reviewer	f	alice	1796602497.4327633	lunch	alice	1796602497.5316272	\N
\.


--
-- Data for Name: tasks; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.tasks (id, key, title, workflow, tier, status, config_hash, created_by, created_at, updated_at, last_event_at, idempotency_key, attributes, revision, rounds, escalation, last_seq) FROM stdin;
1	T-1	Fix login	change	high	done	0b5004fe775790ca	alice	1796602493.1598728	1796602495.8522854	1796602495.8522854	\N	{"environment": "production"}	32e43a8100ad3ab8	0	\N	22
2	T-2	Fix logout	change	medium	active	0b5004fe775790ca	bob	1796602496.3026402	1796602496.3026402	1796602496.3026402	\N	{}	\N	0	\N	4
3	T-3	Rotate keys	ops	high	active	0b5004fe775790ca	alice	1796602496.5650759	1796602496.8746986	1796602496.8746986	\N	{"credential": "github", "environment": "staging", "service": "github"}	51b0c5d87447c43d	0	\N	5
\.


--
-- Data for Name: usage; Type: TABLE DATA; Schema: org_release_before; Owner: -
--

COPY org_release_before.usage (id, ts, actor, lane, task, workflow, gate, job, model, vendor, family, tokens_in, tokens_out, cost_usd, latency_ms, outcome) FROM stdin;
1	1796602497.2978554	build-claude	builder	T-2	change	\N	\N	anthropic/claude-sonnet-4-5	anthropic	anthropic	100	20	0.01	0	ok
2	1796602497.3920944	build-claude	builder	\N	\N	\N	\N	anthropic/house-model-x	anthropic	anthropic	10	0	\N	0	ok
\.


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

\unrestrict EvtnlA3cE1W0KGVdHb1Y5iMdM9z4lR8mU7iCWXhqQEyK6P8Zvn3X2hdRp1YjmUa

