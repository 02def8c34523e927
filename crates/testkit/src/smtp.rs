//! A minimal SMTP server on 127.0.0.1:0, plain text (no TLS): `EHLO`/`HELO`, `AUTH PLAIN`,
//! `MAIL`, `RCPT`, `DATA` (with dot-unstuffing), `RSET`, `NOOP`, `QUIT`. It records each
//! message as delivered and can be scripted to refuse: the next `MAIL` commands with a reply
//! code (`421`/`451` transient, `554` permanent), a recipient with `550`, or a login.
//! Point a transport at it with [`StandInSmtp::url`] (`smtp://…?tls=none`).

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpMessage {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, lines ending in CRLF.
    pub data: String,
    /// The user that logged in on this connection, if any.
    pub user: Option<String>,
}

impl SmtpMessage {
    /// A header's value (first occurrence, unfolded is not needed for ours).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.data
            .split("\r\n")
            .take_while(|l| !l.is_empty())
            .find_map(|l| {
                let (key, value) = l.split_once(':')?;
                key.eq_ignore_ascii_case(name).then(|| value.trim())
            })
    }
}

#[derive(Default)]
struct State {
    messages: Vec<SmtpMessage>,
    fail_mail: VecDeque<u16>,
    rejected: HashSet<String>,
    login: Option<(String, String)>,
    connections: usize,
}

pub struct StandInSmtp {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl StandInSmtp {
    pub async fn start() -> StandInSmtp {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the SMTP stand-in to 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                lock(&shared).connections += 1;
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        StandInSmtp { addr, state, task }
    }

    /// `smtp://127.0.0.1:<port>?tls=none`, optionally with `user:pass@`.
    pub fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.addr)
    }

    pub fn url_with_login(&self, user: &str, password: &str) -> String {
        format!("smtp://{user}:{password}@{}?tls=none", self.addr)
    }

    /// Messages delivered so far, in order.
    pub fn messages(&self) -> Vec<SmtpMessage> {
        lock(&self.state).messages.clone()
    }

    pub fn connections(&self) -> usize {
        lock(&self.state).connections
    }

    /// The next `times` `MAIL FROM` commands are answered with `code`.
    pub fn fail_next(&self, code: u16, times: usize) {
        lock(&self.state)
            .fail_mail
            .extend(std::iter::repeat_n(code, times));
    }

    /// `RCPT TO` this address gets `550 5.1.1`.
    pub fn reject_recipient(&self, address: &str) {
        lock(&self.state)
            .rejected
            .insert(address.to_ascii_lowercase());
    }

    /// From now on `MAIL` needs an `AUTH PLAIN` login with these credentials.
    pub fn require_login(&self, user: &str, password: &str) {
        lock(&self.state).login = Some((user.to_owned(), password.to_owned()));
    }
}

impl Drop for StandInSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The address between `<` and `>` after `FROM:` / `TO:`.
fn path_of(argument: &str) -> Option<String> {
    let start = argument.find('<')?;
    let end = argument[start..].find('>')? + start;
    Some(argument[start + 1..end].to_owned())
}

async fn session(stream: TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    macro_rules! reply {
        ($text:expr) => {
            if write.write_all($text.as_bytes()).await.is_err() {
                return;
            }
        };
    }
    reply!("220 stand-in.smtp ESMTP konqer-testkit\r\n");
    let mut from: Option<String> = None;
    let mut rcpt: Vec<String> = Vec::new();
    let mut user: Option<String> = None;
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => reply!("250-stand-in.smtp\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n"),
            "HELO" => reply!("250 stand-in.smtp\r\n"),
            "NOOP" => reply!("250 OK\r\n"),
            "RSET" => {
                from = None;
                rcpt.clear();
                reply!("250 OK\r\n");
            }
            "QUIT" => {
                reply!("221 Bye\r\n");
                return;
            }
            "AUTH" => {
                let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
                if !mechanism.eq_ignore_ascii_case("PLAIN") {
                    reply!("504 5.5.4 Unrecognized authentication type\r\n");
                    continue;
                }
                let mut response = initial.to_owned();
                if response.is_empty() {
                    reply!("334 \r\n");
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    response = line.trim_end().to_owned();
                }
                let decoded = STANDARD.decode(response.trim()).unwrap_or_default();
                let parts: Vec<String> = decoded
                    .split(|b| *b == 0)
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
                let expected = lock(&state).login.clone();
                match (parts.as_slice(), expected) {
                    ([_, u, p], Some((eu, ep))) if *u == eu && *p == ep => {
                        user = Some(u.clone());
                        reply!("235 2.7.0 Authentication successful\r\n");
                    }
                    ([_, u, _], None) => {
                        user = Some(u.clone());
                        reply!("235 2.7.0 Authentication successful\r\n");
                    }
                    _ => reply!("535 5.7.8 Authentication credentials invalid\r\n"),
                }
            }
            "MAIL" => {
                let scripted = lock(&state).fail_mail.pop_front();
                let needs_login = lock(&state).login.is_some() && user.is_none();
                if let Some(code) = scripted {
                    reply!(format!("{code} stand-in refuses this time\r\n"));
                } else if needs_login {
                    reply!("530 5.7.0 Authentication required\r\n");
                } else if let Some(path) = path_of(argument) {
                    from = Some(path);
                    rcpt.clear();
                    reply!("250 OK\r\n");
                } else {
                    reply!("501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
                }
            }
            "RCPT" => match (from.is_some(), path_of(argument)) {
                (false, _) => reply!("503 5.5.1 MAIL first\r\n"),
                (true, None) => reply!("501 5.5.4 Syntax: RCPT TO:<address>\r\n"),
                (true, Some(to)) if lock(&state).rejected.contains(&to.to_ascii_lowercase()) => {
                    reply!("550 5.1.1 No such user here\r\n")
                }
                (true, Some(to)) => {
                    rcpt.push(to);
                    reply!("250 OK\r\n");
                }
            },
            "DATA" => {
                if rcpt.is_empty() {
                    reply!("503 5.5.1 RCPT first\r\n");
                    continue;
                }
                reply!("354 End data with <CR><LF>.<CR><LF>\r\n");
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    data.push_str(text.strip_prefix('.').unwrap_or(text));
                    data.push_str("\r\n");
                }
                lock(&state).messages.push(SmtpMessage {
                    mail_from: from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt),
                    data,
                    user: user.clone(),
                });
                reply!("250 2.0.0 OK queued\r\n");
            }
            _ => reply!("502 5.5.2 Command not recognized\r\n"),
        }
    }
}
