-- Traces: spans as received (redacted, within limits), runs kept up to date as their spans arrive, and each
-- project's trace settings. Span times are Unix nanoseconds; other times Unix milliseconds.

CREATE TABLE trace_settings (
    project_id       text PRIMARY KEY REFERENCES projects (id),
    retention_days   integer NOT NULL,
    capture_content  boolean NOT NULL,
    updated_at       bigint NOT NULL,
    updated_by       text
);

-- One row per trace. Values that can come from several spans (agent, release, session, user, outcome) carry the
-- rank of the span they came from, so the best source wins whatever order the spans arrive in.
CREATE TABLE runs (
    project_id           text NOT NULL,
    trace_id             text NOT NULL,
    name                 text,
    root_seen            boolean NOT NULL,
    root_status          integer NOT NULL,
    agent                text,
    agent_rank           integer NOT NULL,
    release              text,
    release_rank         integer NOT NULL,
    session_id           text,
    session_rank         integer NOT NULL,
    user_id              text,
    user_rank            integer NOT NULL,
    outcome              text,
    outcome_rank         integer NOT NULL,
    start_ns             bigint NOT NULL,
    end_ns               bigint NOT NULL,
    spans                integer NOT NULL,
    steps                integer NOT NULL,
    tool_calls           integer NOT NULL,
    errors               integer NOT NULL,
    input_tokens         bigint NOT NULL,
    output_tokens        bigint NOT NULL,
    cached_input_tokens  bigint NOT NULL,
    reasoning_tokens     bigint NOT NULL,
    known_cost           double precision NOT NULL,
    unpriced_spans       integer NOT NULL,
    redactions           integer NOT NULL,
    created_at           bigint NOT NULL,
    updated_at           bigint NOT NULL,
    PRIMARY KEY (project_id, trace_id)
);
CREATE INDEX ix_runs_start ON runs (project_id, start_ns, trace_id);
CREATE INDEX ix_runs_agent ON runs (project_id, agent, start_ns);
CREATE INDEX ix_runs_session ON runs (project_id, session_id, start_ns);

CREATE TABLE run_tools (
    project_id  text NOT NULL,
    tool_name   text NOT NULL,
    trace_id    text NOT NULL,
    PRIMARY KEY (project_id, tool_name, trace_id)
);

CREATE TABLE spans (
    project_id           text NOT NULL,
    trace_id             text NOT NULL,
    span_id              text NOT NULL,
    parent_span_id       text,
    name                 text NOT NULL,
    kind                 integer NOT NULL,
    start_ns             bigint NOT NULL,
    end_ns               bigint NOT NULL,
    status               integer NOT NULL,
    status_message       text,
    operation            text,
    provider             text,
    model                text,
    agent                text,
    agent_version        text,
    session_id           text,
    user_id              text,
    tool_name            text,
    service_name         text,
    outcome              text,
    input_tokens         bigint,
    output_tokens        bigint,
    cached_input_tokens  bigint,
    reasoning_tokens     bigint,
    cost                 double precision,
    cost_unknown         boolean NOT NULL,
    redactions           integer NOT NULL,
    dropped_attributes   integer NOT NULL,
    dropped_events       integer NOT NULL,
    truncated_values     integer NOT NULL,
    scope                text,
    attributes           text NOT NULL,
    events               text,
    resource             text NOT NULL,
    PRIMARY KEY (project_id, trace_id, span_id)
);
