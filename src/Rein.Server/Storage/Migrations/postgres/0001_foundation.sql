-- Foundation: projects, API keys, the audit log and data-protection keys.
-- Times are Unix milliseconds (bigint) in both dialects, so rows compare and copy the same everywhere.

CREATE TABLE projects (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  bigint NOT NULL,
    created_by  text
);

CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    project_id    text NOT NULL REFERENCES projects (id),
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('agent', 'viewer', 'approver', 'admin')),
    secret_hash   bytea NOT NULL,
    created_at    bigint NOT NULL,
    created_by    text,
    expires_at    bigint,
    revoked_at    bigint,
    revoked_by    text,
    last_used_at  bigint
);
CREATE INDEX ix_api_keys_project ON api_keys (project_id, created_at, id);

CREATE TABLE audit_heads (
    project_id  text PRIMARY KEY REFERENCES projects (id),
    seq         bigint NOT NULL,
    hash        text NOT NULL
);

CREATE TABLE audit_log (
    project_id     text NOT NULL REFERENCES projects (id),
    seq            bigint NOT NULL,
    at             bigint NOT NULL,
    actor          text NOT NULL,
    action         text NOT NULL,
    object_type    text NOT NULL,
    object_id      text NOT NULL,
    before_digest  text,
    after_digest   text,
    details        text,
    prev_hash      text NOT NULL,
    hash           text NOT NULL,
    PRIMARY KEY (project_id, seq)
);

-- Append-only from the application's side; the hash chain catches whoever goes around this.
CREATE FUNCTION rein_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION rein_audit_log_append_only();

CREATE TABLE data_protection_keys (
    name        text PRIMARY KEY,
    xml         text NOT NULL,
    created_at  bigint NOT NULL
);
