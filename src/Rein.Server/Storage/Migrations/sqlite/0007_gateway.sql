-- The tool gateway: a project's upstream MCP servers, the tools they offered with their pinned definitions, and the
-- project's gateway settings (pin mode, fault rules). Times are Unix milliseconds.
-- A server's config is JSON; literal environment and header values in it are ASP.NET Data Protection ciphertext,
-- never plain text. ${env:NAME} references are kept as written and read from the server's environment at connect time.
CREATE TABLE gateway_servers (
    project_id  text NOT NULL REFERENCES projects (id),
    name        text NOT NULL,
    transport   text NOT NULL,
    config      text NOT NULL,
    timeout_ms  integer NOT NULL,
    enabled     integer NOT NULL,
    created_at  integer NOT NULL,
    updated_at  integer NOT NULL,
    PRIMARY KEY (project_id, name)
);

-- One row per tool a server has offered. hash/definition: what the server offers now; pinned_hash/pinned_definition:
-- what someone (or trust on first use) approved. A tool is offered to agents only while the two hashes are equal.
CREATE TABLE gateway_tools (
    project_id         text NOT NULL REFERENCES projects (id),
    server             text NOT NULL,
    tool               text NOT NULL,
    hash               text NOT NULL,
    definition         text NOT NULL,
    pinned_hash        text,
    pinned_definition  text,
    pinned_at          integer,
    pinned_by          text,
    first_seen         integer NOT NULL,
    last_seen          integer NOT NULL,
    changed_at         integer,
    PRIMARY KEY (project_id, server, tool)
);

CREATE TABLE gateway_settings (
    project_id   text NOT NULL REFERENCES projects (id) PRIMARY KEY,
    pin_mode     text NOT NULL,
    faults       text NOT NULL,
    updated_at   integer NOT NULL
);

-- A run that read content flagged as possible prompt injection (through the gateway): policies see run.untrusted.
ALTER TABLE gate_runs ADD COLUMN untrusted integer NOT NULL DEFAULT 0;
