//! Transactional and lifecycle email: the templates (text + HTML), the message format, the
//! transports, and the job that sends what the outbox holds. Emails are written to the outbox
//! in the same transaction as the change that causes them; sending happens afterwards, with
//! retries, exactly once per outbox row.

pub mod message;
pub mod sender;
pub mod templates;
pub mod transport;
pub mod unsubscribe;

pub use message::Rendered;
pub use sender::{SendEmail, JOB_KIND};
pub use transport::{FileSink, Transport, TransportSettings};
pub use unsubscribe::UnsubscribeLinks;
