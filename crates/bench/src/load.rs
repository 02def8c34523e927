//! `konqer-load`: drives `POST /api/services/{service}/generate` with N concurrent clients and
//! reports what wrk cannot: the server's own account of each answer. Every successful answer
//! carries `Server-Timing: provider;dur=…, pipeline;dur=…` (milliseconds), so besides the
//! latency the client saw it prints the pipeline overhead — everything but the providers — at
//! p50/p90/p99/max, from every response rather than from histogram buckets.
//!
//! ```text
//! konqer-load URL TOKEN BODY_JSON [--clients 32] [--seconds 10] [--rate REQ_PER_S]
//! ```
//!
//! Without `--rate` each client sends its next request as soon as the last is answered (a
//! closed loop: the machine runs flat out and latency includes queueing for the CPU). With
//! `--rate` the clients share a fixed schedule, and latency is measured from when a request was
//! due, not when it was sent, so a stalled server cannot hide its backlog.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

struct Options {
    url: String,
    token: String,
    body: String,
    clients: usize,
    seconds: u64,
    rate: Option<f64>,
}

fn options() -> Result<Options, String> {
    let mut positional = Vec::new();
    let (mut clients, mut seconds, mut rate) = (32, 10, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--clients" => {
                clients = value("--clients")?
                    .parse()
                    .map_err(|e| format!("--clients: {e}"))?
            }
            "--seconds" => {
                seconds = value("--seconds")?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?
            }
            "--rate" => {
                rate = Some(
                    value("--rate")?
                        .parse()
                        .map_err(|e| format!("--rate: {e}"))?,
                )
            }
            _ => positional.push(arg),
        }
    }
    let [url, token, body]: [String; 3] = positional.try_into().map_err(|_| {
        "usage: konqer-load URL TOKEN BODY_JSON [--clients N] [--seconds S] [--rate R]".to_owned()
    })?;
    if clients == 0 || seconds == 0 || rate.is_some_and(|r: f64| r.is_nan() || r <= 0.0) {
        return Err("--clients, --seconds and --rate must be positive".to_owned());
    }
    Ok(Options {
        url,
        token,
        body,
        clients,
        seconds,
        rate,
    })
}

#[derive(Default)]
struct Samples {
    /// Milliseconds, as the client saw them.
    latency: Vec<f64>,
    /// Milliseconds, from `Server-Timing`.
    pipeline: Vec<f64>,
    provider: Vec<f64>,
    failures: u64,
}

fn timing(header: &str, name: &str) -> Option<f64> {
    header.split(',').find_map(|part| {
        let (key, dur) = part.trim().split_once(";dur=")?;
        (key == name).then(|| dur.parse().ok()).flatten()
    })
}

async fn client(
    http: reqwest::Client,
    options: Arc<Options>,
    index: usize,
    start: Instant,
    end: Instant,
) -> Samples {
    let mut samples = Samples::default();
    // On a schedule, client i sends requests i, i + N, i + 2N, … of the shared sequence.
    let interval = options
        .rate
        .map(|r| Duration::from_secs_f64(options.clients as f64 / r));
    let mut due = start
        + interval.map_or(Duration::ZERO, |i| {
            i.mul_f64(index as f64 / options.clients as f64)
        });
    loop {
        let sent = match interval {
            Some(interval) => {
                let at = due;
                due += interval;
                tokio::time::sleep_until(at.into()).await;
                at
            }
            None => Instant::now(),
        };
        if sent >= end {
            break;
        }
        let answer = http
            .post(&options.url)
            .header(AUTHORIZATION, format!("Bearer {}", options.token))
            .header(CONTENT_TYPE, "application/json")
            .body(options.body.clone())
            .send()
            .await;
        let response = match answer {
            Ok(r) if r.status().is_success() => r,
            _ => {
                samples.failures += 1;
                continue;
            }
        };
        let header = response
            .headers()
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if response.bytes().await.is_err() {
            samples.failures += 1;
            continue;
        }
        samples.latency.push(sent.elapsed().as_secs_f64() * 1e3);
        match (timing(&header, "pipeline"), timing(&header, "provider")) {
            (Some(pipeline), Some(provider)) => {
                samples.pipeline.push(pipeline);
                samples.provider.push(provider);
            }
            _ => samples.failures += 1,
        }
    }
    samples
}

fn quantiles(values: &mut [f64]) -> String {
    if values.is_empty() {
        return "no samples".to_owned();
    }
    values.sort_by(f64::total_cmp);
    let at =
        |q: f64| values[((values.len() as f64 * q).ceil() as usize).clamp(1, values.len()) - 1];
    format!(
        "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        at(0.50),
        at(0.90),
        at(0.99),
        at(1.0)
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options() {
        Ok(o) => Arc::new(o),
        Err(e) => {
            eprintln!("konqer-load: {e}");
            return ExitCode::from(2);
        }
    };
    let http = match reqwest::Client::builder()
        .pool_max_idle_per_host(options.clients)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("konqer-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A short warm-up fills the connection pools on both sides.
    let warm = Instant::now() + Duration::from_secs(2);
    let tasks: Vec<_> = (0..options.clients)
        .map(|i| {
            tokio::spawn(client(
                http.clone(),
                options.clone(),
                i,
                Instant::now(),
                warm,
            ))
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let start = Instant::now();
    let end = start + Duration::from_secs(options.seconds);
    let tasks: Vec<_> = (0..options.clients)
        .map(|i| tokio::spawn(client(http.clone(), options.clone(), i, start, end)))
        .collect();
    let mut all = Samples::default();
    for task in tasks {
        if let Ok(s) = task.await {
            all.latency.extend(s.latency);
            all.pipeline.extend(s.pipeline);
            all.provider.extend(s.provider);
            all.failures += s.failures;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mode = options.rate.map_or("closed loop".to_owned(), |r| {
        format!("{r:.0} req/s offered")
    });
    println!(
        "{} clients, {mode}: {:.0} req/s answered, {} failed",
        options.clients,
        all.latency.len() as f64 / elapsed,
        all.failures
    );
    println!("  client latency     {}", quantiles(&mut all.latency));
    println!("  pipeline overhead  {}", quantiles(&mut all.pipeline));
    println!("  provider           {}", quantiles(&mut all.provider));
    if all.failures > 0 || all.latency.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
