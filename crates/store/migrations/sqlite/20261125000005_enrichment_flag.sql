-- The engine enriches only for users the `enrichment` flag is on for, so operators can roll a
-- provider out, or switch it off, without a deploy. On for everyone by default: configuring
-- APOLLO_API_KEY is the opt-in. An operator's own setting is never overwritten.
INSERT OR IGNORE INTO feature_flags (key, enabled, rollout_percentage)
VALUES ('enrichment', 1, 100);
