//! What the limiter tests share: a concurrent burst, the test Redis, unique key prefixes, and
//! a TCP proxy that can take Redis away and bring it back.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use konqer_ratelimit::{Decision, RateLimiter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// `per_limiter` concurrent checks of `key` through each limiter, all spawned before any is
/// awaited so they race on a multi-thread runtime.
pub async fn burst(
    limiters: &[Arc<dyn RateLimiter>],
    key: &str,
    per_limiter: usize,
) -> Vec<Decision> {
    let mut tasks = JoinSet::new();
    for limiter in limiters {
        for _ in 0..per_limiter {
            let (limiter, key) = (limiter.clone(), key.to_owned());
            tasks.spawn(async move { limiter.check(&key).await });
        }
    }
    tasks.join_all().await
}

/// Checks that a burst let exactly `limit` through, and that the allowed checks saw every
/// count from 1 to `limit` once (no two were given the same slot).
pub fn assert_exactly_limit_allowed(decisions: &[Decision], limit: u32) {
    let allowed: Vec<&Decision> = decisions.iter().filter(|d| d.allowed).collect();
    assert_eq!(
        allowed.len(),
        limit as usize,
        "allowed out of {}",
        decisions.len()
    );
    let remaining: BTreeSet<u32> = allowed.iter().map(|d| d.remaining).collect();
    assert_eq!(
        remaining,
        (0..limit).collect(),
        "each allowed check has its own count"
    );
    assert!(decisions
        .iter()
        .filter(|d| !d.allowed)
        .all(|d| d.remaining == 0));
}

/// The throwaway redis-server started by `scripts/test-services.sh`. A missing server fails
/// the test rather than skipping it: a green run must mean the Redis back end was tested.
pub fn redis_url() -> String {
    std::env::var("KONQER_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!(
            "KONQER_TEST_REDIS_URL is not set: run these tests under scripts/test-services.sh \
             (or `make test`), which starts a throwaway redis-server"
        )
    })
}

/// A key prefix no other test (or earlier run against the same server) uses.
pub fn unique_prefix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("test:{nanos:x}-{:x}:", RandomState::new().hash_one(nanos))
}

/// What the proxy does with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward it to the test Redis.
    Forward,
    /// Answer every command with an error, like a Redis that refuses the handshake (wrong
    /// password, unknown database) — a failure that is not an I/O error.
    Errors,
}

/// Stands in for Redis on a loopback port: `stop` closes the port and every connection
/// through it (Redis "goes down"), `restart` opens the same port again, `switch` does both
/// and changes what answers.
pub struct Proxy {
    addr: SocketAddr,
    upstream: String,
    mode: Mode,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = redis_url()
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .to_owned();
        Proxy {
            addr: listener.local_addr().unwrap(),
            task: Some(tokio::spawn(serve(
                listener,
                upstream.clone(),
                Mode::Forward,
            ))),
            upstream,
            mode: Mode::Forward,
        }
    }

    /// The URL of database `db` through this proxy.
    pub fn url(&self, db: u8) -> String {
        format!("redis://{}/{db}", self.addr)
    }

    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    pub async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        let task = serve(listener, self.upstream.clone(), self.mode);
        self.task = Some(tokio::spawn(task));
    }

    pub async fn switch(&mut self, mode: Mode) {
        self.stop().await;
        self.mode = mode;
        self.restart().await;
    }
}

async fn serve(listener: TcpListener, upstream: String, mode: Mode) {
    // Aborting this task drops the set, which aborts (and so closes) every connection.
    let mut connections = JoinSet::new();
    while let Ok((inbound, _)) = listener.accept().await {
        match mode {
            Mode::Forward => connections.spawn(forward(inbound, upstream.clone())),
            Mode::Errors => connections.spawn(answer_errors(inbound)),
        };
    }
}

async fn forward(mut inbound: TcpStream, upstream: String) {
    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
    }
}

async fn answer_errors(mut socket: TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = socket.read(&mut buf).await {
        if n == 0 {
            return;
        }
        // One reply per command: each command is a RESP array, a line starting with `*`
        // (none of the client's arguments do).
        let commands = buf[..n]
            .split(|&b| b == b'\n')
            .filter(|line| line.first() == Some(&b'*'))
            .count();
        for _ in 0..commands {
            if socket
                .write_all(b"-ERR injected by the test proxy\r\n")
                .await
                .is_err()
            {
                return;
            }
        }
    }
}
