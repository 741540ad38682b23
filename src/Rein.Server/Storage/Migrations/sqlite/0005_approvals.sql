-- Approvals: queues with their expiry, and the requests a require_approval decision opens, with the evidence a
-- person decides on and the single-use token an approval gives the agent. Times are Unix milliseconds.

CREATE TABLE approval_queues (
    project_id  text NOT NULL REFERENCES projects (id),
    name        text NOT NULL,
    expiry_ms   integer,
    created_at  integer NOT NULL,
    updated_at  integer NOT NULL,
    PRIMARY KEY (project_id, name)
);

-- status: pending, approved, rejected, expired; outcome: approved, modified, rejected, expired.
-- evidence and approved_args are JSON; evidence is redacted as the decision log is. trace_id and parent_span_id say
-- where in the run's trace the decision's span goes. Only a digest of the token is kept for lookup, plus the token
-- protected with the server's data-protection keys so the waiting agent can be given it again until it is used or
-- expires.
CREATE TABLE approval_requests (
    project_id          text NOT NULL REFERENCES projects (id),
    id                  text NOT NULL,
    queue               text NOT NULL,
    status              text NOT NULL,
    severity            text NOT NULL,
    created_at          integer NOT NULL,
    expires_at          integer NOT NULL,
    decided_at          integer,
    decided_by          text,
    decided_by_name     text,
    note                text,
    outcome             text,
    decision_id         text NOT NULL,
    agent               text NOT NULL,
    release             text,
    run_id              text,
    session_id          text,
    principal_id        text,
    tool                text NOT NULL,
    server              text,
    policy_name         text,
    policy_version      integer,
    policy_hash         text,
    rule                text,
    message             text,
    args_hash           text NOT NULL,
    evidence            text NOT NULL,
    trace_id            text,
    parent_span_id      text,
    approved_args       text,
    approved_args_hash  text,
    token_hash          text,
    token_protected     text,
    token_expires_at    integer,
    token_used_at       integer,
    token_decision_id   text,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX approval_requests_inbox ON approval_requests (project_id, status, queue, created_at);
CREATE INDEX approval_requests_by_run ON approval_requests (project_id, run_id);
CREATE INDEX approval_requests_by_time ON approval_requests (project_id, created_at);
CREATE INDEX approval_requests_by_decision_time ON approval_requests (project_id, decided_at);
CREATE INDEX approval_requests_expiring ON approval_requests (status, expires_at);
CREATE UNIQUE INDEX approval_requests_by_token ON approval_requests (project_id, token_hash);

-- The queues an approver key may decide, as a JSON list; NULL: every queue.
ALTER TABLE api_keys ADD COLUMN queues text;
