-- Stripe events can arrive in any order and some carry only part of a subscription (an
-- invoice says "paid, new period" but nothing about cancel_at_period_end). Each group of
-- fields therefore remembers the `created` time of the event that last set it; an event
-- changes a group only if it is at least as new. `last_event_at` is the status group's clock.
ALTER TABLE subscriptions ADD COLUMN period_event_at timestamptz;
ALTER TABLE subscriptions ADD COLUMN cancel_event_at timestamptz;
