//! `konqer`: one binary for every role. Errors end the process with one line naming what
//! is wrong, never a panic or a backtrace.

use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the request path allocates many small, short-lived
/// buffers across worker threads, where glibc's arenas spent about 15 % of the server's CPU
/// in a profile of the generate benchmark (decision 91).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use konqer_domain::AdminRole;
use konqer_server::{
    bind, config::Config, launch, open_store, shutdown_signal, system_clock, telemetry, Roles,
};

#[derive(Parser)]
#[command(
    name = "konqer",
    version,
    about = "Konqer: twelve AI sales and marketing tools behind one account"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site, the API and the admin API, and run background jobs.
    Serve {
        /// Do not apply database migrations at start (when a deploy step runs them).
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the effective configuration, secrets masked.
    Config,
    /// Run background jobs only (for deployments that split them from the API).
    Worker,
    /// Manage the built-in issuer's signing keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Manage operators.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Work with the Stripe account named by STRIPE_SECRET_KEY.
    Stripe {
        #[command(subcommand)]
        action: StripeAction,
    },
}

#[derive(Subcommand)]
enum StripeAction {
    /// Create Konqer's products and prices in the Stripe account, found by lookup key;
    /// existing prices are left as they are, so running it again creates nothing.
    Sync,
}

#[derive(Subcommand)]
enum KeysAction {
    /// Add a new signing key and retire the current one. Tokens it signed stay valid until
    /// they expire; every replica picks the new key up within a minute.
    Rotate,
}

#[derive(Subcommand)]
enum AdminAction {
    /// Grant an existing user an operator role (how the first operator is made).
    Add {
        email: String,
        #[arg(long, value_parser = ["superadmin", "support", "finance"])]
        role: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("konqer: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    if let Command::Config = cli.command {
        print!("{}", config.render());
        return ExitCode::SUCCESS;
    }
    if let (Command::Stripe { .. }, Err(err)) =
        (&cli.command, konqer_server::stripe::require_key(&config))
    {
        eprintln!("konqer: configuration error: {err}");
        return ExitCode::from(2);
    }
    telemetry::init(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("konqer: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "konqer stopped with an error");
            eprintln!("konqer: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    // Talks to Stripe only: no database needed.
    if let Command::Stripe {
        action: StripeAction::Sync,
    } = command
    {
        print!("{}", konqer_server::stripe::sync(&config).await?);
        return Ok(());
    }
    let store = open_store(&config).await?;
    match command {
        Command::Migrate => {
            store.migrate().await.map_err(anyhow::Error::from)?;
            tracing::info!(backend = store.backend().as_str(), "migrations applied");
            store.close().await;
            Ok(())
        }
        Command::Serve { no_migrate } => {
            if !no_migrate {
                store.migrate().await.map_err(anyhow::Error::from)?;
            }
            let public = bind("KONQER_LISTEN", config.listen).await?;
            let admin = bind("KONQER_ADMIN_LISTEN", config.admin_listen).await?;
            launch(
                &config,
                store,
                system_clock(),
                Some((public, admin)),
                Roles {
                    http: true,
                    jobs: true,
                },
                shutdown_signal(),
            )
            .await
        }
        Command::Worker => {
            launch(
                &config,
                store,
                system_clock(),
                None,
                Roles {
                    http: false,
                    jobs: true,
                },
                shutdown_signal(),
            )
            .await
        }
        Command::Keys {
            action: KeysAction::Rotate,
        } => {
            store.migrate().await.map_err(anyhow::Error::from)?;
            let kid = konqer_api::auth::keys::rotate(store.as_ref(), system_clock().now()).await?;
            println!(
                "new signing key {kid}; the previous one stays in the JWKS until its tokens expire"
            );
            store.close().await;
            Ok(())
        }
        Command::Admin {
            action: AdminAction::Add { email, role },
        } => {
            let email =
                konqer_identity::Email::parse(&email).map_err(|e| anyhow::anyhow!("email {e}"))?;
            let role: AdminRole = role
                .parse()
                .map_err(|_| anyhow::anyhow!("--role: unknown role {role:?}"))?;
            let user = store
                .find_user_by_email(email.as_str())
                .await?
                .ok_or_else(|| {
                    anyhow::anyhow!("no user with email {email}; they must sign up first")
                })?;
            store
                .set_admin_role(user.id, role, system_clock().now())
                .await?;
            println!("{email} is now {role}; their next token carries the admin role");
            store.close().await;
            Ok(())
        }
        Command::Config | Command::Stripe { .. } => Ok(()),
    }
}
