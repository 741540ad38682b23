-- Placeholder: issue 13 reserved migration 0008 for another change, merged separately. The migrator needs numbers
-- 1..n without gaps, so this branch carries a no-op in its place; drop this file when that migration is merged.
SELECT 1;
