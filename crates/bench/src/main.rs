//! A bare axum "hello" server: the baseline `make bench` compares Konqer's throughput with.
//! Same axum, same runtime, no middleware, no database.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::get;
use axum::Router;

fn main() -> ExitCode {
    let Some(addr) = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<SocketAddr>().ok())
    else {
        eprintln!("usage: hello-axum <address:port>");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("hello-axum: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let app = Router::new().route("/", get(|| async { "hello" }));
        axum::serve(listener, app).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hello-axum: {err}");
            ExitCode::FAILURE
        }
    }
}
