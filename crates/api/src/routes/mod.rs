pub mod auth;
pub mod health;
pub mod me;
pub mod metrics;
pub mod oauth;
pub mod services;
pub mod webhooks;
