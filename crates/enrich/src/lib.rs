//! Enrichment providers for the services' [`Enricher`](konqer_services::enrich::Enricher)
//! trait: the Apollo.io client (`apollo`) and a cache in the database (`cache`) that answers a
//! repeated lookup for 24 hours, so asking twice about the same prospect spends one credit.

pub mod apollo;
pub mod cache;

pub use apollo::{Apollo, ApolloSettings};
pub use cache::Cached;
