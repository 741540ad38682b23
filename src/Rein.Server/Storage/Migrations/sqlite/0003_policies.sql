-- Policies and the gate: immutable policy versions and which one is active, kill switches, per-run budget state,
-- rate-limit counters and the decision log. Times are Unix milliseconds.

CREATE TABLE policies (
    project_id      text NOT NULL REFERENCES projects (id),
    name            text NOT NULL,
    latest_version  integer NOT NULL,
    active_version  integer,
    created_at      integer NOT NULL,
    updated_at      integer NOT NULL,
    PRIMARY KEY (project_id, name)
);

-- A version never changes once written; its hash is the SHA-256 of its source.
CREATE TABLE policy_versions (
    project_id    text NOT NULL,
    name          text NOT NULL,
    version       integer NOT NULL,
    hash          text NOT NULL,
    source        text NOT NULL,
    mode          text NOT NULL,
    agents        text NOT NULL,
    rules         integer NOT NULL,
    tests_passed  integer NOT NULL,
    created_at    integer NOT NULL,
    created_by    text,
    PRIMARY KEY (project_id, name, version),
    UNIQUE (project_id, name, hash),
    FOREIGN KEY (project_id, name) REFERENCES policies (project_id, name)
);

-- Every activation, rollback and deactivation in order: what rollback reads to find the previous version.
CREATE TABLE policy_activations (
    project_id  text NOT NULL,
    name        text NOT NULL,
    seq         integer NOT NULL,
    version     integer,
    action      text NOT NULL,
    at          integer NOT NULL,
    actor       text,
    PRIMARY KEY (project_id, name, seq)
);

-- Bumped in the transaction of any change the gate must see (activation, rollback, kill switch); each replica
-- compares it before deciding and reloads when it moved.
CREATE TABLE gate_epochs (
    project_id  text PRIMARY KEY REFERENCES projects (id),
    epoch       integer NOT NULL
);

-- scope is tool, agent or release; agent is '' when a tool switch applies to every agent.
CREATE TABLE kill_switches (
    project_id  text NOT NULL REFERENCES projects (id),
    scope       text NOT NULL,
    target      text NOT NULL,
    agent       text NOT NULL,
    reason      text,
    created_at  integer NOT NULL,
    created_by  text,
    PRIMARY KEY (project_id, scope, target, agent)
);

-- Budget state per run, updated atomically by every decision (row lock on PostgreSQL, one writer on SQLite).
CREATE TABLE gate_runs (
    project_id     text NOT NULL,
    run_id         text NOT NULL,
    parent_run_id  text,
    depth          integer NOT NULL,
    started_at     integer NOT NULL,
    updated_at     integer NOT NULL,
    steps          integer NOT NULL,
    tool_counts    text NOT NULL,
    calls          text NOT NULL,
    PRIMARY KEY (project_id, run_id)
);

CREATE TABLE gate_identical_calls (
    project_id  text NOT NULL,
    run_id      text NOT NULL,
    call_hash   text NOT NULL,
    count       integer NOT NULL,
    PRIMARY KEY (project_id, run_id, call_hash)
);

CREATE TABLE gate_rate_counters (
    project_id    text NOT NULL,
    counter_key   text NOT NULL,
    window_start  integer NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (project_id, counter_key, window_start)
);

-- The decision log, append-only. input is the request after redaction; shadow holds audit and warn policies'
-- would-be decisions.
CREATE TABLE decisions (
    project_id      text NOT NULL,
    id              text NOT NULL,
    at              integer NOT NULL,
    agent           text NOT NULL,
    release         text,
    run_id          text,
    session_id      text,
    principal_id    text,
    tool            text NOT NULL,
    server          text,
    effect          text NOT NULL,
    mode            text,
    policy_name     text,
    policy_version  integer,
    policy_hash     text,
    rules           text NOT NULL,
    reasons         text NOT NULL,
    obligations     text NOT NULL,
    shadow          text NOT NULL,
    input           text NOT NULL,
    run_state       text NOT NULL,
    latency_us      integer NOT NULL,
    trace_id        text,
    span_id         text,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX decisions_by_time ON decisions (project_id, at DESC, id DESC);
CREATE INDEX decisions_by_run ON decisions (project_id, run_id);
