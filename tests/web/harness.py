"""harness.py - real parts for the console's Python tests and benchmarks.

A Cluster is one temporary directory holding a real broker
(build/daemon/nmirfd, loopback only, its log in T/nmirfd.log), ministries
enrolled with `nmirf keygen` + `nmirf entity enroll`, an nmirf-agent per
entity (the coordinator's too, with DATA/keys/COORD.key), console accounts
(`nmirf-web -a DIR user add NAME --role ROLE`, password on stdin) and one
nmirf-web per agent (`--listen 127.0.0.1:0`, its URL read from
AGENT_DIR/web/endpoint). Every process's stderr goes to a log file in T;
when a test fails, Cluster.close(failed=True) prints every log, then kills
everything it started (by pid, never by name) and removes T (kept with
NMIRF_WEB_KEEP=1 or when failed).

Client is a small HTTP client on http.client that keeps the session
cookie and the CSRF token as a page does. Stdlib only: the browser tests
import selenium themselves.

Every wait is bounded (count and time); nothing here asserts a duration.
Use it as

    with Cluster(build_dir, "name") as c:
        c.start_broker()
        mj = c.enroll("MJ", name_fr="Ministère de la Justice")
        a = c.start_agent("MJ")
        c.add_user(a, "alice", "editor", "correct horse")
        url = c.start_web(a)
"""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

SKIP = 77  # ctest SKIP_RETURN_CODE: what the test needs is not installed

WAIT_S = 30.0  # a condition a test waits for must hold within this (ASan is slow)


class Failure(Exception):
    """A check that did not hold; the test prints it and the logs."""


def check(cond, what, *detail):
    """Fails the test with what (and detail) unless cond holds."""
    if not cond:
        raise Failure(what + ("" if not detail else ": " + " ".join(str(d) for d in detail)))


def step(name):
    """Prints the name of a step of a test as it starts (the ctest log
    then says where a failure was)."""
    print("--- " + name, flush=True)


try:  # a live refresh may replace an element between finding and reading it
    from selenium.common.exceptions import StaleElementReferenceException as _Stale
except ImportError:  # the HTTP tests run without selenium
    class _Stale(Exception):
        pass


def wait_for(cond, what, timeout=WAIT_S, interval=0.05):
    """Calls cond until it returns something true, at most timeout seconds;
    returns that value or fails with what (a text, or a function making
    it then)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = cond()
        except (OSError, http.client.HTTPException, ValueError, _Stale) as e:
            last = None
            err = e
        else:
            err = None
        if last:
            return last
        if time.monotonic() >= deadline:
            what = what() if callable(what) else what
            raise Failure("not within %.0f s: %s%s" % (timeout, what, "" if err is None else " (%s)" % err))
        time.sleep(interval)


def free_ports(n):
    """n free loopback ports, at random below the kernel's ephemeral range
    (as tests/harness/lib.sh's free_ports says why: a port a restart must
    bind again may meanwhile be taken by any outgoing connection)."""
    ports = []
    for _ in range(2000):
        if len(ports) == n:
            return ports
        p = random.randint(20000, 32767)
        if p in ports:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            ports.append(p)
        except OSError:
            pass
        finally:
            s.close()
    raise Failure("no %d free loopback ports in 20000-32767" % n)


def sanitized(path):
    """True if the program at path is a sanitizer build (it names
    __asan_init), which runs several times slower."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


class Proc:
    """One process the cluster started: its name, Popen and log file."""

    def __init__(self, name, argv, log, env=None, stdin=None):
        self.name = name
        self.argv = argv
        self.log = log
        with open(log, "ab") as f:
            self.p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=stdin or subprocess.DEVNULL,
                                      env=env, close_fds=True)

    def alive(self):
        return self.p.poll() is None

    def kill(self, sig):
        if self.alive():
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Sends sig and waits; SIGKILL if it has not exited in timeout.
        Returns the exit status."""
        self.kill(sig)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            return self.p.wait(10)


class Agent:
    """An nmirf-agent: its entity, data directory, key file, process."""

    def __init__(self, entity, dir, key):
        self.entity = entity
        self.dir = dir
        self.key = key
        self.proc = None
        self.web = None  # its nmirf-web Proc
        self.url = None  # the console's URL, "http://127.0.0.1:PORT/"


class Cluster:
    """The broker, agents and consoles of one test in one temporary
    directory. build: the CMake build directory."""

    def __init__(self, build, name, fixed_ports=False):
        self.build = os.path.abspath(build)
        self.nmirfd = os.path.join(self.build, "daemon", "nmirfd")
        self.nmirf_bin = os.path.join(self.build, "client", "nmirf")
        self.agent_bin = os.path.join(self.build, "client", "agent", "nmirf-agent")
        self.web_bin = os.path.join(self.build, "client", "web", "nmirf-web")
        for p in (self.nmirfd, self.nmirf_bin, self.agent_bin):
            check(os.access(p, os.X_OK), "not built", p)
        self.slow = sanitized(self.nmirfd) or sanitized(self.web_bin)
        self.name = name
        self.t = tempfile.mkdtemp(prefix="nmirf-web-%s." % name)
        self.data = os.path.join(self.t, "data")
        self.keys = os.path.join(self.t, "keys")
        os.makedirs(self.keys)
        self.procs = []
        self.broker = None
        self.agents = {}
        self.broker_ports = free_ports(2) if fixed_ports else None
        self.req = self.evt = None
        self.coord_key = os.path.join(self.data, "keys", "COORD.key")
        self.server_key = os.path.join(self.data, "keys", "NMIRFD.pub")

    # --- lifetime ---------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        self.close(failed=et is not None)
        return False

    def dump_logs(self):
        seen = set()
        for pr in self.procs:
            if pr.log in seen:
                continue
            seen.add(pr.log)
            sys.stdout.write("\n===== log of %s (%s)\n" % (pr.name, pr.log))
            try:
                with open(pr.log, "rb") as f:
                    sys.stdout.write(f.read().decode("utf-8", "replace"))
            except OSError as e:
                sys.stdout.write("(%s)\n" % e)
        sys.stdout.flush()

    def close(self, failed=False):
        """Stops everything started (consoles, agents, then the broker),
        prints every log if failed, removes the directory unless failed or
        NMIRF_WEB_KEEP is set."""
        for pr in reversed(self.procs):
            if pr.alive():
                pr.stop(signal.SIGTERM, timeout=10)
        if failed:
            self.dump_logs()
        if failed or os.environ.get("NMIRF_WEB_KEEP"):
            print("(the test's directory stays: %s)" % self.t, flush=True)
        else:
            shutil.rmtree(self.t, ignore_errors=True)

    def spawn(self, name, argv, env=None):
        log = os.path.join(self.t, name + ".log")
        pr = Proc(name, argv, log, env=env)
        self.procs.append(pr)
        return pr

    # --- the broker -------------------------------------------------------

    def start_broker(self, extra_env=None):
        """Starts nmirfd on loopback (fixed ports if the cluster was made
        with fixed_ports, so a restart has the same endpoints; else ports
        the kernel picks) and waits for DATA/endpoints."""
        if self.broker_ports:
            r = "tcp://127.0.0.1:%d" % self.broker_ports[0]
            e = "tcp://127.0.0.1:%d" % self.broker_ports[1]
        else:
            r = e = "tcp://127.0.0.1:*"
        env = dict(os.environ)
        env.update(extra_env or {})
        ep = os.path.join(self.data, "endpoints")
        if os.path.exists(ep):
            os.unlink(ep)  # a restart writes it again
        self.broker = self.spawn("nmirfd", [self.nmirfd, "-d", self.data, "-r", r, "-e", e, "-v"], env=env)

        def ready():
            check(self.broker.alive(), "nmirfd exited at start")
            try:
                with open(ep) as f:
                    kv = dict(l.split("=", 1) for l in f.read().splitlines() if "=" in l)
            except OSError:
                return None
            kv = {k.strip(): v.strip() for k, v in kv.items()}
            return kv if kv.get("request") and kv.get("events") else None

        kv = wait_for(ready, "the broker's endpoints file")
        self.req, self.evt = kv["request"], kv["events"]
        wait_for(lambda: os.path.exists(self.coord_key), "the coordinator's key")
        return self.broker

    def stop_broker(self, sig=signal.SIGTERM):
        """Stops the broker; with SIGTERM fails unless it exits 0."""
        rc = self.broker.stop(sig)
        if sig == signal.SIGTERM:
            check(rc == 0, "nmirfd exited %s on SIGTERM" % rc)
        return rc

    def restart_broker(self):
        """Starts the broker again on the same data directory and (fixed)
        ports: the agents reconnect by themselves."""
        check(self.broker_ports is not None, "restart_broker needs Cluster(fixed_ports=True)")
        check(not self.broker.alive(), "the broker still runs")
        return self.start_broker()

    # --- the command line -------------------------------------------------

    def nmirf(self, *args, key=None, agent=None, json_out=False, ok=True, input=None, timeout=60):
        """Runs the nmirf CLI against the broker (with key) or an agent
        (agent: an Agent). Returns the parsed JSON with json_out, else the
        CompletedProcess. ok: fail unless it exits 0."""
        argv = [self.nmirf_bin]
        if agent is not None:
            argv += ["-a", agent.dir]
        else:
            argv += ["-b", self.req, "-e", self.evt, "-S", self.server_key]
            if key:
                argv += ["-k", key]
        if json_out:
            argv.append("--json")
        argv += [str(a) for a in args]
        cp = subprocess.run(argv, input=input, capture_output=True, timeout=timeout)
        if ok and cp.returncode != 0:
            raise Failure("%s exited %d: %s %s" % (" ".join(argv), cp.returncode,
                                                   cp.stdout.decode("utf-8", "replace"),
                                                   cp.stderr.decode("utf-8", "replace")))
        if json_out and cp.returncode == 0:
            return json.loads(cp.stdout.decode("utf-8") or "null")
        return cp

    def coord(self, *args, **kw):
        """nmirf with the coordinator's key."""
        return self.nmirf(*args, key=self.coord_key, **kw)

    def enroll(self, entity, role="ministry", name_fr=None, name_ar=None, name_en=None):
        """keygen + entity enroll; returns the entity's key file."""
        self.nmirf("keygen", entity, "--dir", self.keys)
        args = ["entity", "enroll", os.path.join(self.keys, entity + ".pub"), "--role", role]
        for flag, v in (("--name-fr", name_fr), ("--name-ar", name_ar), ("--name-en", name_en)):
            if v:
                args += [flag, v]
        self.coord(*args)
        return os.path.join(self.keys, entity + ".key")

    def import_recs(self, recs):
        """Imports recommendation objects (a list of dicts) through a JSON
        file, in chunks the CLI makes itself."""
        path = os.path.join(self.t, "import-%d.json" % random.randrange(1 << 30))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(recs, f, ensure_ascii=False)
        self.coord("rec", "import", path)
        os.unlink(path)

    def reports(self, **filters):
        """The broker's reports (`nmirf --json report list`), a list."""
        args = ["report", "list"]
        for k, v in filters.items():
            args += ["--" + k, v]
        r = self.coord(*args, json_out=True)
        if isinstance(r, dict):
            r = r.get("reports", [])
        return r or []

    # --- agents -----------------------------------------------------------

    def start_agent(self, entity, key=None):
        """Starts (or restarts) entity's nmirf-agent (the coordinator's
        with DATA/keys/COORD.key) and waits until its replica knows its own
        entity (the console asks the agent who it is)."""
        a = self.agents.get(entity)
        if a is None:
            if key is None:
                key = self.coord_key if entity == "COORD" else os.path.join(self.keys, entity + ".key")
            a = Agent(entity, os.path.join(self.t, "agent-" + entity), key)
            self.agents[entity] = a
        a.proc = self.spawn("agent-" + entity, [self.agent_bin, "-k", a.key, "-S", self.server_key, "-d", a.dir,
                                                "-b", self.req, "-v"])
        sock = os.path.join(a.dir, "agent.sock")
        wait_for(lambda: check(a.proc.alive(), "nmirf-agent %s exited" % entity) or os.path.exists(sock),
                 "agent %s's control socket" % entity)
        self.wait_agent_synced(a)
        return a

    def agent_status(self, a):
        return self.nmirf("agent-status", agent=a, json_out=True)

    def wait_agent_synced(self, a, seq=None):
        """Waits until agent a is connected and its replica has reached seq
        (default: the broker's latest sequence number now)."""
        if seq is None:
            seq = self.broker_seq()

        def synced():
            st = self.nmirf("agent-status", agent=a, json_out=True, ok=False)
            if not isinstance(st, dict):
                return None
            rep = st.get("replica", st)
            have = rep.get("seq", st.get("seq", 0)) or 0
            return st if have >= seq else None

        return wait_for(synced, "agent %s's replica at seq %d" % (a.entity, seq))

    def broker_seq(self):
        r = self.coord("ping", json_out=True)
        return int(r.get("seq", 0))

    # --- consoles ---------------------------------------------------------

    def web_available(self):
        return os.access(self.web_bin, os.X_OK)

    def add_user(self, a, name, role, password, force=False):
        """`nmirf-web -a DIR user add NAME --role ROLE`, the password on stdin."""
        argv = [self.web_bin, "-a", a.dir, "user", "add", name, "--role", role]
        if force:
            argv.append("--force")
        cp = subprocess.run(argv, input=(password + "\n").encode(), capture_output=True, timeout=60)
        if cp.returncode != 0:
            raise Failure("%s exited %d: %s" % (" ".join(argv), cp.returncode, cp.stderr.decode("utf-8", "replace")))

    def start_web(self, a, extra=()):
        """Starts nmirf-web for agent a on a port the kernel picks and
        returns its URL (from AGENT_DIR/web/endpoint)."""
        check(self.web_available(), "not built", self.web_bin)
        ep = os.path.join(a.dir, "web", "endpoint")
        if os.path.exists(ep):
            os.unlink(ep)
        a.web = self.spawn("web-" + a.entity, [self.web_bin, "-a", a.dir, "--listen", "127.0.0.1:0"] + list(extra))

        def url():
            check(a.web.alive(), "nmirf-web %s exited" % a.entity)
            try:
                with open(ep) as f:
                    u = f.read().strip()
            except OSError:
                return None
            return u if u.startswith("http") else None

        a.url = wait_for(url, "nmirf-web %s's endpoint file" % a.entity)
        if not a.url.endswith("/"):
            a.url += "/"
        return a.url


# --- HTTP -----------------------------------------------------------------


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value (the last one)
        self.header_list = []
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300].decode("utf-8", "replace"))



def cookie_name(port):
    """The session cookie of the console listening on port: one name per
    console, so that consoles on one host keep their sessions apart
    (docs/WEB.md section 3)."""
    return "nmirf_session_%d" % port

class Client:
    """An HTTP client of one console, as one browser tab: it keeps the
    session cookie and the CSRF token from /api/login."""

    def __init__(self, url, timeout=30):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.timeout = timeout
        self.cookie = None  # the session cookie's value
        self.cookie_name = cookie_name(self.port)
        self.csrf = None
        self.session = None  # the login's answer

    def request(self, method, path, body=None, headers=None, csrf=True, raw_body=None, cookie=True):
        """Sends one request. body: an object sent as JSON; raw_body: bytes
        as they are. csrf: send X-CSRF-Token (the session's, or a string).
        Returns a Resp."""
        h = {}
        if cookie and self.cookie:
            h["Cookie"] = self.cookie_name + "=" + self.cookie
        if csrf is True and self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        elif isinstance(csrf, str):
            h["X-CSRF-Token"] = csrf
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            try:
                conn.request(method, path, body=data, headers=h)
            except (BrokenPipeError, ConnectionResetError):
                # A server may answer (413) and close before it has read
                # a body it refuses: its answer is still there to read.
                pass
            r = conn.getresponse()
            body_bytes = r.read()
            resp = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, body_bytes)
            resp.header_list = r.getheaders()
        finally:
            conn.close()
        for k, v in resp.header_list:
            if k.lower() == "set-cookie" and v.startswith(self.cookie_name + "="):
                val = v.split(";", 1)[0].split("=", 1)[1]
                self.cookie = val or None
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def login(self, user, password, lang=None, expect=200):
        body = {"user": user, "password": password}
        if lang:
            body["lang"] = lang
        r = self.post("/api/login", body, csrf=False)
        check(r.status == expect, "login %s: expected %d" % (user, expect), r)
        if r.status == 200:
            self.session = r.json()
            self.csrf = self.session.get("csrf")
            check(self.cookie, "login set no %s cookie" % self.cookie_name, r.header_list)
        return r


def rec_path(rec_id):
    """/api/recs/ID with ID percent-encoded (ids hold '/' and ':')."""
    return "/api/recs/" + urllib.parse.quote(rec_id, safe="")


def sample_recs(n, prefix="T", start=1, texts=None):
    """n recommendation objects as `nmirf rec import` reads them: ids
    PREFIX-1.1 ..., UPR, with French and English texts (no Arabic: the
    pages then fall back to French)."""
    out = []
    for i in range(start, start + n):
        out.append({
            "id": "%s/%d:%d.%d" % (prefix, i // 100, i, i),
            "mechanism": "UPR",
            "text": texts(i) if texts else {
                "fr": "Recommandation de test numéro %d sur la justice." % i,
                "en": "Test recommendation number %d on justice." % i,
            },
            "symbol": "A/HRC/TEST/%d" % (i // 100),
            "cycle": "4",
            "date": "2024-11-%02d" % (1 + i % 28),
            "themes": ["justice"],
        })
    return out


def main(run, need_web=True, need_browser=False):
    """The tests' entry: run(build_dir) with the build directory from
    argv[1] (default: build/ beside tests/). Exits 0, 1 on a failed check
    (printed), or SKIP with a reason when a part is absent."""
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "build")
    if need_web and not os.access(os.path.join(build, "client", "web", "nmirf-web"), os.X_OK):
        print("SKIP: %s/client/web/nmirf-web is not built" % build)
        sys.exit(SKIP)
    if need_browser:
        import importlib.util
        if importlib.util.find_spec("selenium") is None:
            print("SKIP: python3-selenium is not installed (tests/setup.sh installs it)")
            sys.exit(SKIP)
        for p in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
            if not os.access(p, os.X_OK):
                print("SKIP: %s is not installed (tests/setup.sh installs chromium and chromium-driver)" % p)
                sys.exit(SKIP)
    try:
        run(build)
    except Failure as e:
        print("FAIL: %s" % e, flush=True)
        traceback.print_exc()
        sys.exit(1)
    print("PASS", flush=True)


# --- the world most tests start from --------------------------------------

PASSWORD = "correct horse battery"  # every test account's password

# Recommendations every world holds: R_MJ assigned to MJ (lead), R_MS to
# MS, R_FREE to nobody; R_AR has an Arabic text, the others French and
# English only (the Arabic pages fall back to French for them).
R_MJ, R_MS, R_FREE, R_AR = "T/0:1.1", "T/0:2.2", "T/0:3.3", "T/AR:1"


def world(c, consoles=True, extra_recs=0):
    """Starts on cluster c: the broker, ministries MJ and MS enrolled with
    names, the agents of COORD, MJ and MS, the recommendations above
    (plus extra_recs more, T/...), R_MJ and R_AR assigned to MJ, R_MS to
    MS; accounts coord (coordinator, on COORD), alice (editor) and victor
    (viewer) on MJ, sam (editor) on MS; and, with consoles, one nmirf-web
    per agent. Returns the agents by entity."""
    c.start_broker()
    c.enroll("MJ", name_fr="Ministère de la Justice", name_ar="وزارة العدل", name_en="Ministry of Justice")
    c.enroll("MS", name_fr="Ministère de la Santé", name_ar="وزارة الصحة", name_en="Ministry of Health")
    recs = sample_recs(3 + extra_recs)
    recs.append({"id": R_AR, "mechanism": "CAT", "symbol": "CAT/C/TEST/1", "cycle": "1", "date": "2024-05-01",
                 "text": {"fr": "Garantir l'accès à un avocat dès la garde à vue.",
                          "ar": "ضمان الحصول على محام منذ بداية الحراسة النظرية.",
                          "en": "Guarantee access to a lawyer from the start of police custody."},
                 "themes": ["justice"]})
    c.import_recs(recs)
    c.coord("rec", "assign", R_MJ, "--lead", "MJ", "--deadline", "2030-06-30")
    c.coord("rec", "assign", R_AR, "--lead", "MJ", "--contributor", "MS")
    c.coord("rec", "assign", R_MS, "--lead", "MS")
    agents = {e: c.start_agent(e) for e in ("COORD", "MJ", "MS")}
    if consoles:
        c.add_user(agents["COORD"], "coord", "coordinator", PASSWORD)
        c.add_user(agents["MJ"], "alice", "editor", PASSWORD)
        c.add_user(agents["MJ"], "victor", "viewer", PASSWORD)
        c.add_user(agents["MS"], "sam", "editor", PASSWORD)
        for a in agents.values():
            c.start_web(a)
    return agents
