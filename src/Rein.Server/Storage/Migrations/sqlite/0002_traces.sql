-- Traces: spans as received (redacted, within limits), runs kept up to date as their spans arrive, and each
-- project's trace settings. Span times are Unix nanoseconds; other times Unix milliseconds.

CREATE TABLE trace_settings (
    project_id       TEXT PRIMARY KEY REFERENCES projects (id),
    retention_days   INTEGER NOT NULL,
    capture_content  INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    updated_by       TEXT
);

-- One row per trace. Values that can come from several spans (agent, release, session, user, outcome) carry the
-- rank of the span they came from, so the best source wins whatever order the spans arrive in.
CREATE TABLE runs (
    project_id           TEXT NOT NULL,
    trace_id             TEXT NOT NULL,
    name                 TEXT,
    root_seen            INTEGER NOT NULL,
    root_status          INTEGER NOT NULL,
    agent                TEXT,
    agent_rank           INTEGER NOT NULL,
    release              TEXT,
    release_rank         INTEGER NOT NULL,
    session_id           TEXT,
    session_rank         INTEGER NOT NULL,
    user_id              TEXT,
    user_rank            INTEGER NOT NULL,
    outcome              TEXT,
    outcome_rank         INTEGER NOT NULL,
    start_ns             INTEGER NOT NULL,
    end_ns               INTEGER NOT NULL,
    spans                INTEGER NOT NULL,
    steps                INTEGER NOT NULL,
    tool_calls           INTEGER NOT NULL,
    errors               INTEGER NOT NULL,
    input_tokens         INTEGER NOT NULL,
    output_tokens        INTEGER NOT NULL,
    cached_input_tokens  INTEGER NOT NULL,
    reasoning_tokens     INTEGER NOT NULL,
    known_cost           REAL NOT NULL,
    unpriced_spans       INTEGER NOT NULL,
    redactions           INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (project_id, trace_id)
);
CREATE INDEX ix_runs_start ON runs (project_id, start_ns, trace_id);
CREATE INDEX ix_runs_agent ON runs (project_id, agent, start_ns);
CREATE INDEX ix_runs_session ON runs (project_id, session_id, start_ns);

CREATE TABLE run_tools (
    project_id  TEXT NOT NULL,
    tool_name   TEXT NOT NULL,
    trace_id    TEXT NOT NULL,
    PRIMARY KEY (project_id, tool_name, trace_id)
);

CREATE TABLE spans (
    project_id           TEXT NOT NULL,
    trace_id             TEXT NOT NULL,
    span_id              TEXT NOT NULL,
    parent_span_id       TEXT,
    name                 TEXT NOT NULL,
    kind                 INTEGER NOT NULL,
    start_ns             INTEGER NOT NULL,
    end_ns               INTEGER NOT NULL,
    status               INTEGER NOT NULL,
    status_message       TEXT,
    operation            TEXT,
    provider             TEXT,
    model                TEXT,
    agent                TEXT,
    agent_version        TEXT,
    session_id           TEXT,
    user_id              TEXT,
    tool_name            TEXT,
    service_name         TEXT,
    outcome              TEXT,
    input_tokens         INTEGER,
    output_tokens        INTEGER,
    cached_input_tokens  INTEGER,
    reasoning_tokens     INTEGER,
    cost                 REAL,
    cost_unknown         INTEGER NOT NULL,
    redactions           INTEGER NOT NULL,
    dropped_attributes   INTEGER NOT NULL,
    dropped_events       INTEGER NOT NULL,
    truncated_values     INTEGER NOT NULL,
    scope                TEXT,
    attributes           TEXT NOT NULL,
    events               TEXT,
    resource             TEXT NOT NULL,
    PRIMARY KEY (project_id, trace_id, span_id)
);
