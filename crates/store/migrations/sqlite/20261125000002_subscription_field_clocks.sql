-- See the PostgreSQL migration of the same name: one `created` clock per field group.
ALTER TABLE subscriptions ADD COLUMN period_event_at text;
ALTER TABLE subscriptions ADD COLUMN cancel_event_at text;
