#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/).

Standard library only. Run from anywhere: python3 tests/fuzz/make_seeds.py
It rewrites every seed it makes (deterministically: fixed keys and ids) and
leaves other files in the corpus directories alone. If proto/vectors/
vectors.json exists, its hex cases become seeds too, those of
proto/vectors/control.json seed fuzz_control, and those of
proto/vectors/notify.json seed fuzz_notify.
"""
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
VECTORS = os.path.join(HERE, "..", "..", "proto", "vectors", "vectors.json")
CONTROL_VECTORS = os.path.join(HERE, "..", "..", "proto", "vectors", "control.json")
NOTIFY_VECTORS = os.path.join(HERE, "..", "..", "proto", "vectors", "notify.json")


# -- msgpack, the subset the protocol uses --------------------------------

class Raw(bytes):
    """Bytes spliced in as is (an already packed object)."""


def pack(o):
    if isinstance(o, Raw):
        return bytes(o)
    if o is None:
        return b"\xc0"
    if o is True:
        return b"\xc3"
    if o is False:
        return b"\xc2"
    if isinstance(o, int):
        if 0 <= o < 0x80:
            return bytes([o])
        if -32 <= o < 0:
            return struct.pack("b", o)
        if o >= 0:
            for tag, fmt, lim in ((0xcc, ">B", 1 << 8), (0xcd, ">H", 1 << 16),
                                  (0xce, ">I", 1 << 32), (0xcf, ">Q", 1 << 64)):
                if o < lim:
                    return bytes([tag]) + struct.pack(fmt, o)
        for tag, fmt, lim in ((0xd0, ">b", 1 << 7), (0xd1, ">h", 1 << 15),
                              (0xd2, ">i", 1 << 31), (0xd3, ">q", 1 << 63)):
            if -lim <= o:
                return bytes([tag]) + struct.pack(fmt, o)
    if isinstance(o, float):
        return b"\xcb" + struct.pack(">d", o)
    if isinstance(o, str):
        b = o.encode("utf-8")
        n = len(b)
        if n < 32:
            return bytes([0xa0 | n]) + b
        if n < 1 << 8:
            return b"\xd9" + struct.pack(">B", n) + b
        if n < 1 << 16:
            return b"\xda" + struct.pack(">H", n) + b
        return b"\xdb" + struct.pack(">I", n) + b
    if isinstance(o, (bytes, bytearray)):
        n = len(o)
        if n < 1 << 8:
            return b"\xc4" + struct.pack(">B", n) + bytes(o)
        if n < 1 << 16:
            return b"\xc5" + struct.pack(">H", n) + bytes(o)
        return b"\xc6" + struct.pack(">I", n) + bytes(o)
    if isinstance(o, (list, tuple)):
        n = len(o)
        head = bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack(">H", n)
        return head + b"".join(pack(x) for x in o)
    if isinstance(o, dict):
        n = len(o)
        head = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
        return head + b"".join(pack(k) + pack(v) for k, v in o.items())
    raise TypeError(type(o))


# -- Z85 (ZeroMQ RFC 32) --------------------------------------------------

Z85 = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
       ".-:+=^!/*?&<>()[]{}@%$#")


def z85(data):
    out = []
    for i in range(0, len(data), 4):
        v = struct.unpack(">I", data[i:i + 4])[0]
        chunk = []
        for _ in range(5):
            chunk.append(Z85[v % 85])
            v //= 85
        out.extend(reversed(chunk))
    return "".join(out)


def det(label, n):
    """n deterministic bytes named by label."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


# -- protocol objects -----------------------------------------------------

TS = 1718000000000
OPS = ["entity.enroll", "entity.revoke", "rec.import", "rec.assign", "report.submit",
       "report.validate", "report.return", "ping", "entity.list", "entity.show",
       "rec.list", "rec.show", "report.list", "events.since", "snapshot", "stats",
       "no.such.op", "entity.rotate", "measure.add", "measure.update", "measure.list",
       "measure.show", "status", "subscribe", "rec.withdraw", "rec.merge",
       "entity.update"]  # the order of s_ops in fuzz_dispatch.c
AUTHORS = ["COORD", "MJ", "MS", "OBS", "GONE"]  # ditto, s_ids

REC_FULL = {"id": "UPR-9", "mechanism": "UPR", "symbol": "A/HRC/52/9",
            "paragraph": "120.4", "cycle": "4", "date": "2023-03-01",
            "states": ["FR", "DE"], "text": {"en": "Ratify OPCAT.", "fr": "Ratifier.",
                                             "ar": "\u0627\u0644\u062a\u0635\u062f\u064a\u0642"},
            "response": "supported", "response_text": "Accepted.",
            "themes": ["torture"], "persons": ["detainees"], "sdgs": ["16"]}

# (op, author index, body) for every operation, valid against the world
# fuzz_dispatch builds, plus a few refusals.
BODIES = [
    ("entity.enroll", 0, {"id": "MSANTE", "role": "ministry", "names": {"en": "Health"},
                          "sign_key": det("sk", 32), "curve_key": det("ck", 32)}),
    ("entity.enroll", 0, {"id": "OBS2", "role": "observer",
                          "sign_key": det("sk2", 32), "curve_key": det("ck2", 32)}),
    ("entity.enroll", 0, {"id": "MJ", "role": "ministry", "names": {},
                          "sign_key": det("sk", 32), "curve_key": det("ck", 32)}),
    ("entity.revoke", 0, {"id": "MS"}),
    ("entity.revoke", 0, {"id": "GONE"}),
    ("entity.revoke", 0, {"id": "COORD"}),
    ("rec.import", 0, {"recs": [REC_FULL]}),
    ("rec.import", 0, {"recs": [{"id": "UPR-1", "mechanism": "UPR",
                                 "text": {"en": "Changed text."}}]}),
    ("rec.import", 0, {"recs": [{"id": "CRC/C/2", "mechanism": "CRC",
                                 "response": "supported",
                                 "text": {"fr": "Enregistrer toutes les naissances."}},
                                {"id": "SP:1", "mechanism": "SP", "text": {"en": "x"}}]}),
    ("rec.assign", 0, {"rec": "CAT:3", "lead": "MJ", "contributors": ["MS"],
                       "deadline": "2028-02-29", "note": "Quarterly."}),
    ("rec.assign", 0, {"rec": "UPR-1", "lead": "MS"}),
    ("rec.assign", 0, {"rec": "UPR-1", "lead": "OBS"}),
    ("report.submit", 1, {"rec": "UPR-1", "status": "implemented",
                          "narrative": "Law passed.", "evidence": ["JO 2024-12"],
                          "date": "2024-06-10"}),
    ("report.submit", 2, {"rec": "CRC/C/2", "status": "not_implemented",
                          "narrative": "No budget."}),
    ("report.submit", 1, {"rec": "CAT:3", "status": "in_progress", "narrative": "x"}),
    ("report.validate", 0, {"report": 1}),
    ("report.validate", 0, {"report": 2}),
    ("report.return", 0, {"report": 1, "reason": "Missing evidence."}),
    ("report.return", 0, {"report": 99, "reason": "x"}),
    ("ping", 3, {}),
    ("entity.list", 3, {}),
    ("entity.show", 1, {"id": "MJ"}),
    ("entity.show", 1, {"id": "NOPE"}),
    ("rec.list", 3, {}),
    ("rec.list", 3, {"mechanism": "UPR", "entity": "MJ", "status": "in_progress",
                     "text": "law", "limit": 10}),
    ("rec.list", 1, {"status": "not_started", "limit": 0}),
    ("rec.show", 3, {"id": "UPR-1"}),
    ("rec.show", 3, {"id": "CRC/C/2"}),
    ("report.list", 3, {}),
    ("report.list", 1, {"rec": "UPR-1", "entity": "MJ", "state": "submitted",
                        "limit": 5}),
    ("events.since", 3, {"since": 0}),
    ("events.since", 3, {"since": 5, "limit": 2}),
    ("snapshot", 0, {}),
    ("stats", 2, {}),
    ("no.such.op", 0, {}),
    ("ping", 4, {}),
    ("ping", 0, {"extra": 1}),
    # added with entity.rotate (appended: the seeds' names keep their numbers)
    ("entity.rotate", 0, {"id": "MJ", "sign_key": det("rsk", 32),
                          "curve_key": det("rck", 32)}),
    ("entity.rotate", 0, {"id": "GONE", "sign_key": det("rsk2", 32),
                          "curve_key": det("rck2", 32)}),
    ("entity.rotate", 1, {"id": "MJ", "sign_key": det("rsk3", 32),
                          "curve_key": det("rck3", 32)}),
    # added with measures, indicator values, stats' fields and status
    # (appended likewise). The world has measure 1 (indicator) on UPR-1 and
    # report 4, MJ's, naming it with a value.
    ("measure.add", 0, {"recs": ["UPR-1", "CAT:3"], "title": "Train judges",
                        "description": "Every judge, every region.",
                        "indicator": {"name": "Judges trained", "unit": "people",
                                      "baseline": 0, "target": 500.0,
                                      "schedule": [{"date": "2025-06-30", "value": 250},
                                                   {"date": "2024-12-31",
                                                    "value": 100.5}]}}),
    ("measure.add", 1, {"recs": ["UPR-1"], "title": "Plan"}),
    ("measure.add", 2, {"recs": ["UPR-1"], "title": "Not the lead"}),
    ("measure.add", 0, {"recs": ["UPR-1", "UPR-1"], "title": "Twice"}),
    ("measure.add", 0, {"recs": ["UPR-1"], "title": "NaN",
                        "indicator": {"name": "n", "target": float("nan"),
                                      "schedule": []}}),
    ("measure.add", 0, {"recs": ["UPR-1"], "title": "Too big",
                        "indicator": {"name": "n", "target": 1e16, "schedule": [
                            {"date": "2025-02-30", "value": -1.5}]}}),
    ("measure.update", 0, {"id": 1, "title": "Draft and pass the law",
                           "recs": ["UPR-1", "CRC/C/2"]}),
    ("measure.update", 1, {"id": 1, "indicator": {"name": "Cases", "target": -3,
                                                  "schedule": [
                                                      {"date": "2025-01-01", "value": 1},
                                                      {"date": "2025-01-01", "value": 2}]}}),
    ("measure.update", 0, {"id": 1, "title": "Draft the law"}),
    ("measure.update", 0, {"id": 99, "title": "x"}),
    ("measure.list", 3, {}),
    ("measure.list", 1, {"rec": "UPR-1", "limit": 5}),
    ("measure.show", 3, {"id": 1}),
    ("measure.show", 3, {"id": 0}),
    ("status", 0, {}),
    ("status", 1, {}),
    ("status", 0, {"x": 1}),
    ("stats", 0, {"today": "2030-12-20", "due_soon_days": 30, "limit": 5}),
    ("stats", 2, {"today": "2031-02-29"}),
    ("stats", 0, {"due_soon_days": 100000, "limit": 0}),
    ("report.submit", 1, {"rec": "UPR-1", "status": "in_progress", "narrative": "n",
                          "measure": 1, "indicator_values": [
                              {"date": "2024-07-01", "value": 13.5},
                              {"date": "2024-01-01", "value": -4}]}),
    ("report.submit", 2, {"rec": "CRC/C/2", "status": "in_progress", "narrative": "n",
                          "measure": 1, "indicator_values": []}),
    ("report.validate", 0, {"report": 4}),
    # added with subscribe (appended likewise)
    ("subscribe", 1, {}),
    ("subscribe", 3, {"since": 1}),
    # added with report.submit's by (appended likewise): a name, an empty
    # one, one of 129 bytes, one with a newline and one with a C1 control
    ("report.submit", 1, {"rec": "UPR-1", "status": "in_progress", "narrative": "n",
                          "by": "Fatima Zahra El Idrissi / فاطمة الزهراء"}),
    ("report.submit", 1, {"rec": "UPR-1", "status": "in_progress", "narrative": "n",
                          "by": ""}),
    ("report.submit", 1, {"rec": "UPR-1", "status": "in_progress", "narrative": "n",
                          "by": "x" * 129}),
    ("report.submit", 1, {"rec": "UPR-1", "status": "in_progress", "narrative": "n",
                          "by": "two\nlines"}),
    ("report.submit", 1, {"rec": "UPR-1", "status": "in_progress", "narrative": "n",
                          "by": "csi \u009b"}),
    # added with rec.withdraw, rec.merge, entity.update and rec.list's
    # withdrawn (appended likewise)
    ("rec.withdraw", 0, {"rec": "SP:1", "reason": "Not addressed to the country."}),
    ("rec.withdraw", 0, {"rec": "SP:1", "reason": "Twice."}),
    ("rec.withdraw", 1, {"rec": "UPR-1", "reason": "x"}),
    ("rec.withdraw", 0, {"rec": "UPR-1", "reason": ""}),
    ("rec.merge", 0, {"from": "CAT:3", "into": "UPR-1"}),
    ("rec.merge", 0, {"from": "CRC/C/2", "into": "UPR-1", "reason": "Same paragraph."}),
    ("rec.merge", 0, {"from": "UPR-1", "into": "UPR-1"}),
    ("rec.merge", 0, {"from": "UPR-1", "into": "SP:1"}),
    ("rec.merge", 2, {"from": "CAT:3", "into": "UPR-1"}),
    ("entity.update", 0, {"id": "MJ", "names": {"ar": "\u0648\u0632\u0627\u0631\u0629"},
                          "contact": "dajg@justice.gov.ma"}),
    ("entity.update", 0, {"id": "MS", "names": {"fr": "Sant\u00e9", "en": "Health"}}),
    ("entity.update", 0, {"id": "MJ"}),
    ("entity.update", 0, {"id": "MJ", "contact": "two\nlines"}),
    ("entity.update", 1, {"id": "MJ", "contact": "x@y"}),
    ("rec.list", 3, {"withdrawn": True}),
    ("rec.list", 3, {"withdrawn": 1}),
    # added with the stats filters (appended likewise): every filter, a
    # value out of its set, the wrong type, empty, and over its limit
    # (too_large)
    ("stats", 3, {"mechanism": "UPR", "cycle": "4", "theme": "torture", "entity": "MJ",
                  "position": "supported", "withdrawn": True, "today": "2030-12-20"}),
    ("stats", 0, {"mechanism": "XYZ", "position": "maybe"}),
    ("stats", 0, {"theme": 5, "withdrawn": "yes"}),
    ("stats", 0, {"cycle": "", "entity": None}),
    ("stats", 0, {"cycle": "c" * 513, "entity": "E" * 17}),
    ("stats", 1, {"entity": "MS", "position": "not_applicable", "limit": 0}),
]


def envelope(op, author, body, rid=None):
    return pack({"v": 1, "op": op, "id": rid or det("id/" + op + author, 16),
                 "author": author, "ts": TS, "body": Raw(pack(body))})


def reply(ok, code, message, seq, body, rid=b"r" * 16):
    return pack({"v": 1, "id": rid, "ok": ok, "code": code, "message": message,
                 "seq": seq, "body": body})


def event(seq, kind, subject, entities, data, req=True):
    return pack({"seq": seq, "ts": TS, "kind": kind, "subject": subject,
                 "entities": entities, "author": "COORD" if req else "-",
                 "req": det("req", 16) if req else None,
                 "req_hash": det("rh", 32) if req else None,
                 "prev": det("prev%d" % seq, 32) if seq > 1 else bytes(32),
                 "data": data})


def keyfile(entity, secret, crlf=False, comment=True):
    pk = det("spk/" + entity, 32)
    sk = det("ssk/" + entity, 32) + pk
    lines = []
    if comment:
        lines.append("# nmirf %s key file of entity %s"
                     % ("secret" if secret else "public", entity))
    lines += ["entity = " + entity, "sign-public = " + pk.hex()]
    if secret:
        lines.append("sign-secret = " + sk.hex())
    lines.append("curve-public = " + z85(det("cpk/" + entity, 32)))
    if secret:
        lines.append("curve-secret = " + z85(det("csk/" + entity, 32)))
    nl = "\r\n" if crlf else "\n"
    return (nl.join(lines) + nl).encode()


ENTITY_REC = {"id": "MJ", "role": "ministry", "names": {"en": "Justice"},
              "sign_key": det("s", 32), "curve_key": det("c", 32), "state": "active",
              "enrolled": TS}
ASSIGNMENT = {"rec": "UPR-1", "lead": "MJ", "contributors": ["MS"],
              "deadline": "2030-12-31", "note": "n", "assigned": TS}
REPORT = {"id": 1, "rec": "UPR-1", "entity": "MJ", "status": "in_progress",
          "narrative": "Draft law.", "evidence": ["e"], "date": "2024-06-10",
          "state": "submitted", "submitted": TS}
MEASURE = {"id": 1, "recs": ["UPR-1"], "title": "Draft the law",
           "indicator": {"name": "Cases heard", "unit": "cases", "baseline": 0,
                         "target": 120, "schedule": [{"date": "2025-12-31", "value": 40}]},
           "progress": [], "author": "COORD", "created": TS, "updated": TS}
DEADLINE = {"rec": "UPR-1", "lead": "MJ", "contributors": ["MS"],
            "deadline": "2030-12-31", "assigned": TS, "today": "2030-12-20",
            "days_left": 11, "status": "in_progress"}


def seeds():
    """Yields (harness, name, bytes)."""
    envs = []
    for i, (op, who, body) in enumerate(BODIES):
        envs.append(("%02d-%s" % (i, op), envelope(op, AUTHORS[who], body)))
    for name, env in envs:
        yield "envelope", name, env
        yield "dispatch", "signed-" + name, b"\x01" + bytes([AUTHORS.index(
            json_author(env))]) + env
    yield "envelope", "bad-version", pack({"v": 2, "op": "ping", "id": b"i" * 16,
                                           "author": "MJ", "ts": TS, "body": {}})
    yield "envelope", "unknown-key", pack({"v": 1, "op": "ping", "id": b"i" * 16,
                                           "author": "MJ", "ts": TS, "body": {}, "x": 0})
    yield "envelope", "not-a-map", pack([1, 2, 3])

    for i, (op, who, body) in enumerate(BODIES):
        yield "dispatch", "body-%02d-%s" % (i, op), \
            b"\x02" + bytes([OPS.index(op), who]) + pack(body)
    yield "dispatch", "body-reused-id", b"\x02" + bytes([OPS.index("ping"), 0x80]) + pack({})
    raw = envelope("ping", "COORD", {})
    yield "dispatch", "raw-ping-bad-sig", b"\x00" + struct.pack(">H", len(raw)) + raw + bytes(64)
    raw = envelope("ping", "NOBODY", {})
    yield "dispatch", "raw-unknown-author", b"\x00" + struct.pack(">H", len(raw)) + raw + bytes(64)
    yield "dispatch", "raw-one-frame", bytes([3 * 7]) + b"\x00\x01\x80"
    yield "dispatch", "raw-three-frames", bytes([3 * 6]) + b"\x00\x01\x80" + bytes(64)

    mp = [("nil", None), ("true", True), ("ints", [0, 127, 128, 65535, 1 << 40, -1, -33,
                                                   -200, -40000, -(1 << 40)]),
          ("float", [1.5, -0.0]), ("float32", Raw(b"\xca\x3f\xc0\x00\x00")),
          ("str-utf8", "\u00e9t\u00e9 \u0648\u0632\u0627\u0631\u0629 \U0001F600"),
          ("str8", "x" * 40), ("str16", "y" * 300), ("bin", det("bin", 20)),
          ("bin16", det("bin16", 300)), ("map", {"a": 1, "b": [1, {"c": None}]}),
          ("array16", list(range(20))), ("map16", {str(i): i for i in range(17)}),
          ("deep-32", Raw(b"\x91" * 32 + b"\xc0")), ("deep-33", Raw(b"\x91" * 33 + b"\xc0")),
          ("ext", Raw(b"\xd4\x01\x00")), ("bad-utf8", Raw(b"\xa2\xc3\x28")),
          ("surrogate", Raw(b"\xa3\xed\xa0\x80")), ("trailing", Raw(b"\x01\x02")),
          ("huge-count", Raw(b"\xdd\xff\xff\xff\xff\xc0"))]
    for name, o in mp:
        yield "mp_check", name, pack(o)
    yield "mp_check", "envelope", envs[0][1]

    replies = [("ok-ping", reply(True, "ok", "", 7, {"version": "0.1.0", "seq": 7})),
               ("ok-entity", reply(True, "ok", "", 2, {"entity": ENTITY_REC})),
               ("ok-rec-show", reply(True, "ok", "", 9, {
                   "rec": REC_FULL, "assignment": ASSIGNMENT, "status": "in_progress",
                   "reports": [REPORT]})),
               ("err-no-id", reply(False, "bad_msgpack", "msgpack truncated", 0, None,
                                   rid=None)),
               ("err-forbidden", reply(False, "forbidden", "needs coordinator", 3, None)),
               ("unknown-code", reply(False, "brand_new", "?", 3, None)),
               ("events", reply(True, "ok", "", 2, {"events": [
                   event(1, "entity.enrolled", "COORD", ["COORD"], ENTITY_REC, False)],
                   "last": 2}))]
    for name, r in replies:
        yield "reply", name, r
    events = [("enrolled", event(1, "entity.enrolled", "COORD", ["COORD"], ENTITY_REC,
                                 False)),
              ("revoked", event(2, "entity.revoked", "MJ", ["MJ"], ENTITY_REC)),
              ("rec-added", event(3, "rec.added", "UPR-1", [], REC_FULL)),
              ("rec-updated", event(4, "rec.updated", "UPR-1", [], REC_FULL)),
              ("assignment", event(5, "assignment.set", "UPR-1", ["MJ", "MS"],
                                   dict(ASSIGNMENT, previous=None))),
              ("submitted", event(6, "report.submitted", "1", ["MJ"], REPORT)),
              ("validated", event(7, "report.validated", "1", ["MJ"],
                                  dict(REPORT, state="validated", decided=TS))),
              ("returned", event(8, "report.returned", "1", ["MJ"],
                                 dict(REPORT, state="returned", reason="r", decided=TS))),
              ("measure-added", event(9, "measure.added", "1", ["MJ", "MS"], MEASURE)),
              ("measure-updated", event(10, "measure.updated", "1", ["MJ", "MS"], dict(
                  MEASURE, progress=[{"date": "2024-06-30", "value": 12.5, "report": 4}]))),
              ("due-soon", event(11, "deadline.due_soon", "UPR-1", ["MJ", "MS"], DEADLINE,
                                 False)),
              ("overdue", event(12, "deadline.overdue", "UPR-1", ["MJ", "MS"],
                                dict(DEADLINE, today="2031-01-02", days_left=-2),
                                False))]
    for name, e in events:
        yield "event", name, e
    yield "event", "heartbeat", pack({"seq": 8, "ts": TS})
    yield from replica_seeds()

    yield "keyfile", "secret", keyfile("MJ", True)
    yield "keyfile", "public", keyfile("MJ", False)
    yield "keyfile", "secret-crlf", keyfile("MIN_SANTE-2", True, crlf=True)
    yield "keyfile", "public-bare", keyfile("COORD", False, comment=False)
    yield "keyfile", "mismatch", keyfile("MJ", True).replace(b"sign-public = " +
                                                            det("spk/MJ", 32).hex().encode(),
                                                            b"sign-public = " + b"0" * 64)
    yield "keyfile", "bad-id", keyfile("mj", False)
    yield "keyfile", "unknown-setting", keyfile("MJ", False) + b"colour = blue\n"
    yield "keyfile", "spaces", b"  entity\t=  MJ  \n# c\n\n" + keyfile("MJ", False, comment=False)

    yield from vector_seeds()
    yield from control_seeds()
    yield from notify_seeds()
    yield from fields_seeds()
    yield from report_seeds()


def replica_record(kind, data):
    """One record of a fuzz_replica input: 0 reply, 1 event, 2 heartbeat."""
    return bytes([kind]) + struct.pack(">H", len(data)) + data


def snapshot_reply(seq, entities=(), recs=(), assignments=(), reports=(), status=None,
                   measures=None):
    body = {"seq": seq, "entities": list(entities), "recs": list(recs),
            "assignments": list(assignments), "reports": list(reports),
            "status": status or {}}
    if measures is not None:
        body["measures"] = list(measures)
    return reply(True, "ok", "", seq, body)


def replica_seeds():
    """fuzz_replica inputs: a snapshot then events on the SUB, events.since
    pages, a gap caught up, a resync."""
    rec1 = dict(REC_FULL, id="UPR-1", updated=TS)
    rotated = dict(ENTITY_REC, previous_keys=[{"sign_key": det("old-s", 32),
                                               "curve_key": det("old-c", 32),
                                               "until_seq": 9}])
    chain = [event(1, "entity.enrolled", "MJ", ["MJ"], ENTITY_REC, False),
             event(2, "rec.added", "UPR-1", [], rec1),
             event(3, "assignment.set", "UPR-1", ["MJ", "MS"],
                   dict(ASSIGNMENT, previous=None)),
             event(4, "report.submitted", "1", ["MJ"], REPORT),
             event(5, "report.validated", "1", ["MJ"],
                   dict(REPORT, state="validated", decided=TS)),
             event(6, "rec.updated", "UPR-1", ["MJ", "MS"],
                   dict(rec1, text={"en": "Changed."})),
             event(7, "report.returned", "1", ["MJ"],
                   dict(REPORT, state="returned", reason="r", decided=TS)),
             event(8, "assignment.set", "UPR-1", ["MS", "MJ"],
                   dict(ASSIGNMENT, lead="MS", contributors=[], previous=ASSIGNMENT)),
             event(9, "entity.rotated", "MJ", ["MJ"], rotated),
             event(10, "entity.revoked", "MJ", ["MJ"], dict(rotated, state="revoked"))]
    empty = snapshot_reply(0)
    yield "replica", "snapshot-then-sub", (
        replica_record(0, snapshot_reply(
            2, [ENTITY_REC], [rec1], [], [], {})) +
        b"".join(replica_record(1, e) for e in chain[2:]) +
        replica_record(2, pack({"seq": 10, "ts": TS})))
    yield "replica", "since-pages", (
        replica_record(0, empty) +
        replica_record(0, reply(True, "ok", "", 10, {"events": chain[:5], "last": 10})) +
        replica_record(0, reply(True, "ok", "", 10, {"events": chain[5:], "last": 10})))
    yield "replica", "gap-caught-up", (
        replica_record(0, empty) +
        replica_record(0, reply(True, "ok", "", 0, {"events": [], "last": 0})) +
        replica_record(1, chain[0]) + replica_record(1, chain[2]) +
        replica_record(0, reply(True, "ok", "", 3, {"events": chain[1:3], "last": 3})))
    yield "replica", "bad-event-resync", (
        replica_record(0, empty) +
        replica_record(0, reply(True, "ok", "", 4, {"events": [chain[0], chain[3]],
                                                    "last": 4})) +
        replica_record(0, snapshot_reply(4, [ENTITY_REC], [rec1], [ASSIGNMENT],
                                         [REPORT], {"UPR-1": "in_progress"})) +
        replica_record(0, reply(True, "ok", "", 4, {"events": [], "last": 4})))
    yield "replica", "snapshot-full", replica_record(0, snapshot_reply(
        5, [ENTITY_REC, dict(ENTITY_REC, id="MS")], [rec1, dict(REC_FULL, id="CAT:3")],
        [ASSIGNMENT], [REPORT, dict(REPORT, id=2, state="validated")],
        {"UPR-1": "implemented"}))
    yield "replica", "measures-and-deadlines", (
        replica_record(0, snapshot_reply(3, [ENTITY_REC], [rec1], [ASSIGNMENT], [REPORT],
                                         {}, [MEASURE])) +
        replica_record(0, reply(True, "ok", "", 6, {"events": [
            event(4, "measure.updated", "1", ["MJ"], dict(MEASURE, title="Retitled")),
            event(5, "deadline.due_soon", "UPR-1", ["MJ", "MS"], DEADLINE, False),
            event(6, "measure.added", "2", ["MJ"], dict(MEASURE, id=2, indicator=None))],
            "last": 6})) +
        replica_record(1, event(7, "deadline.overdue", "UPR-1", ["MJ", "MS"],
                                dict(DEADLINE, days_left=-1), False)))
    # withdraw, merge (reports moved by id, an assignment, a status) and
    # entity.update, live on the SUB after a snapshot
    cat3 = dict(REC_FULL, id="CAT:3", updated=TS)
    yield "replica", "withdraw-merge-update", (
        replica_record(0, snapshot_reply(
            3, [ENTITY_REC], [rec1, cat3], [ASSIGNMENT], [REPORT], {"UPR-1": "in_progress"},
            [MEASURE])) +
        replica_record(1, event(4, "rec.withdrawn", "CAT:3", [],
                                dict(cat3, withdrawn={"reason": "dup", "at": TS}))) +
        replica_record(1, event(5, "rec.merged", "UPR-1", ["MJ", "MS"], {
            "rec": dict(rec1, withdrawn={"reason": "merged into CAT:3", "at": TS,
                                         "into": "CAT:3"}),
            "into": cat3,
            "moved": {"reports": 1, "measures": 1, "assignment": True},
            "assignment": dict(ASSIGNMENT, rec="CAT:3"),
            "reports": [1], "status": "in_progress"})) +
        replica_record(1, event(6, "measure.updated", "1", ["MJ", "MS"],
                                dict(MEASURE, recs=["CAT:3"]))) +
        replica_record(1, event(7, "entity.updated", "MJ", ["MJ"],
                                dict(ENTITY_REC, contact="mj@gov.ma"))) +
        replica_record(1, event(8, "rec.merged", "UPR-1", [], {"rec": None})))


def json_author(env):
    """The author of an envelope made by envelope() (to pick the signer)."""
    for a in AUTHORS:
        if pack("author") + pack(a) in env:
            return a
    return "COORD"


VECTOR_MAX = 64 * 1024  # larger cases (the 1 MiB limit ones) would slow fuzzing


def vector_cases(path):
    """The cases of a golden vector file with their bytes, (case, data):
    nothing when the file is absent, a message when it does not parse,
    and a case without readable hex skipped."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        try:
            doc = json.load(f)
        except ValueError as e:
            print("make_seeds: %s: %s (skipped)" % (path, e), file=sys.stderr)
            return
    for case in doc.get("cases", []):
        try:
            yield case, bytes.fromhex(case["hex"])
        except (KeyError, TypeError, ValueError):
            continue


def vector_seeds():
    """The hex cases of proto/vectors/vectors.json, when it exists: every
    case seeds mp_check and the harness its kind names; requests also seed
    fuzz_dispatch (as raw frames with their signature, as envelopes the
    harness signs, and by their body)."""
    for case, data in vector_cases(VECTORS):
        if len(data) > VECTOR_MAX:
            continue
        name = "vector-" + str(case.get("name", "case"))
        kind = case.get("kind", "")
        yield "mp_check", name, data
        if kind in ("request", "envelope", "invalid-envelope"):
            yield "envelope", name, data
        if kind in ("reply", "event"):
            yield kind, name, data
        if kind != "request":
            continue
        fields = case.get("fields", {})
        who = AUTHORS.index(fields["author"]) if fields.get("author") in AUTHORS else 0
        yield "dispatch", name + "-signed", b"\x01" + bytes([who]) + data
        try:
            sig = bytes.fromhex(case.get("signature", ""))
            yield "dispatch", name + "-raw", \
                b"\x00" + struct.pack(">H", len(data)) + data + sig
            if fields.get("op") in OPS:
                yield "dispatch", name + "-body", b"\x02" + bytes(
                    [OPS.index(fields["op"]), who]) + bytes.fromhex(fields["body_hex"])
        except (KeyError, TypeError, ValueError):
            pass


def control_seeds():
    """The cases of proto/vectors/control.json for fuzz_control: a request
    (valid or not) after a 00 byte (the request decoder), a reply after a
    01 byte (the reply decoder and every reply body decoder)."""
    for case, data in vector_cases(CONTROL_VECTORS):
        mode = b"\x01" if case.get("kind") == "control-reply" else b"\x00"
        yield "control", str(case.get("name", "case")), mode + data


def notify_seeds():
    """The cases of proto/vectors/notify.json for fuzz_notify: each text
    (a notification, or one the decoder must refuse) as is."""
    for case, data in vector_cases(NOTIFY_VECTORS):
        yield "notify", str(case.get("name", "case")), data


def fields_seeds():
    """The bodies of BODIES for fuzz_fields, which checks any msgpack
    value against every field table of the schema."""
    for i, (op, _who, body) in enumerate(BODIES):
        yield "fields", "%02d-%s" % (i, op), pack(body)
    # Found by fuzz_fields: an empty key (msgpack-c gives it no bytes).
    yield "fields", "empty-key", pack({"": 1})


def report_seeds():
    """fuzz_report inputs: an option byte (bits 0-1 the grouping, 2
    --since, 3 --limit 2, 4-5 the language, 6 --fallback ar) and a
    snapshot body: recommendations over mechanisms, cycles and themes, an
    assignment, validated, returned and submitted reports, a measure with
    an indicator and progress."""
    recs = [dict(REC_FULL, id="UPR-1", updated=TS),
            {"id": "CAT-2", "mechanism": "CAT", "symbol": "CAT/C/MAR/CO/5", "paragraph": "12",
             "text": {"ar": "نص", "en": "Text\twith a tab"}, "response": "not_applicable",
             "themes": ["Torture and other CID treatment", "Women's rights"], "updated": TS},
            {"id": "SP-3", "mechanism": "SP", "text": {}, "response": "not_applicable",
             "updated": TS}]
    entities = [dict(ENTITY_REC, names={"fr": "Justice", "ar": "العدل"}),
                dict(ENTITY_REC, id="MS", names={"fr": "Santé"})]
    reports = [dict(REPORT, state="validated", decided=TS, by="Fatima <b>"),
               dict(REPORT, id=2, date="2025-03-01", state="validated", decided=TS,
                    narrative="ligne\nsuivante & <x>", measure=1,
                    indicator_values=[{"date": "2025-03-01", "value": 12.5}]),
               dict(REPORT, id=3, state="returned", reason="r", decided=TS),
               dict(REPORT, id=4, rec="CAT-2", state="submitted")]
    measure = dict(MEASURE, progress=[{"date": "2024-01-01", "value": 3, "report": 1},
                                      {"date": "2025-03-01", "value": 12.5, "report": 2}])
    body = {"seq": 12, "entities": entities, "recs": recs, "assignments": [ASSIGNMENT],
            "reports": reports, "status": {"UPR-1": "in_progress"}, "measures": [measure]}
    for opt, name in [(0x00, "by-mechanism-fr"), (0x11, "by-cycle-ar"),
                      (0x26, "by-theme-en-since"), (0x4b, "by-entity-fr-limit-fallback")]:
        yield "report", name, bytes([opt]) + pack(body)
    yield "report", "empty", b"\x00" + pack({"seq": 0, "entities": [], "recs": [],
                                             "assignments": [], "reports": [], "status": {},
                                             "measures": []})
    yield "report", "no-status", b"\x00" + pack({"recs": []})


def main():
    count = {}
    for harness, name, data in seeds():
        d = os.path.join(CORPUS, harness)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        count[harness] = count.get(harness, 0) + 1
    for h in sorted(count):
        print("%-10s %3d seeds" % (h, count[h]))


if __name__ == "__main__":
    main()
