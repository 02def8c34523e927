//! Where messages go. The embedded default writes one `.eml` file per message under
//! `$KONQER_DATA_DIR/mail/` (open them with any mail client); production transports, SMTP
//! ([`smtp`]) and the Resend HTTP API ([`resend`]), implement the same trait.

pub mod resend;
pub mod smtp;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

use crate::message::Outgoing;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying (connection, 5xx, full disk…).
    #[error("sending failed: {0}")]
    Transient(String),
    /// Never going to work (address refused…).
    #[error("sending refused: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait Transport: Send + Sync + 'static {
    async fn send(&self, message: &Outgoing) -> Result<(), SendError>;
    fn name(&self) -> &'static str;
}

/// The transport a process sends with, chosen by its configuration.
#[derive(Debug, Clone)]
pub enum TransportSettings {
    /// `.eml` files in this directory.
    File(PathBuf),
    Smtp(smtp::SmtpSettings),
    Resend(resend::ResendSettings),
}

impl TransportSettings {
    pub fn build(&self) -> Result<Arc<dyn Transport>, String> {
        Ok(match self {
            TransportSettings::File(dir) => Arc::new(FileSink::new(dir.clone())),
            TransportSettings::Smtp(settings) => Arc::new(smtp::Smtp::new(settings)?),
            TransportSettings::Resend(settings) => Arc::new(resend::Resend::new(settings)?),
        })
    }
}

/// The dev sink: `.eml` files named by date and message id, so a re-send after a crash
/// overwrites the same file instead of adding a copy.
pub struct FileSink {
    dir: PathBuf,
}

impl FileSink {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileSink { dir: dir.into() }
    }
}

#[async_trait]
impl Transport for FileSink {
    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let path = self.dir.join(format!(
            "{}-{}.eml",
            message.date.format("%Y%m%dT%H%M%S"),
            message.id.simple()
        ));
        let body = message.to_eml();
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let tmp = path.with_extension("eml.tmp");
            std::fs::write(&tmp, body)?;
            std::fs::rename(&tmp, &path)
        })
        .await
        .map_err(|e| SendError::Transient(e.to_string()))?
        .map_err(|e| SendError::Transient(e.to_string()))
    }

    fn name(&self) -> &'static str {
        "file"
    }
}
