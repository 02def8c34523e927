//! Local stand-ins for the external services Konqer talks to, speaking their real wire
//! formats on 127.0.0.1 so tests never reach the internet: an OIDC issuer (Keycloak-shaped),
//! the GitHub, Google and LinkedIn sign-in providers, Apollo.io, and a browser that follows one
//! redirect.

pub mod apollo;
pub mod browser;
pub mod issuer;
pub mod keys;
pub mod oauth;
pub mod openai;
pub mod resend;
mod server;
pub mod smtp;
pub mod stripe;

pub use apollo::StandInApollo;
pub use browser::{authorize as browser_authorize, BrowserError, Callback};
pub use issuer::StandInIssuer;
pub use keys::TestKey;
pub use oauth::{ProviderPaths, StandInOAuth, StandInProvider, StandInUser};
pub use openai::StandInLlm;
pub use resend::StandInResend;
pub use server::Traffic;
pub use smtp::StandInSmtp;
pub use stripe::StandInStripe;
