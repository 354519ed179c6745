#!/usr/bin/env python3
"""web_bench.py - the console's figures (docs/PERFORMANCE.md, "The web
console"), against real nmirfd, nmirf-agent and nmirf-web processes on
loopback (tests/web/harness.py) and headless Chromium. It prints figures
and asserts no time.

    web_bench.py BUILD_DIR [--mode latency|load|rss|all] [options]

latency  A ministry's "My recommendations" open in Chromium; the
         coordinator runs `nmirf rec assign REC --lead MJ` --assigns times
         (default 200), one after another, each waiting for its row. A
         MutationObserver in the page stamps Date.now() when each row
         (data-rec) first appears; the time is counted from the assign
         command's start and from its return (the broker acknowledged the
         write) to that stamp. p50, p99, max.
load     --recs recommendations (default 10,000) imported with `nmirf rec
         import` (chunks of 5,000), --mine of them (default 300) assigned to
         MJ; the time from navigation start (performance.now() is 0 there)
         to the table rendered (all --mine rows for #/mine; the first page
         of rows and its total for #/recs), --loads times each (default 5):
         median and max.
rss      --streams SSE streams (default 100, each its own login session)
         open on MJ's console, reading; the coordinator makes --changes
         assignments (default 200) to MJ; nmirf-web's VmRSS and VmHWM
         (/proc/PID/status) before the streams, with them idle, after the
         changes; the events each stream received.

The last line is `WEB_BENCH {json}` with every figure.
"""

import argparse
import json
import os
import select
import socket
import statistics
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "web"))
import hooks  # noqa: E402
from harness import PASSWORD, cookie_name, Client, Cluster, check, sample_recs, step, wait_for  # noqa: E402


def pct(xs, p):
    """The p-th percentile (nearest rank) of xs."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def proc_mem(pid):
    """VmRSS and VmHWM of pid in KiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


def ministry(c, recs):
    """A broker with MJ enrolled and recs imported; agents COORD and MJ;
    alice (editor) on MJ's console. Returns MJ's agent."""
    c.start_broker()
    c.enroll("MJ", name_fr="Ministère de la Justice", name_ar="وزارة العدل")
    if recs:
        c.import_recs(recs)
    mj = c.start_agent("MJ")
    c.add_user(mj, "alice", "editor", PASSWORD)
    c.start_web(mj)
    return mj


def open_browser(mj, extra=()):
    sys.path.insert(0, os.path.join(HERE, "..", "web"))
    from browser_test import Page, browser
    d = browser("fr-FR", extra)
    p = Page(d, mj.url, "/tmp")
    p.login("alice", PASSWORD)
    return d, p


OBSERVER = """
window.__seen = {};
const mark = (n) => {
  if (n.nodeType !== 1) return;
  const rows = n.matches && n.matches(arguments[0]) ? [n] : n.querySelectorAll ? n.querySelectorAll(arguments[0]) : [];
  for (const r of rows) {
    const k = r.getAttribute('data-rec');
    if (k && !(k in window.__seen)) window.__seen[k] = Date.now();
  }
};
new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) mark(n); })
  .observe(document.body, {childList: true, subtree: true});
mark(document.body);
"""


def bench_latency(build, n):
    with Cluster(build, "bench-latency") as c:
        step("latency: %d assignments, each to its row on MJ's open page" % n)
        recs = sample_recs(n, prefix="L")
        mj = ministry(c, recs)
        d, p = open_browser(mj)
        try:
            p.go(hooks.MINE)
            p.js(OBSERVER, hooks.SEL["mine_row"])
            p.mark()
            from_start, from_return = [], []
            for i, r in enumerate(recs):
                t0 = time.time() * 1000.0
                c.coord("rec", "assign", r["id"], "--lead", "MJ")
                t1 = time.time() * 1000.0
                seen = wait_for(lambda: p.js("return window.__seen[arguments[0]];", r["id"]),
                                "row %s on the page" % r["id"], timeout=30, interval=0.01)
                from_start.append(seen - t0)
                from_return.append(seen - t1)
                if (i + 1) % 50 == 0:
                    print("    %d/%d" % (i + 1, n), flush=True)
            p.not_reloaded()
        finally:
            d.quit()
    return {"assigns": n,
            "from_return_ms": {"p50": pct(from_return, 50), "p99": pct(from_return, 99), "max": max(from_return)},
            "from_start_ms": {"p50": pct(from_start, 50), "p99": pct(from_start, 99), "max": max(from_start)}}


TIMED = """
const [sel, n, extra, done] = arguments;
// Where the time went: the document's first byte, then each request
// [start, duration, path] in the order they started (a long gap between
// requests is the page's own work or waiting).
const slowest = () => {
  const nav = performance.getEntriesByType('navigation')[0];
  return [['document', Math.round(nav ? nav.responseStart : -1)]].concat(
    performance.getEntriesByType('resource')
      .map((e) => [Math.round(e.startTime), Math.round(e.duration), e.name.replace(location.origin, '')]));
};
const t = () => {
  if (document.querySelectorAll(sel).length >= n && (!extra || document.querySelector(extra)))
    done([performance.now(), slowest()]);
  else if (performance.now() > 120000) done([-1, slowest()]);
  else setTimeout(t, 2);
};
t();
"""


def bench_load(build, nrecs, nmine, loads):
    with Cluster(build, "bench-load") as c:
        step("load: %d recommendations, %d assigned to MJ" % (nrecs, nmine))
        recs = sample_recs(nrecs, prefix="P")
        t = time.monotonic()
        mj = ministry(c, recs)
        print("    imported in %.1f s" % (time.monotonic() - t), flush=True)
        t = time.monotonic()
        for r in recs[:nmine]:
            c.coord("rec", "assign", r["id"], "--lead", "MJ", "--deadline", "2030-01-31")
        c.wait_agent_synced(mj)
        print("    assigned in %.1f s" % (time.monotonic() - t), flush=True)
        # Each load is a navigation from about:blank. Chromium's
        # back-forward cache would keep each page left, with its open
        # event stream, and the sixth load would wait for a connection to
        # the host (HTTP/1.1 allows 6): docs/PERFORMANCE.md says so. The
        # figure is a first load: the cache is off.
        d, p = open_browser(mj, ("--disable-features=BackForwardCache",))
        out = {"recs": nrecs, "mine": nmine}
        try:
            for route, rows, extra, key in ((hooks.MINE, nmine, None, "mine_ms"),
                                            (hooks.RECS, 1, hooks.SEL["recs_table"], "recs_ms")):
                times = []
                for _ in range(loads):
                    d.get("about:blank")  # so the next get is a whole navigation, not a hash change
                    d.get(mj.url + route)
                    ms, slow = d.execute_async_script(TIMED, hooks.SEL["mine_row" if route == hooks.MINE
                                                                      else "rec_row"], rows, extra)
                    check(ms >= 0, "%s rendered within 120 s" % route, slow)
                    times.append(ms)
                    print("    %s %.0f ms; [start, ms, request]: %s" % (route, ms, slow), flush=True)
                out[key] = {"median": statistics.median(times), "max": max(times), "runs": times}
        finally:
            d.quit()
    return out


def bench_rss(build, nstreams, nchanges):
    with Cluster(build, "bench-rss") as c:
        step("rss: %d event streams on MJ's console, %d changes by the coordinator" % (nstreams, nchanges))
        recs = sample_recs(nchanges, prefix="S")
        mj = ministry(c, recs)
        pid = mj.web.p.pid
        u = urllib.parse.urlsplit(mj.url)
        before = proc_mem(pid)
        cookies = []
        for _ in range(nstreams):
            cl = Client(mj.url)
            cl.login("alice", PASSWORD)
            cookies.append(cl.cookie)
        socks = []
        for ck in cookies:
            s = socket.create_connection((u.hostname, u.port), timeout=10)
            s.sendall(("GET /api/events HTTP/1.1\r\nHost: %s:%d\r\nCookie: %s=%s\r\n"
                       "Accept: text/event-stream\r\n\r\n" % (u.hostname, u.port, cookie_name(u.port), ck)).encode())
            s.setblocking(False)
            socks.append(s)
        counts = {s: 0 for s in socks}
        bufs = {s: b"" for s in socks}

        def pump(seconds):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                r, _, _ = select.select(socks, [], [], 0.05)
                for s in r:
                    try:
                        chunk = s.recv(65536)
                    except BlockingIOError:
                        continue
                    # A marker may straddle two reads: count it in the
                    # previous read's tail (shorter than a marker) and this one.
                    text = bufs[s] + chunk
                    counts[s] += text.count(b"event: applied")
                    bufs[s] = text[-(len(b"event: applied") - 1):]

        pump(2.0)
        idle = proc_mem(pid)
        t = time.monotonic()
        for i, r in enumerate(recs):
            c.coord("rec", "assign", r["id"], "--lead", "MJ")
            pump(0.0)
        changes_s = time.monotonic() - t
        wait_for(lambda: pump(0.2) or min(counts.values()) >= nchanges,
                 lambda: "every stream had its %d events (min %d, max %d)" %
                 (nchanges, min(counts.values()), max(counts.values())),
                 timeout=60)
        after = proc_mem(pid)
        for s in socks:
            s.close()
    return {"streams": nstreams, "changes": nchanges, "changes_s": changes_s,
            "events_per_stream": {"min": min(counts.values()), "max": max(counts.values())},
            "kib": {"before": before, "idle": idle, "after": after}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("--mode", default="all", choices=("latency", "load", "rss", "all"))
    ap.add_argument("--assigns", type=int, default=200)
    ap.add_argument("--recs", type=int, default=10000)
    ap.add_argument("--mine", type=int, default=300)
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--streams", type=int, default=100)
    ap.add_argument("--changes", type=int, default=200)
    a = ap.parse_args()
    res = {}
    if a.mode in ("latency", "all"):
        res["latency"] = bench_latency(a.build, a.assigns)
    if a.mode in ("load", "all"):
        res["load"] = bench_load(a.build, a.recs, a.mine, a.loads)
    if a.mode in ("rss", "all"):
        res["rss"] = bench_rss(a.build, a.streams, a.changes)

    print("\n%-64s %s" % ("figure", "value"))
    if "latency" in res:
        L = res["latency"]
        for k, what in (("from_return_ms", "return of `rec assign`"), ("from_start_ms", "start of `rec assign`")):
            print("%-64s p50 %.0f ms, p99 %.0f ms, max %.0f ms" % (
                "assign -> row on the page (%d), from the %s" % (L["assigns"], what), L[k]["p50"], L[k]["p99"],
                L[k]["max"]))
    if "load" in res:
        L = res["load"]
        print("%-64s median %.0f ms, max %.0f ms" % ("#/mine, %d rows (%d recs in the replica)" % (L["mine"], L["recs"]),
                                                     L["mine_ms"]["median"], L["mine_ms"]["max"]))
        print("%-64s median %.0f ms, max %.0f ms" % ("#/recs, first page (%d recs)" % L["recs"],
                                                     L["recs_ms"]["median"], L["recs_ms"]["max"]))
    if "rss" in res:
        R = res["rss"]
        k = R["kib"]
        print("%-64s %.1f / %.1f / %.1f MiB (threads %s / %s / %s)" % (
            "nmirf-web VmRSS: before / %d streams idle / after" % R["streams"], k["before"]["VmRSS"] / 1024.0,
            k["idle"]["VmRSS"] / 1024.0, k["after"]["VmRSS"] / 1024.0, k["before"].get("Threads"),
            k["idle"].get("Threads"), k["after"].get("Threads")))
        print("%-64s %.1f MiB" % ("nmirf-web VmHWM after %d changes" % R["changes"], k["after"]["VmHWM"] / 1024.0))
        print("%-64s min %d, max %d" % ("applied events per stream", R["events_per_stream"]["min"],
                                        R["events_per_stream"]["max"]))
    print("WEB_BENCH " + json.dumps(res, sort_keys=True))


if __name__ == "__main__":
    main()
