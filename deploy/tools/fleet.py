#!/usr/bin/env python3
"""The checks of scripts/fleet.sh, run against three `konqer serve` replicas that share one
PostgreSQL and one Redis. Each check is a function `check_<name>`; fleet.sh calls
`fleet.py <name>` and a check passes when it returns without an exception.

Environment (set by fleet.sh):
  FLEET_URLS        public base URLs of the replicas, comma-separated (the first is the issuer)
  FLEET_ADMIN_URLS  their admin listeners, comma-separated
  FLEET_DATA_DIRS   their data directories (the .eml mail sinks), comma-separated
  FLEET_PIDS        their process ids, comma-separated
  FLEET_LOGS        their log files (JSON lines), comma-separated
  FLEET_DB          the PostgreSQL URL they share (read-only here, for the evidence)
  FLEET_BIN         the konqer binary (`konqer admin add` makes the operator)

Operators change the fleet through the admin API, as in production. The database is read to
prove what happened, and written only where the product has no way to do it now: to date a
subscription a month back, and to queue three unlock sweeps at once.

Requests carry X-Forwarded-For (the replicas trust loopback as their gateway, like pods behind
Kong), so each check is its own set of client addresses and anonymous limits never leak from
one check into another.
"""
import concurrent.futures
import email
import email.policy
import http.client
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

URLS = os.environ["FLEET_URLS"].split(",")
ADMIN_URLS = os.environ["FLEET_ADMIN_URLS"].split(",")
DATA_DIRS = [pathlib.Path(p) for p in os.environ["FLEET_DATA_DIRS"].split(",")]
PIDS = [int(p) for p in os.environ["FLEET_PIDS"].split(",")]
LOGS = [pathlib.Path(p) for p in os.environ["FLEET_LOGS"].split(",")]
DB = os.environ["FLEET_DB"]
BIN = os.environ["FLEET_BIN"]
PASSWORD = "correct horse battery staple"


class Failed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


def log(message):
    print(f"    {message}", flush=True)


def random_ip():
    return f"198.18.{random.randint(0, 255)}.{random.randint(1, 254)}"


def request(base, method, path, body=None, token=None, ip=None, form=None, timeout=30, request_id=None):
    """One request on a fresh connection. Returns (status, headers, parsed body)."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    headers = {"X-Forwarded-For": ip or random_ip(), "Connection": "close"}
    if request_id:
        headers["X-Request-Id"] = request_id
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body)
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = urllib.parse.urlencode(form)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed
    finally:
        connection.close()


def sql(query):
    out = subprocess.run(["psql", "-Atq", "-v", "ON_ERROR_STOP=1", DB, "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return out.strip()


def wait_for(what, predicate, timeout=30.0, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise Failed(f"timed out after {timeout:.0f} s waiting for {what}")


def register(email_address):
    status, _, body = request(URLS[0], "POST", "/auth/register",
                              {"email": email_address, "password": PASSWORD, "name": "Fleet Test"})
    expect(status == 201, f"register {email_address}: {status} {body}")
    user_id = sql(f"SELECT id FROM users WHERE email = '{email_address}'")
    return body["access_token"], user_id


def founding_member(tag):
    """A user who bought the Founding Membership through the local checkout."""
    address = f"{tag}-{uuid.uuid4().hex[:8]}@example.com"
    token, user_id = register(address)
    status, _, body = request(URLS[1], "POST", "/api/checkout/founding", token=token)
    expect(status == 200, f"checkout: {status} {body}")
    checkout = urllib.parse.urlsplit(body["checkout_url"])
    # The checkout page lives on the issuer's URL; pay on another replica to cross them.
    status, _, page = request(URLS[2], "POST", checkout.path, form={"card": "4242424242424242"})
    expect(status < 400, f"paying: {status} {page}")

    def unlocked():
        _, _, me = request(URLS[0], "GET", "/api/user/me", token=token)
        return any(s["service"] == "cold-dm" and s["status"] == "unlocked" for s in me["services"])
    wait_for("the purchase to unlock cold-dm", unlocked)
    return address, token, user_id


def mail_files(address):
    """Every message the replicas' sinks wrote to `address`: (subject, path)."""
    found = []
    for directory in DATA_DIRS:
        for path in sorted((directory / "mail").glob("*.eml")) if (directory / "mail").exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in str(message["To"]):
                found.append((str(message["Subject"]), path))
    return found


def operator_token():
    """A superadmin's access token: sign up, `konqer admin add`, sign in again (roles are
    computed when a token is issued)."""
    address = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    register(address)
    subprocess.run([BIN, "admin", "add", address, "--role", "superadmin"], check=True, capture_output=True,
                   env={"PATH": os.environ["PATH"], "DATABASE_URL": DB, "KONQER_DATA_DIR": str(DATA_DIRS[0])})
    status, _, body = request(URLS[1], "POST", "/auth/login", {"email": address, "password": PASSWORD})
    expect(status == 200, f"operator login: {status} {body}")
    return body["access_token"]


def change_service(operator, service, **change):
    """PATCH /admin/services/{service} on one replica, then wait until every replica's
    catalog shows it (KONQER_CATALOG_REFRESH_SECS)."""
    status, _, body = request(ADMIN_URLS[2], "PATCH", f"/admin/services/{service}", change, token=operator)
    expect(status == 200, f"PATCH /admin/services/{service} {change}: {status} {body}")

    def everywhere():
        return all(all(request(u, "GET", f"/api/services/{service}")[2].get(k) == v for k, v in change.items())
                   for u in URLS)
    wait_for(f"every replica to show {service} {change}", everywhere)


# ---- checks --------------------------------------------------------------------------------

def check_shared_rate_limit():
    """60 a minute per address and per user, counted once for the whole fleet (Redis)."""
    ip = f"203.0.113.{random.randint(1, 254)}"
    statuses, remaining = [], []
    for i in range(90):
        status, headers, body = request(URLS[i % 3], "GET", "/api/services", ip=ip)
        statuses.append(status)
        expect(headers.get("ratelimit-limit") == "60", f"RateLimit-Limit: {headers.get('ratelimit-limit')}")
        if status == 200:
            remaining.append(int(headers["ratelimit-remaining"]))
        else:
            expect(status == 429 and body["code"] == "rate_limited", f"request {i}: {status} {body}")
            expect("retry-after" in headers, "a 429 carries Retry-After")
    expect(statuses == [200] * 60 + [429] * 30,
           f"anonymous: expected 60 answers then 429s across 3 replicas, got {statuses.count(200)} x 200")
    expect(remaining == list(range(59, -1, -1)), f"RateLimit-Remaining counts down across replicas: {remaining}")
    log("anonymous, one address, 90 requests round-robin over 3 replicas: 60 answered, 30 x 429")

    token, _ = register(f"limit-{uuid.uuid4().hex[:8]}@example.com")
    statuses = [request(URLS[i % 3], "GET", "/api/user/me", token=token)[0] for i in range(70)]
    expect(statuses == [200] * 60 + [429] * 10,
           f"signed in (from 70 addresses): expected 60 then 429s, got {statuses.count(200)} x 200")
    log("one user from 70 different addresses over 3 replicas: 60 answered, 10 x 429")


def check_exact_quota():
    """An operator sets cold-dm's daily limit to 5 on one replica; 30 concurrent generations
    spread over the three give exactly 5 answers, 5 counted units and 5 stored generations."""
    _, token, user_id = founding_member("quota")
    operator = operator_token()
    change_service(operator, "cold-dm", rate_limit_daily=5)
    try:
        example = request(URLS[0], "GET", "/api/services/cold-dm")[2]["input_schema"]["examples"][0]
        barrier = threading.Barrier(30)

        def one(i):
            barrier.wait()
            return request(URLS[i % 3], "POST", "/api/services/cold-dm/generate", example, token=token)
        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            results = list(pool.map(one, range(30)))
    finally:
        change_service(operator, "cold-dm", rate_limit_daily=100)
    ok = [r for r in results if r[0] == 200]
    limited = [r for r in results if r[0] == 429 and r[2].get("code") == "daily_limit_reached"]
    expect(len(ok) == 5 and len(limited) == 25,
           f"expected 5 x 200 and 25 x 429, got {[(r[0], (r[2] or {}).get('code')) for r in results]}")
    used = sql(f"SELECT COALESCE(SUM(used), 0) FROM usage_counters WHERE user_id = '{user_id}' AND service_key = 'cold-dm'")
    stored = sql(f"SELECT COUNT(*) FROM generations WHERE user_id = '{user_id}'")
    expect(used == "5" and stored == "5", f"database: used {used}, generations {stored}")
    log("30 concurrent generations over 3 replicas, limit 5: 5 x 200, 25 x 429; 5 counted, 5 stored")


def check_unlock_and_emails_once():
    """Three sweeps racing on three replicas grant a newly released service once and send
    each lifecycle email once (the welcome email of the purchase included)."""
    address, _, user_id = founding_member("unlock")
    operator = operator_token()
    # The member joined a month ago; an operator moves battlecards' release to launch day,
    # which has passed: the sweeps must grant it and tell the member, once.
    sql(f"UPDATE subscriptions SET created_at = now() - interval '30 days' WHERE user_id = '{user_id}'")
    change_service(operator, "battlecards", release_offset_days=0)
    try:
        # Three sweeps at once (the scheduled one runs every five minutes; these are extra).
        sql("INSERT INTO jobs (id, kind, payload, run_at, dedupe_key) SELECT gen_random_uuid(), "
            "'unlock.sweep', '{}', now(), 'fleet-sweep-' || n || '-" + uuid.uuid4().hex + "' "
            "FROM generate_series(1, 3) n")
        wait_for("the three sweeps", lambda: sql(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'unlock.sweep' AND dedupe_key LIKE 'fleet-sweep-%' "
            "AND state = 'done'") == "3")
        wait_for("every email of the member to be sent", lambda: sql(
            f"SELECT COUNT(*) FROM email_outbox WHERE user_id = '{user_id}' AND status <> 'sent'") == "0"
            and sql(f"SELECT COUNT(*) FROM email_outbox WHERE user_id = '{user_id}' AND kind = 'unlock'") != "0")
    finally:
        change_service(operator, "battlecards", release_offset_days=7)
    access = sql(f"SELECT COUNT(*) FROM service_access WHERE user_id = '{user_id}' AND service_key = 'battlecards'")
    expect(access == "1", f"battlecards access rows: {access}")
    rows = sql(f"SELECT kind || '|' || subject FROM email_outbox WHERE user_id = '{user_id}' ORDER BY kind").splitlines()
    kinds = [r.split("|", 1)[0] for r in rows]
    expect("welcome" in kinds, f"no welcome email in the outbox: {kinds}")
    expect(any(r.startswith("unlock|") and "Battlecards" in r for r in rows), f"no battlecards unlock email: {rows}")
    expect(len(rows) == len(set(rows)), f"an email was queued twice: {rows}")
    time.sleep(1.0)  # a duplicate send would land now
    files = mail_files(address)
    subjects = sorted(s for s, _ in files)
    expected = sorted(r.split("|", 1)[1] for r in rows)
    expect(subjects == expected, f"sent {subjects}, queued {expected}")
    writers = len({p.parent.parent for _, p in files})
    log(f"{len(rows)} emails ({', '.join(sorted(set(kinds)))}) queued and sent exactly once, by {writers} replica(s)")


def check_sigterm_loses_nothing():
    """SIGTERM one replica while it serves signed-in work: every request it accepted gets its
    answer, the work of every answered request is stored once, nothing else is.

    Like a gateway, the client sends each request to the stopping replica until it refuses
    connections, then to the others. A connection the kernel queued but the process never
    accepted (it arrived as the listener closed) is reset; that is "not accepted", and the
    replica's own log proves it: the request id of every reset must be absent from it, and
    the replica must not have cut connections at the end of its grace period."""
    address = f"load-{uuid.uuid4().hex[:8]}@example.com"
    _, user_id = register(address)

    def count_sessions():
        return int(sql(f"SELECT COUNT(*) FROM refresh_tokens WHERE user_id = '{user_id}'"))
    before = count_sessions()
    victim, victim_pid, victim_log = URLS[2], PIDS[2], LOGS[2]
    stop = threading.Event()
    killed_at = [None]
    lock = threading.Lock()
    outcomes = {"ok": 0, "ok_on_victim": 0, "inflight_at_sigterm": 0, "refused": 0,
                "reset": [], "bad": []}

    def worker(n):
        target = victim
        while not stop.is_set():
            started = time.monotonic()
            request_id = f"fleet-{uuid.uuid4().hex}"
            try:
                status, _, body = request(target, "POST", "/auth/login",
                                          {"email": address, "password": PASSWORD},
                                          timeout=30, request_id=request_id)
            except ConnectionRefusedError:
                with lock:
                    outcomes["refused"] += 1
                target = URLS[n % 2]
                continue
            except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError) as err:
                with lock:
                    outcomes["reset"].append((target, request_id, type(err).__name__, started))
                target = URLS[n % 2]
                continue
            with lock:
                if status == 200:
                    outcomes["ok"] += 1
                    if target == victim:
                        outcomes["ok_on_victim"] += 1
                        if killed_at[0] and started < killed_at[0]:
                            outcomes["inflight_at_sigterm"] += 1
                else:
                    outcomes["bad"].append(f"{target}: {status} {body}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    killed_at[0] = time.monotonic()
    os.kill(victim_pid, signal.SIGTERM)
    time.sleep(3.0)
    stop.set()
    for t in threads:
        t.join()
    wait_for("the stopped replica to exit", lambda: not pathlib.Path(f"/proc/{victim_pid}").exists()
             or "zombie" in pathlib.Path(f"/proc/{victim_pid}/status").read_text().lower(), timeout=15)
    after = count_sessions()
    log_text = victim_log.read_text()
    unaccepted = 0
    for target, request_id, error, started in outcomes["reset"]:
        if target != victim or request_id in log_text:
            outcomes["bad"].append(f"{target}: {error} for request {request_id} "
                                   f"sent {started - killed_at[0]:+.3f} s from SIGTERM")
        else:
            unaccepted += 1
    expect("grace period over" not in log_text, "the stopped replica cut connections at the end of its grace period")
    log(f"{outcomes['ok']} logins answered 200 ({outcomes['ok_on_victim']} by the stopped replica, "
        f"{outcomes['inflight_at_sigterm']} of them in flight at SIGTERM); not accepted by the stopped "
        f"replica and retried elsewhere: {outcomes['refused']} refused, {unaccepted} reset unread")
    expect(not outcomes["bad"], f"requests lost or failed: {outcomes['bad'][:10]}")
    expect(outcomes["inflight_at_sigterm"] > 0, "no request was in flight at SIGTERM; the check proved nothing")
    expect(after - before == outcomes["ok"],
           f"{after - before} sessions stored for {outcomes['ok']} answered logins")
    log(f"{after - before} sessions stored = {outcomes['ok']} answered: no work without its answer")


def main(argv):
    check = globals().get(f"check_{argv[0]}") if argv else None
    if check is None:
        names = [n[len("check_"):] for n in globals() if n.startswith("check_")]
        print(f"usage: fleet.py <{'|'.join(names)}>", file=sys.stderr)
        return 2
    try:
        check()
    except Failed as err:
        print(f"    FAILED: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
