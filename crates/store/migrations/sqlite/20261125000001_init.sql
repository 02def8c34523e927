-- Konqer schema, SQLite: a mirror of the PostgreSQL migration of the same name. uuid -> BLOB
-- (16 bytes), timestamptz -> TEXT in RFC 3339 UTC (sorts in time order), jsonb -> TEXT
-- checked by json_valid, enums -> TEXT with a CHECK listing the same values.


-- Facts about this installation, e.g. when the database was created (the default launch date).
CREATE TABLE app_meta (
    key        text PRIMARY KEY,
    value      text NOT NULL
);
INSERT INTO app_meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));

CREATE TABLE users (
    id                 blob PRIMARY KEY,
    email              text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name               text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    email_verified     integer NOT NULL DEFAULT 0,
    keycloak_user_id   text UNIQUE,
    stripe_customer_id text UNIQUE,
    created_at         text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at         text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX users_created_at_idx ON users (created_at, id);

CREATE TABLE password_credentials (
    user_id    blob PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       text NOT NULL,
    updated_at text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);

CREATE TABLE oauth_identities (
    provider         text NOT NULL,
    provider_user_id text NOT NULL,
    user_id          blob NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    PRIMARY KEY (provider, provider_user_id)
);
CREATE INDEX oauth_identities_user_idx ON oauth_identities (user_id);

-- Short-lived OAuth login attempts (state, PKCE verifier, nonce), shared by all replicas.
CREATE TABLE oauth_states (
    state         text PRIMARY KEY,
    provider      text NOT NULL,
    pkce_verifier text NOT NULL,
    nonce         text,
    redirect_to   text,
    expires_at    text NOT NULL
);

CREATE TABLE signing_keys (
    kid             text PRIMARY KEY,
    algorithm       text NOT NULL DEFAULT 'RS256' CHECK (algorithm = 'RS256'),
    private_key_pem text NOT NULL,
    public_jwk      text NOT NULL CHECK (json_valid(public_jwk)),
    created_at      text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    retired_at      text
);

CREATE TABLE refresh_tokens (
    id          blob PRIMARY KEY,
    user_id     blob NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   blob NOT NULL,
    token_hash  blob NOT NULL UNIQUE,
    issued_at   text NOT NULL,
    expires_at  text NOT NULL,
    rotated_at  text,
    revoked_at  text
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE service_configs (
    key                   text PRIMARY KEY,
    name                  text NOT NULL,
    slug                  text NOT NULL UNIQUE,
    service_type          text NOT NULL CHECK (service_type IN ('Blue', 'Red', 'Core')),
    pricing_monthly_cents integer NOT NULL CHECK (pricing_monthly_cents >= 0),
    pricing_annual_cents  integer NOT NULL CHECK (pricing_annual_cents >= 0),
    rate_limit_daily      integer NOT NULL DEFAULT 100 CHECK (rate_limit_daily >= 0),
    release_offset_days   integer NOT NULL DEFAULT 0 CHECK (release_offset_days BETWEEN 0 AND 3650),
    enabled               integer NOT NULL DEFAULT 1,
    config                text NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    updated_at            text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);

INSERT INTO service_configs (key, name, slug, service_type, pricing_monthly_cents, pricing_annual_cents, rate_limit_daily, release_offset_days) VALUES
    ('cold-dm',          'Cold DM Personalizer',       'cold-dm-personalizer',       'Blue', 9900, 99000, 100, 0),
    ('battlecards',      'Outbound Battlecards AI',    'outbound-battlecards-ai',    'Blue', 9900, 99000, 100, 7),
    ('objection',        'Sales Objection Crusher',    'sales-objection-crusher',    'Blue', 9900, 99000, 100, 0),
    ('community-finder', 'Community Finder Pro',       'community-finder-pro',       'Blue', 9900, 99000, 100, 7),
    ('carousel',         'LinkedIn Carousel Forge',    'linkedin-carousel-forge',    'Blue', 9900, 99000, 100, 0),
    ('cold-email',       'AI Cold Email Writer',       'ai-cold-email-writer',       'Red',  9900, 99000, 100, 7),
    ('pitch-deck',       'Startup Pitch Deck Builder', 'startup-pitch-deck-builder', 'Core', 9900, 99000, 100, 14),
    ('whitepaper',       'AI Whitepaper Generator',    'ai-whitepaper-generator',    'Core', 9900, 99000, 100, 14),
    ('deck-heatmap',     'VC Deck Heatmap',            'vc-deck-heatmap',            'Blue', 9900, 99000, 100, 21),
    ('webinar',          'Webinar Demand Scanner',     'webinar-demand-scanner',     'Blue', 9900, 99000, 100, 21),
    ('warmranker',       'Email WarmRanker',           'email-warmranker',           'Red',  9900, 99000, 100, 28),
    ('no-show-shield',   'Calendar No-Show Shield',    'calendar-no-show-shield',    'Blue', 9900, 99000, 100, 28);

CREATE TABLE subscriptions (
    id                     blob PRIMARY KEY,
    user_id                blob NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan                   text NOT NULL CHECK (plan IN ('founding', 'monthly_single', 'annual_single', 'monthly_bundle', 'annual_bundle')),
    service_key            text REFERENCES service_configs (key),
    billing_interval       text NOT NULL CHECK (billing_interval IN ('month', 'year')),
    status                 text NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
    stripe_subscription_id text UNIQUE,
    stripe_customer_id     text,
    current_period_start   text,
    current_period_end     text,
    cancel_at_period_end   integer NOT NULL DEFAULT 0,
    canceled_at            text,
    -- `created` of the newest Stripe event applied; older deliveries never overwrite newer state.
    last_event_at          text,
    created_at             text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at             text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    CHECK ((plan IN ('monthly_single', 'annual_single')) = (service_key IS NOT NULL))
);
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id, status);
CREATE INDEX subscriptions_status_idx ON subscriptions (status, plan);

CREATE TABLE service_access (
    user_id            blob NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_key        text NOT NULL REFERENCES service_configs (key),
    granted_at         text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    unlock_notified_at text,
    locked_by_admin    integer NOT NULL DEFAULT 0,
    locked_at          text,
    locked_by          blob REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (user_id, service_key)
);

-- Payments outlive the account they came from (finance keeps them); the user link is cleared.
CREATE TABLE payments (
    id                blob PRIMARY KEY,
    user_id           blob REFERENCES users (id) ON DELETE SET NULL,
    subscription_id   blob REFERENCES subscriptions (id) ON DELETE SET NULL,
    stripe_invoice_id text UNIQUE,
    stripe_charge_id  text,
    plan              text CHECK (plan IN ('founding', 'monthly_single', 'annual_single', 'monthly_bundle', 'annual_bundle')),
    amount_cents      integer NOT NULL CHECK (amount_cents >= 0),
    refunded_cents    integer NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents),
    currency          text NOT NULL DEFAULT 'eur',
    status            text NOT NULL CHECK (status IN ('succeeded', 'failed', 'refunded', 'partially_refunded')),
    paid_at           text,
    created_at        text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX payments_user_idx ON payments (user_id);
CREATE INDEX payments_paid_at_idx ON payments (paid_at);

CREATE TABLE generations (
    id          blob PRIMARY KEY,
    user_id     blob NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_key text NOT NULL REFERENCES service_configs (key),
    input       text NOT NULL CHECK (json_valid(input)),
    output      text NOT NULL CHECK (json_valid(output)),
    metadata    text NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at  text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX generations_user_idx ON generations (user_id, created_at DESC, id DESC);
CREATE INDEX generations_service_idx ON generations (service_key, created_at);

-- Exact daily quota: one row per user, service and UTC day, reserved atomically.
CREATE TABLE usage_counters (
    user_id     blob NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_key text NOT NULL REFERENCES service_configs (key),
    day         text NOT NULL,
    used        integer NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (user_id, service_key, day)
);

CREATE TABLE admin_users (
    user_id    blob PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('superadmin', 'support', 'finance')),
    created_at text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    created_by blob REFERENCES users (id) ON DELETE SET NULL
);

CREATE TABLE feature_flags (
    key                text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 64 AND key GLOB '[a-z0-9]*' AND key NOT GLOB '*[^a-z0-9_.-]*'),
    enabled            integer NOT NULL DEFAULT 0,
    rollout_percentage integer NOT NULL DEFAULT 0 CHECK (rollout_percentage BETWEEN 0 AND 100),
    config             text NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    updated_at         text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_by         blob REFERENCES users (id) ON DELETE SET NULL
);

-- Business and audit events. Kept when the user is erased (the link is cleared).
CREATE TABLE events (
    id          blob PRIMARY KEY,
    type        text NOT NULL,
    user_id     blob REFERENCES users (id) ON DELETE SET NULL,
    actor_id    blob REFERENCES users (id) ON DELETE SET NULL,
    service_key text REFERENCES service_configs (key),
    data        text NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
    created_at  text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX events_created_idx ON events (created_at, id);
CREATE INDEX events_type_idx ON events (type, created_at);
CREATE INDEX events_user_idx ON events (user_id, created_at);

-- Stripe event ids applied, recorded in the same transaction as their effects.
CREATE TABLE processed_webhook_events (
    event_id      text PRIMARY KEY,
    event_type    text NOT NULL,
    event_created text NOT NULL,
    processed_at  text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);

-- Local checkout sessions (embedded default without Stripe).
CREATE TABLE checkout_sessions (
    id               text PRIMARY KEY,
    user_id          blob NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan             text NOT NULL CHECK (plan IN ('founding', 'monthly_single', 'annual_single', 'monthly_bundle', 'annual_bundle')),
    service_key      text REFERENCES service_configs (key),
    billing_interval text NOT NULL CHECK (billing_interval IN ('month', 'year')),
    completed_at     text,
    expires_at       text NOT NULL,
    created_at       text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX checkout_sessions_user_idx ON checkout_sessions (user_id);

CREATE TABLE jobs (
    id           blob PRIMARY KEY,
    kind         text NOT NULL,
    payload      text NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    state        text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at       text NOT NULL,
    locked_by    text,
    locked_until text,
    last_error   text,
    -- Optional idempotency key: enqueueing the same key twice yields one job.
    dedupe_key   text UNIQUE,
    created_at   text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at   text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX jobs_ready_idx ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_lease_idx ON jobs (locked_until) WHERE state = 'running';

CREATE TABLE email_outbox (
    id          blob PRIMARY KEY,
    user_id     blob REFERENCES users (id) ON DELETE SET NULL,
    kind        text NOT NULL,
    to_address  text NOT NULL,
    subject     text NOT NULL,
    body_text   text NOT NULL,
    body_html   text,
    -- "Never the same offer twice": one row per dedupe key, e.g. cross-sell:<user>:<offer>.
    dedupe_key  text UNIQUE,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    sent_at     text,
    created_at  text NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX email_outbox_pending_idx ON email_outbox (created_at) WHERE status = 'pending';

-- Enrichment provider answers (Apollo), reused for 24 h so a repeat lookup spends no credit.
CREATE TABLE enrichment_cache (
    provider   text NOT NULL,
    lookup_key text NOT NULL,
    response   text NOT NULL CHECK (json_valid(response)),
    fetched_at text NOT NULL,
    PRIMARY KEY (provider, lookup_key)
);
