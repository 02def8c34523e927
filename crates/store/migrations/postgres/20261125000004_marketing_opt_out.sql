-- Marketing emails (cross-sell, bundle offers) stop for users who unsubscribed; transactional
-- ones (receipts, unlocks, payment problems) do not depend on it.
ALTER TABLE users ADD COLUMN marketing_opt_out boolean NOT NULL DEFAULT false;
