-- Foundation: projects, API keys, the audit log and data-protection keys.
-- Times are Unix milliseconds (INTEGER) in both dialects, so rows compare and copy the same everywhere.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT
);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (id),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'viewer', 'approver', 'admin')),
    secret_hash   BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    created_by    TEXT,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    revoked_by    TEXT,
    last_used_at  INTEGER
);
CREATE INDEX ix_api_keys_project ON api_keys (project_id, created_at, id);

CREATE TABLE audit_heads (
    project_id  TEXT PRIMARY KEY REFERENCES projects (id),
    seq         INTEGER NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE audit_log (
    project_id     TEXT NOT NULL REFERENCES projects (id),
    seq            INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    object_type    TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    before_digest  TEXT,
    after_digest   TEXT,
    details        TEXT,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    PRIMARY KEY (project_id, seq)
);

-- Append-only from the application's side; the hash chain catches whoever goes around this.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE data_protection_keys (
    name        TEXT PRIMARY KEY,
    xml         TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
