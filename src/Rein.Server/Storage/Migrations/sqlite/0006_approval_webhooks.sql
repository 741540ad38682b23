-- Approval webhooks: one per queue, and the outbox of deliveries the dispatcher sends. Times are Unix milliseconds.
-- The secret is kept only as ASP.NET Data Protection ciphertext, never in plain text.
CREATE TABLE approval_webhooks (
    project_id        text NOT NULL REFERENCES projects (id),
    queue             text NOT NULL,
    url               text NOT NULL,
    secret_protected  text NOT NULL,
    created_at        integer NOT NULL,
    updated_at        integer NOT NULL,
    PRIMARY KEY (project_id, queue)
);

-- Written in the transaction that creates the approval request; status pending, then delivered or failed. While an
-- attempt is under way next_attempt_at is its lease: a row whose server died mid-attempt becomes due again after it.
CREATE TABLE approval_deliveries (
    project_id        text NOT NULL REFERENCES projects (id),
    id                text NOT NULL,
    request_id        text NOT NULL,
    queue             text NOT NULL,
    url               text NOT NULL,
    event             text NOT NULL,
    status            text NOT NULL,
    attempts          integer NOT NULL,
    next_attempt_at   integer NOT NULL,
    last_status_code  integer,
    last_error        text,
    created_at        integer NOT NULL,
    delivered_at      integer,
    body              text NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX approval_deliveries_due ON approval_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX approval_deliveries_by_request ON approval_deliveries (project_id, request_id);
CREATE INDEX approval_deliveries_by_time ON approval_deliveries (created_at);
