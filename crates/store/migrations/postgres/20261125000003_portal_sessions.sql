-- Local billing-portal links (embedded default without Stripe): the id is the capability.
CREATE TABLE portal_sessions (
    id         text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX portal_sessions_user_idx ON portal_sessions (user_id);
