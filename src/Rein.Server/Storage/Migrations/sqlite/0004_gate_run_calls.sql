-- A run's recent calls, one row per call numbered by the step that made it, instead of one JSON list rewritten whole
-- on every decision: a long run costs the gate the calls it adds, not the calls it has.
CREATE TABLE gate_run_calls (
    project_id  text NOT NULL,
    run_id      text NOT NULL,
    seq         integer NOT NULL,
    tool        text NOT NULL,
    effect      text NOT NULL,
    args_hash   text NOT NULL,
    PRIMARY KEY (project_id, run_id, seq)
) WITHOUT ROWID;

-- The calls of runs already under way move over, numbered so the newest is the run's last step.
INSERT INTO gate_run_calls (project_id, run_id, seq, tool, effect, args_hash)
SELECT r.project_id, r.run_id, r.steps - json_array_length(r.calls) + CAST(j.key AS integer) + 1,
       json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]')
FROM gate_runs r, json_each(r.calls) j;

UPDATE gate_runs SET calls = '[]';

-- Never used: identical calls are counted from the recorded calls.
DROP TABLE gate_identical_calls;
