#!/usr/bin/env python3
"""web_core: nmirf-web's core driven from outside (docs/WEB.md).

Starts the built nmirf-web on 127.0.0.1 port 0 against an agent directory
with no agent (its API answers 503 agent_down), reads its URL from
AGENT_DIR/web/endpoint, and checks over HTTP: the static pages and their
headers, the i18n catalogs, login (wrong, right, the cookie's flags),
the session (GET, PUT lang), CSRF, no session, logout, a deleted account,
the event stream's headers, the body limit, bad percent-encoding, the
login rate limit; the `user` subcommands and their refusals; the flags
refused; HTTPS with a certificate made here by openssl; SIGTERM.
Prints the server's log on failure. Every wait is bounded.

usage: core_test.py PATH/TO/nmirf-web
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

WEB = sys.argv[1]
failures = 0
checks = 0
servers = []


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)


def run(agent_dir, *args, stdin="", env=None):
    p = subprocess.run([WEB, "-a", agent_dir, *args], input=stdin, capture_output=True,
                       text=True, timeout=60, env=env)
    return p.returncode, p.stdout, p.stderr


class Server:
    def __init__(self, agent_dir, *flags):
        self.dir = agent_dir
        self.log = open(os.path.join(agent_dir, "web%d.log" % len(servers)), "w+")
        endpoint = os.path.join(agent_dir, "web", "endpoint")
        if os.path.exists(endpoint):
            os.unlink(endpoint)
        self.proc = subprocess.Popen([WEB, "-a", agent_dir, "--listen", "127.0.0.1:0", *flags],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        servers.append(self)
        for _ in range(200):  # 20 s at most
            if os.path.exists(endpoint):
                with open(endpoint) as f:
                    self.url = f.read().strip()
                if self.url.endswith("/"):
                    break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        else:
            self.url = ""
        if not self.url:
            fatal("nmirf-web did not write its endpoint")
        hostport = self.url.split("//")[1].rstrip("/")
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.cookie = "nmirf_session_%d" % self.port  # one name per console
        self.tls = self.url.startswith("https")

    def conn(self):
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.host, self.port, timeout=30, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def req(self, method, path, body=None, headers=None, session=None):
        h = dict(headers or {})
        if session:
            h["Cookie"] = self.cookie + "=" + session["token"]
            if method not in ("GET", "HEAD") and "X-CSRF-Token" not in h:
                h["X-CSRF-Token"] = session.get("csrf", "")
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c = self.conn()
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.headers, data

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def dump(self):
        self.log.seek(0)
        sys.stderr.write(f"--- nmirf-web log ({self.dir}) ---\n" + self.log.read())


def fatal(what):
    global failures
    failures += 1
    print(f"FAIL: {what}", file=sys.stderr)
    finish()


def finish():
    for s in servers:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
        if failures:
            s.dump()
    print(f"web_core: {checks} checks, {failures} failed")
    shutil.rmtree(TOP, ignore_errors=True)
    sys.exit(1 if failures else 0)


def js(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


def login(s, user, password, **extra):
    st, h, data = s.req("POST", "/api/login", {"user": user, "password": password, **extra})
    if st != 200:
        return st, h, js(data), None
    cookie = h.get("Set-Cookie", "")
    token = cookie.split(";")[0].split("=", 1)[1]
    body = js(data)
    return st, h, body, {"token": token, "csrf": body["csrf"]}


TOP = tempfile.mkdtemp(prefix="web_core.")
AG = os.path.join(TOP, "agent")
os.mkdir(AG)

# --- the command line: flags and accounts --------------------------------
rc, out, err = run(AG, "--help")
check(rc == 0 and "usage: nmirf-web" in out and "--session-ttl" in out, "--help")
for bad in (["--bogus"], ["--session-ttl", "5"], ["--session-ttl", "x"], ["--listen", "nope"],
            ["--tls-cert", "/nonexistent"], ["frobnicate"], ["user"], ["user", "add"],
            ["user", "add", "x", "--role", "admin"], ["user", "add", "x"]):
    rc, out, err = run(AG, *bad)
    check(rc == 2 and "nmirf-web:" in err, f"{bad} refused with 2 and a message: {rc} {err!r}")
p = subprocess.run([WEB, "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
check(p.returncode == 2 and "-a DIR" in p.stderr, "no -a refused")
rc, out, err = run(AG, "--listen", "0.0.0.0:0")
check(rc == 2 and "loopback" in err and "--insecure-http" in err,
      f"off loopback without TLS refused: {rc} {err!r}")

rc, out, err = run(AG, "user", "add", "alice", "--role", "editor", stdin="correct horse\n")
check(rc == 0, f"user add alice: {rc} {err!r}")
st = os.stat(os.path.join(AG, "web", "users"))
check(st.st_mode & 0o777 == 0o600, "users is 0600")
check(os.stat(os.path.join(AG, "web")).st_mode & 0o777 == 0o700, "web/ is 0700")
rc, out, err = run(AG, "user", "add", "alice", "--role", "viewer", stdin="another pass\n")
check(rc == 1 and "exists" in err, f"an existing name refused: {err!r}")
rc, out, err = run(AG, "user", "add", "bob", "--role", "viewer", stdin="short\n")
check(rc == 1 and "shorter" in err, f"a short password refused: {err!r}")
rc, out, err = run(AG, "user", "add", "bob", "--role", "viewer", stdin="\n")
check(rc == 1, f"an empty password refused: {err!r}")
rc, out, err = run(AG, "user", "add", "bob", "--role", "viewer", stdin="")
check(rc == 1, f"no password refused: {err!r}")
rc, out, err = run(AG, "user", "add", "b:ob", "--role", "viewer", stdin="long enough\n")
check(rc == 1 and "login name" in err, f"a bad name refused: {err!r}")
rc, out, err = run(AG, "user", "add", "carol", "--role", "coordinator", stdin="long enough\n")
check(rc == 1 and "nmirf-agent" in err and "--force" in err,
      f"a coordinator without a running agent refused: {err!r}")
rc, out, err = run(AG, "user", "add", "carol", "--role", "coordinator", "--force",
                   stdin="long enough\n")
check(rc == 0, f"a coordinator with --force: {err!r}")
rc, out, err = run(AG, "user", "add", "bob", "--role", "viewer", stdin="long enough\n")
check(rc == 0, f"user add bob: {err!r}")
rc, out, err = run(AG, "user", "list")
check(rc == 0 and "alice" in out and "editor" in out and "carol" in out
      and "coordinator" in out and "argon2" not in out, f"user list: {out!r}")
rc, out, err = run(AG, "user", "passwd", "nobody", stdin="long enough\n")
check(rc == 1 and "no such account" in err, f"passwd of nobody: {err!r}")
rc, out, err = run(AG, "user", "del", "nobody")
check(rc == 1 and "no such account" in err, f"del of nobody: {err!r}")
rc, out, err = run(AG, "user", "del", "carol")
check(rc == 0, "user del carol")
rc, out, err = run(AG, "user", "list")
check("carol" not in out, "carol is gone")

# --- the server ----------------------------------------------------------
s = Server(AG)
check(s.url.startswith("http://127.0.0.1:") and s.port > 0, f"endpoint {s.url}")

st, h, data = s.req("GET", "/")
check(st == 200 and h["Content-Type"].startswith("text/html") and b"<html" in data, "/")
check(h.get("Content-Security-Policy") == "default-src 'self'; img-src 'self' data:; "
      "style-src 'self'; script-src 'self'; frame-ancestors 'none'", "CSP")
check(h.get("X-Content-Type-Options") == "nosniff" and h.get("Referrer-Policy") == "no-referrer"
      and h.get("X-Frame-Options") == "DENY", "security headers")
check(h.get("Cache-Control") == "no-cache" and h.get("ETag"), "no-cache and ETag")
etag = h.get("ETag")
st, h, data = s.req("GET", "/static/index.html", headers={"If-None-Match": etag})
check(st == 304, f"If-None-Match: {st}")
st, h, data = s.req("GET", "/static/index.html")
check(st == 200 and b"<html" in data, "/static/index.html")
st, h, data = s.req("GET", "/static/nope.js")
check(st == 404 and js(data)["code"] == "not_found", "a missing file")
check(h.get("X-Frame-Options") == "DENY", "security headers on an error too")

for path in ("/api/recs/%zz", "/api/recs/%00", "/static/%C3", "/api/recs/%C0%AF",
             "/api/status?x=%4"):
    st, h, data = s.req("GET", path)
    check(st == 400 and js(data)["code"] == "bad_request", f"{path}: {st}")

st, h, data = s.req("GET", "/api/i18n/ar")
cat = js(data)
check(st == 200 and cat["lang"] == "ar" and cat["dir"] == "rtl"
      and isinstance(cat["messages"], dict), f"/api/i18n/ar {data!r}")
st, h, data = s.req("GET", "/api/i18n/fr")
cat = js(data)
check(st == 200 and cat["dir"] == "ltr" and len(cat["messages"]) > 0, "/api/i18n/fr")
st, h, data = s.req("GET", "/api/i18n/de")
check(st == 404, "/api/i18n/de")

# /api/vocab: the names of stored values (data/vocab) in the three
# languages, without a session, revalidated by its ETag.
st, h, data = s.req("GET", "/api/vocab")
voc = js(data) if st == 200 else {}
check(st == 200 and voc.get("langs") == ["fr", "ar", "en"], f"/api/vocab {st} {data[:200]!r}")
for kind in ("statuses", "positions", "mechanisms", "report_states", "roles", "themes", "sdgs"):
    check(isinstance(voc.get(kind), dict) and voc[kind], f"/api/vocab has {kind}")
    for key, names in (voc.get(kind) or {}).items():
        check(all(names.get(l) for l in ("fr", "ar", "en")), f"/api/vocab {kind} {key} in fr, ar, en")
check(voc.get("statuses", {}).get("in_progress", {}).get("fr") == "En cours", "/api/vocab fr status")
check(voc.get("positions", {}).get("not_applicable", {}).get("ar") == "لا ينطبق", "/api/vocab ar position")
check(list(voc.get("sdgs", {})) == [str(g) for g in range(1, 18)], "/api/vocab the 17 goals in order")
check(list(voc.get("statuses", {}))[0] == "not_started", "/api/vocab statuses in file order")
etag = h.get("ETag")
check(etag and h.get("Cache-Control") == "no-cache", f"/api/vocab cacheable: {dict(h)}")
st, h, data = s.req("GET", "/api/vocab", headers={"If-None-Match": etag})
check(st == 304 and data == b"" and h.get("ETag") == etag, f"/api/vocab If-None-Match: {st}")
st, h, data = s.req("GET", "/api/vocab", headers={"If-None-Match": '"v0"'})
check(st == 200 and js(data) == voc, "/api/vocab another tag: 200")
st, h, data = s.req("POST", "/api/vocab", body={})
check(st in (401, 403, 405), f"POST /api/vocab: {st}")

st, h, data = s.req("GET", "/api/status")
check(st == 401 and js(data)["code"] == "no_session", "no session: 401")
st, h, data = s.req("GET", "/api/session", headers={"Cookie": s.cookie + "=" + "0" * 64})
check(st == 401 and js(data)["code"] == "no_session", "an unknown token: 401")

st, h, body, _ = login(s, "alice", "wrong horse")
check(st == 401 and body["code"] == "bad_login", "a wrong password: 401 bad_login")
st, h, body2, _ = login(s, "nobody", "wrong horse")
check(st == 401 and body2 == body, "an unknown user: the same answer")
# A login is application/json: another site's form (text/plain, no
# preflight) cannot log a browser into an account of its choosing.
for ctype in (None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"):
    st, h, data = s.req("POST", "/api/login", json.dumps({"user": "alice", "password": "x"}),
                        headers={"Content-Type": ctype} if ctype else {})
    check(st == 415 and js(data)["code"] == "bad_type", f"a login as {ctype}: {st}")
st, h, data = s.req("POST", "/api/login", "{not json", headers={"Content-Type": "application/json"})
check(st == 400 and js(data)["code"] == "bad_json", "a login that is not JSON: 400 bad_json")
st, h, data = s.req("POST", "/api/login", {"user": "alice"})
check(st == 400 and js(data)["code"] == "bad_request", "a login without password: 400")

st, h, body, alice = login(s, "alice", "correct horse",)
check(st == 200 and body["user"] == "alice" and body["role"] == "editor"
      and len(body["csrf"]) == 64 and body["lang"] == "fr", f"login: {body}")
cookie = h.get("Set-Cookie", "")
check("HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
      and "Max-Age=" in cookie and "Secure" not in cookie, f"cookie flags: {cookie}")
check(len(alice["token"]) == 64, "a 32-byte token")

st, h, data = s.req("GET", "/api/session", session=alice)
sess = js(data)
check(st == 200 and sess["user"] == "alice" and sess["csrf"] == alice["csrf"]
      and sess["expires"] > time.time() * 1000, f"GET /api/session {sess}")
st, h, data = s.req("PUT", "/api/session", {"lang": "ar"}, session=alice,
                    headers={"X-CSRF-Token": "0" * 64})
check(st == 403 and js(data)["code"] == "bad_csrf", "PUT with a wrong CSRF token: 403")
st, h, data = s.req("PUT", "/api/session", {"lang": "ar"},
                    headers={"Cookie": s.cookie + "=" + alice["token"]})
check(st == 403 and js(data)["code"] == "bad_csrf", "PUT without a CSRF token: 403")
st, h, data = s.req("PUT", "/api/session", {"lang": "ar"}, session=alice)
check(st == 200 and js(data)["lang"] == "ar", "PUT /api/session lang")
rc, out, err = run(AG, "user", "list")
check(any(l.split()[:3] == ["alice", "editor", "ar"] for l in out.splitlines()),
      f"the language remembered in the account: {out!r}")
st, h, data = s.req("PUT", "/api/session", {"lang": "xx"}, session=alice)
check(st == 400, "PUT a bad lang: 400")

st, h, data = s.req("POST", "/api/reports", {"rec": "x"},
                    headers={"Cookie": s.cookie + "=" + alice["token"]})
check(st == 403 and js(data)["code"] == "bad_csrf", "a POST without CSRF: 403")
st, h, data = s.req("GET", "/api/status", session=alice)
check(st == 503 and js(data)["code"] == "agent_down", f"no agent: 503 agent_down {st}")
check(h.get("Content-Security-Policy", "").startswith("default-src 'self'"),
      "security headers on the API's answers")

# The event stream: its headers, then (the agent being down, nothing to
# say) a keepalive comment within 15 s; it ends when its session does.
stream = s.conn()
stream.request("GET", "/api/events", headers={"Cookie": s.cookie + "=" + alice["token"]})
events = stream.getresponse()
check(events.status == 200 and events.headers.get("Content-Type") == "text/event-stream",
      f"/api/events: {events.status} {events.headers.get('Content-Type')}")

# Bodies over the limit: announced, and chunked.
sock = socket.create_connection((s.host, s.port), timeout=30)
sock.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % (4 * 1024 * 1024 + 1))
reply = sock.recv(4096)
sock.close()
check(reply.startswith(b"HTTP/1.1 413") and b"too_large" in reply, f"413 up front: {reply[:60]!r}")
c = s.conn()
big = b"x" * (4 * 1024 * 1024 + 1)
c.putrequest("POST", "/api/login")
c.putheader("Transfer-Encoding", "chunked")
c.endheaders()
try:
    for i in range(0, len(big), 1 << 20):
        part = big[i:i + (1 << 20)]
        c.send(b"%x\r\n" % len(part) + part + b"\r\n")
    c.send(b"0\r\n\r\n")
    r = c.getresponse()
    check(r.status == 413 and js(r.read())["code"] == "too_large", f"413 chunked: {r.status}")
except OSError as e:
    check(False, f"chunked body: {e}")
c.close()

# A deleted account's session ends at its next request.
st, h, body, bob = login(s, "bob", "long enough")
check(st == 200 and body["role"] == "viewer", "bob logs in")
rc, out, err = run(AG, "user", "del", "bob")
st, h, data = s.req("GET", "/api/session", session=bob)
check(st == 401 and js(data)["code"] == "no_session", "a deleted account's session: 401")

# The stream opened above: a keepalive by now or soon (15 s of silence).
lines = []
try:
    for _ in range(20):
        line = events.readline()
        lines.append(line)
        if line.startswith(b": keepalive") or not line:
            break
except OSError as e:
    lines.append(repr(e).encode())
check(any(l.startswith(b": keepalive") for l in lines), f"a keepalive on the stream: {lines}")

# Logout; the stream ends with the session.
st, h, data = s.req("POST", "/api/logout", {}, session=alice)
check(st == 200 and "Max-Age=0" in h.get("Set-Cookie", ""), "logout clears the cookie")
st, h, data = s.req("GET", "/api/session", session=alice)
check(st == 401, "after logout: 401")
try:
    rest = events.read()  # to the end of the stream, within the socket's 30 s
    check(b"event:" not in rest, f"the stream ended with its session: {rest!r}")
except OSError as e:
    check(False, f"the stream did not end with its session: {e!r}")
stream.close()

# The rate limit: 5 failures, then 429 even with the right password. (The
# two failures above count for the address too: this is its 3rd to 5th.)
for i in range(3):
    st, h, body, _ = login(s, "alice", "wrong horse %d" % i)
    check(st == 401, f"failure {i + 3}: {st}")
st, h, body, _ = login(s, "alice", "correct horse")
check(st == 429 and body["code"] == "rate_limited" and int(h.get("Retry-After", "0")) > 0,
      f"6th attempt: {st} {body} {h.get('Retry-After')}")

# SIGTERM: exit 0, the endpoint removed.
rc = s.stop()
check(rc == 0, f"SIGTERM: exit {rc}")
check(not os.path.exists(os.path.join(AG, "web", "endpoint")), "the endpoint removed")

# --- HTTPS ---------------------------------------------------------------
openssl = shutil.which("openssl")
check(openssl is not None, "openssl is installed (tests/setup.sh)")
if openssl:
    cert, key = os.path.join(TOP, "cert.pem"), os.path.join(TOP, "key.pem")
    p = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True, timeout=60)
    check(p.returncode == 0, "a self-signed certificate")
    rc, out, err = run(AG, "--listen", "127.0.0.1:0", "--tls-cert", cert)
    check(rc == 2 and "together" in err, "--tls-cert without --tls-key refused")
    rc, out, err = run(AG, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key",
                       os.path.join(TOP, "missing.pem"))
    check(rc == 1 and "missing.pem" in err, f"a missing key: {rc} {err!r}")
    garbage = os.path.join(TOP, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    # libmicrohttpd leaks what GnuTLS began to load (tests/web/lsan.supp).
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
    env = dict(os.environ, LSAN_OPTIONS="suppressions=" + supp)
    rc, out, err = run(AG, "--listen", "127.0.0.1:0", "--tls-cert", garbage, "--tls-key", key,
                       env=env)
    check(rc == 1 and "certificate" in err, f"a bad certificate: {rc} {err!r}")

    run(AG, "user", "add", "dora", "--role", "viewer", stdin="long enough\n")
    t = Server(AG, "--tls-cert", cert, "--tls-key", key)
    check(t.url.startswith("https://127.0.0.1:"), f"https endpoint {t.url}")
    st, h, data = t.req("GET", "/")
    check(st == 200 and b"<html" in data, "GET / over TLS")
    st, h, body, dora = login(t, "dora", "long enough")
    check(st == 200 and "Secure" in h.get("Set-Cookie", ""), "the cookie is Secure under TLS")
    check(t.stop() == 0, "SIGTERM under TLS: exit 0")

# --- a fresh server: HEAD, a changed password, logins at once -------------
run(AG, "user", "add", "erin", "--role", "editor", stdin="first password\n")
u = Server(AG)
st, h, body, erin = login(u, "erin", "first password")
check(st == 200, f"erin logs in: {st}")
# One console per agent: a second is refused, and leaves the first's
# endpoint file alone.
rc, out, err = run(AG, "--listen", "127.0.0.1:0")
check(rc == 1 and "another nmirf-web" in err, f"a second console on the agent: {rc} {err!r}")
check(os.path.exists(os.path.join(AG, "web", "endpoint")), "the first one's endpoint stays")
st, h, data = u.req("HEAD", "/api/session", session=erin)
check(st == 200 and data == b"" and h.get("X-Frame-Options") == "DENY",
      f"HEAD /api/session is GET without a body: {st} {data!r}")
st, h, data = u.req("HEAD", "/api/status", session=erin)
check(st == 503, f"HEAD /api/status routed as GET: {st}")
# A new password ends the sessions opened with the old one (a stolen one).
rc, out, err = run(AG, "user", "passwd", "erin", stdin="second password\n")
check(rc == 0, f"user passwd erin: {err!r}")
st, h, data = u.req("GET", "/api/session", session=erin)
check(st == 401 and js(data)["code"] == "no_session",
      f"a session of the old password after user passwd: {st}")
# So does user del then user add of the same name and role (someone else).
st, h, body, erin = login(u, "erin", "second password")
check(st == 200, f"erin logs in again: {st}")
run(AG, "user", "del", "erin")
run(AG, "user", "add", "erin", "--role", "editor", stdin="second password\n")
st, h, data = u.req("GET", "/api/session", session=erin)
check(st == 401, f"a session of a deleted then added account: {st}")

# Twelve wrong logins at once: at most five are tried (the others 429),
# however many wait for their Argon2id together.
import concurrent.futures
with concurrent.futures.ThreadPoolExecutor(12) as pool:
    codes = list(pool.map(lambda i: login(u, "frank", "wrong %d" % i)[0], range(12)))
check(codes.count(401) <= 5 and codes.count(401) + codes.count(429) == 12,
      f"logins at once pass the rate limit: {sorted(codes)}")
check(u.stop() == 0, "SIGTERM: exit 0")

finish()
