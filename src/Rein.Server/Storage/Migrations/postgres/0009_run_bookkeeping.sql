-- Run bookkeeping. violations: calls the gate denied (Rein's decision spans with effect deny), counted apart from
-- errors. timed_by_agent: whether start_ns and end_ns come from the agent's spans (true) or, until the agent's first
-- span arrives, stand in from Rein's own spans (false); Rein's spans never move an agent's times. Runs stored before
-- this migration keep their counts, and their times (taken from all of their spans) count as the agent's.
ALTER TABLE runs ADD COLUMN violations integer NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN timed_by_agent boolean NOT NULL DEFAULT true;

-- When the gate opened the request, in Unix nanoseconds (created_at keeps milliseconds): the request's span starts
-- there, so it never starts before the caller's span it hangs under. Requests opened before this migration get their
-- millisecond time.
ALTER TABLE approval_requests ADD COLUMN created_ns bigint;
UPDATE approval_requests SET created_ns = created_at * 1000000;
