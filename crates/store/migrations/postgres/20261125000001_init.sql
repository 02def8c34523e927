-- Konqer schema, PostgreSQL. The SQLite migration of the same name mirrors it table for
-- table; the conformance suite holds both to the same behaviour.

CREATE TYPE plan_type AS ENUM ('founding', 'monthly_single', 'annual_single', 'monthly_bundle', 'annual_bundle');
CREATE TYPE billing_interval AS ENUM ('month', 'year');
CREATE TYPE subscription_status AS ENUM ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused');
CREATE TYPE payment_status AS ENUM ('succeeded', 'failed', 'refunded', 'partially_refunded');
CREATE TYPE service_type AS ENUM ('Blue', 'Red', 'Core');
CREATE TYPE admin_role AS ENUM ('superadmin', 'support', 'finance');
CREATE TYPE job_state AS ENUM ('queued', 'running', 'done', 'dead');
CREATE TYPE outbox_status AS ENUM ('pending', 'sent', 'failed');

-- Facts about this installation, e.g. when the database was created (the default launch date).
CREATE TABLE app_meta (
    key        text PRIMARY KEY,
    value      text NOT NULL
);
INSERT INTO app_meta (key, value) VALUES ('created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'));

CREATE TABLE users (
    id                 uuid PRIMARY KEY,
    email              text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name               text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    email_verified     boolean NOT NULL DEFAULT false,
    keycloak_user_id   text UNIQUE,
    stripe_customer_id text UNIQUE,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_created_at_idx ON users (created_at, id);

CREATE TABLE password_credentials (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    hash       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE oauth_identities (
    provider         text NOT NULL,
    provider_user_id text NOT NULL,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
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
    expires_at    timestamptz NOT NULL
);

CREATE TABLE signing_keys (
    kid             text PRIMARY KEY,
    algorithm       text NOT NULL DEFAULT 'RS256' CHECK (algorithm = 'RS256'),
    private_key_pem text NOT NULL,
    public_jwk      jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    retired_at      timestamptz
);

CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE service_configs (
    key                   text PRIMARY KEY,
    name                  text NOT NULL,
    slug                  text NOT NULL UNIQUE,
    service_type          service_type NOT NULL,
    pricing_monthly_cents bigint NOT NULL CHECK (pricing_monthly_cents >= 0),
    pricing_annual_cents  bigint NOT NULL CHECK (pricing_annual_cents >= 0),
    rate_limit_daily      integer NOT NULL DEFAULT 100 CHECK (rate_limit_daily >= 0),
    release_offset_days   integer NOT NULL DEFAULT 0 CHECK (release_offset_days BETWEEN 0 AND 3650),
    enabled               boolean NOT NULL DEFAULT true,
    config                jsonb NOT NULL DEFAULT '{}',
    updated_at            timestamptz NOT NULL DEFAULT now()
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
    id                     uuid PRIMARY KEY,
    user_id                uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan                   plan_type NOT NULL,
    service_key            text REFERENCES service_configs (key),
    billing_interval       billing_interval NOT NULL,
    status                 subscription_status NOT NULL,
    stripe_subscription_id text UNIQUE,
    stripe_customer_id     text,
    current_period_start   timestamptz,
    current_period_end     timestamptz,
    cancel_at_period_end   boolean NOT NULL DEFAULT false,
    canceled_at            timestamptz,
    -- `created` of the newest Stripe event applied; older deliveries never overwrite newer state.
    last_event_at          timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK ((plan IN ('monthly_single', 'annual_single')) = (service_key IS NOT NULL))
);
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id, status);
CREATE INDEX subscriptions_status_idx ON subscriptions (status, plan);

CREATE TABLE service_access (
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_key        text NOT NULL REFERENCES service_configs (key),
    granted_at         timestamptz NOT NULL DEFAULT now(),
    unlock_notified_at timestamptz,
    locked_by_admin    boolean NOT NULL DEFAULT false,
    locked_at          timestamptz,
    locked_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (user_id, service_key)
);

-- Payments outlive the account they came from (finance keeps them); the user link is cleared.
CREATE TABLE payments (
    id                uuid PRIMARY KEY,
    user_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    subscription_id   uuid REFERENCES subscriptions (id) ON DELETE SET NULL,
    stripe_invoice_id text UNIQUE,
    stripe_charge_id  text,
    plan              plan_type,
    amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
    refunded_cents    bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents),
    currency          text NOT NULL DEFAULT 'eur',
    status            payment_status NOT NULL,
    paid_at           timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_user_idx ON payments (user_id);
CREATE INDEX payments_paid_at_idx ON payments (paid_at);

CREATE TABLE generations (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_key text NOT NULL REFERENCES service_configs (key),
    input       jsonb NOT NULL,
    output      jsonb NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX generations_user_idx ON generations (user_id, created_at DESC, id DESC);
CREATE INDEX generations_service_idx ON generations (service_key, created_at);

-- Exact daily quota: one row per user, service and UTC day, reserved atomically.
CREATE TABLE usage_counters (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_key text NOT NULL REFERENCES service_configs (key),
    day         date NOT NULL,
    used        integer NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (user_id, service_key, day)
);

CREATE TABLE admin_users (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    role       admin_role NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL
);

CREATE TABLE feature_flags (
    key                text PRIMARY KEY CHECK (key ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    enabled            boolean NOT NULL DEFAULT false,
    rollout_percentage integer NOT NULL DEFAULT 0 CHECK (rollout_percentage BETWEEN 0 AND 100),
    config             jsonb NOT NULL DEFAULT '{}',
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         uuid REFERENCES users (id) ON DELETE SET NULL
);

-- Business and audit events. Kept when the user is erased (the link is cleared).
CREATE TABLE events (
    id          uuid PRIMARY KEY,
    type        text NOT NULL,
    user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    service_key text REFERENCES service_configs (key),
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_created_idx ON events (created_at, id);
CREATE INDEX events_type_idx ON events (type, created_at);
CREATE INDEX events_user_idx ON events (user_id, created_at);

-- Stripe event ids applied, recorded in the same transaction as their effects.
CREATE TABLE processed_webhook_events (
    event_id      text PRIMARY KEY,
    event_type    text NOT NULL,
    event_created timestamptz NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now()
);

-- Local checkout sessions (embedded default without Stripe).
CREATE TABLE checkout_sessions (
    id               text PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan             plan_type NOT NULL,
    service_key      text REFERENCES service_configs (key),
    billing_interval billing_interval NOT NULL,
    completed_at     timestamptz,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkout_sessions_user_idx ON checkout_sessions (user_id);

CREATE TABLE jobs (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL,
    payload      jsonb NOT NULL DEFAULT '{}',
    state        job_state NOT NULL DEFAULT 'queued',
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at       timestamptz NOT NULL,
    locked_by    text,
    locked_until timestamptz,
    last_error   text,
    -- Optional idempotency key: enqueueing the same key twice yields one job.
    dedupe_key   text UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready_idx ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_lease_idx ON jobs (locked_until) WHERE state = 'running';

CREATE TABLE email_outbox (
    id          uuid PRIMARY KEY,
    user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    kind        text NOT NULL,
    to_address  text NOT NULL,
    subject     text NOT NULL,
    body_text   text NOT NULL,
    body_html   text,
    -- "Never the same offer twice": one row per dedupe key, e.g. cross-sell:<user>:<offer>.
    dedupe_key  text UNIQUE,
    status      outbox_status NOT NULL DEFAULT 'pending',
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    sent_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_outbox_pending_idx ON email_outbox (created_at) WHERE status = 'pending';

-- Enrichment provider answers (Apollo), reused for 24 h so a repeat lookup spends no credit.
CREATE TABLE enrichment_cache (
    provider   text NOT NULL,
    lookup_key text NOT NULL,
    response   jsonb NOT NULL,
    fetched_at timestamptz NOT NULL,
    PRIMARY KEY (provider, lookup_key)
);
