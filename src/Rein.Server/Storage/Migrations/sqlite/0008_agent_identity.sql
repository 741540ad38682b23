-- Agents bound to their keys. gate_runs.agent: the agent whose gate call started the run; a call naming the run for
-- another agent is refused. Runs started before this migration have no owner yet: the next call that names one claims
-- it. approval_requests.requested_by: the id of the key whose gate call opened the request; only that key is given
-- the approval's token and only that key (acting as the request's agent) may redeem it. Requests opened before this
-- migration have none: their token goes to, and is redeemed by, any agent key named as their agent.
ALTER TABLE gate_runs ADD COLUMN agent text;
ALTER TABLE approval_requests ADD COLUMN requested_by text;
