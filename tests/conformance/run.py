#!/usr/bin/python3
"""run.py - an independent implementation of the SPEC 1.1 receiver, written
from SPEC.md alone, that runs every case of cases.txt and compares outcomes.

It shares no code with blfed's C library: its own msgpack subset walk and
decoder (SPEC 3.1), its own field rules in SPEC's order (3.3), PyNaCl
(libsodium) for Ed25519, and ed25519_ref.py, a plain model of the SPEC 3.2
rules: every signature check asks both and counts a disagreement as a
failure, so the suite also shows that SPEC 3.2 describes libsodium exactly.
The receiver state model is the one tests/conformance/README.md describes.

Usage: run.py [cases.txt]    exit 0 when every case passes.
"""
import hashlib
import os
import sys

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

import ed25519_ref

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = {"delta": 1, "heads": 2, "catchup-request": 3, "catchup-response": 4,
         "snapshot": 5, "rollover": 6, "revocation": 7, "snapshot-request": 8}
NAMES = {v: k for k, v in TYPES.items()}
MAX_MSG, MAX_DELTA = 16 << 20, 4 << 20
MAX_OPS, MAX_REF, MAX_HEADS, MAX_ASK, MAX_ITEMS = 10000, 255, 4096, 1024, 1024
MAX_CHUNKS, MAX_TTL, MAX_OVERLAP, SKEW = 65536, 400 * 86400, 90 * 86400, 600
EPOCH_STEP = 16  # SPEC 5.3
U32, U64 = 2 ** 32 - 1, 2 ** 64 - 1
TIME = U32  # SPEC 3.1 rule 5: a time is at most 2^32-1
# SPEC 9: depth and object bound of each structure
DEPTH = {"envelope": 1, 1: 3, 2: 3, 3: 1, 4: 2, 5: 3, 6: 1, 7: 1}
OBJECTS = {"envelope": 16, 1: 16 + 6 * MAX_OPS, 2: 4 + 5 * MAX_HEADS, 3: 16,
           4: 8 + MAX_ITEMS, 5: 16 + 6 * MAX_OPS, 6: 16, 7: 16}
disagreements = []


class Refused(Exception):
    """A rejection, carrying its SPEC 3.6 outcome name."""

    def __init__(self, outcome):
        Exception.__init__(self, outcome)
        self.outcome = outcome


class Str(bytes):
    """A msgpack str (kept apart from bin)."""


# ---- SPEC 3.1: the walk, then decoding -----------------------------------

FORMATS = {  # first byte: (header width, least value in shortest form, kind)
    0xCC: (1, 0x80, "uint"), 0xCD: (2, 0x100, "uint"), 0xCE: (4, 0x10000, "uint"),
    0xCF: (8, 0x100000000, "uint"),
    0xC4: (1, 0, "bin"), 0xC5: (2, 0x100, "bin"), 0xC6: (4, 0x10000, "bin"),
    0xD9: (1, 32, "str"), 0xDA: (2, 0x100, "str"), 0xDB: (4, 0x10000, "str"),
    0xDC: (2, 16, "array"), 0xDD: (4, 0x10000, "array"),
}


def walk(buf, max_depth, max_objects):
    """SPEC 3.1 rule 4: one pass in byte order, first fault decides."""
    left, pos, objects, n_len = [1], 0, 0, len(buf)
    while True:
        while left[-1] == 0:
            if len(left) == 1:
                if pos != n_len:
                    raise Refused("malformed")  # trailing bytes
                return
            left.pop()
        left[-1] -= 1
        if pos >= n_len:
            raise Refused("malformed")
        objects += 1
        if objects > max_objects:
            raise Refused("limit")
        b = buf[pos]
        if b <= 0x7F or b in (0xC2, 0xC3):
            pos += 1
            continue
        if 0x90 <= b <= 0x9F:
            kind, n, hdr = "array", b & 0x0F, 1
        elif 0xA0 <= b <= 0xBF:
            kind, n, hdr = "str", b & 0x1F, 1
        elif b in FORMATS:
            w, least, kind = FORMATS[b]
            if n_len - pos - 1 < w:
                raise Refused("malformed")
            n = int.from_bytes(buf[pos + 1:pos + 1 + w], "big")
            hdr = 1 + w
            if n < least:
                raise Refused("noncanonical")
            if kind == "uint":
                pos += hdr
                continue
        else:
            raise Refused("malformed")  # nil, map, ext, float, int, 0xc1
        pos += hdr
        if n > n_len - pos:
            raise Refused("malformed")
        if kind != "array":
            pos += n
            continue
        if len(left) > max_depth:  # the array is at depth len(left)
            raise Refused("depth")
        if n:
            left.append(n)


def decode(buf, pos=0):
    """Decode bytes that passed walk(): (value, next position)."""
    b = buf[pos]
    if b <= 0x7F:
        return b, pos + 1
    if b in (0xC2, 0xC3):
        return b == 0xC3, pos + 1
    if 0x90 <= b <= 0x9F:
        kind, n, pos = "array", b & 0x0F, pos + 1
    elif 0xA0 <= b <= 0xBF:
        kind, n, pos = "str", b & 0x1F, pos + 1
    else:
        w, _, kind = FORMATS[b]
        n = int.from_bytes(buf[pos + 1:pos + 1 + w], "big")
        pos += 1 + w
        if kind == "uint":
            return n, pos
    if kind == "array":
        out = []
        for _ in range(n):
            v, pos = decode(buf, pos)
            out.append(v)
        return out, pos
    data = bytes(buf[pos:pos + n])
    return (Str(data) if kind == "str" else data), pos + n


def parse(buf, what):
    walk(buf, DEPTH[what], OBJECTS[what])
    return decode(buf)[0]


# ---- field rules (SPEC 3.1 rule 5-7, in the order of SPEC 3.3) ------------

def array(o, n=None):
    if not isinstance(o, list):
        raise Refused("field-type")
    if n is not None and len(o) != n:
        raise Refused("field-count")
    return o


def uint(o, lo=0, hi=U64):
    if isinstance(o, bool) or not isinstance(o, int):
        raise Refused("field-type")
    if not lo <= o <= hi:
        raise Refused("range")
    return o


def binary(o, size=None):
    if not isinstance(o, bytes) or isinstance(o, Str):
        raise Refused("field-type")
    if size is not None and len(o) != size:
        raise Refused("field-size")
    return o


def boolean(o):
    if not isinstance(o, bool):
        raise Refused("field-type")
    return o


def count(o, most):
    array(o)
    if len(o) > most:
        raise Refused("limit")
    return o


def text(o, most):
    if not isinstance(o, Str):
        raise Refused("field-type")
    if len(o) > most:
        raise Refused("too-big")
    try:
        s = o.decode("utf-8", errors="strict")  # RFC 3629: no overlongs, surrogates
    except UnicodeDecodeError:
        raise Refused("bad-text")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in s):
        raise Refused("bad-text")
    return o


def prefix(o):
    binary(o)
    if len(o) not in (5, 17):
        raise Refused("field-size")
    bits, length = (32, o[4]) if len(o) == 5 else (128, o[16])
    if length > bits:
        raise Refused("bad-prefix")
    addr = int.from_bytes(o[:-1], "big")
    if addr & ((1 << (bits - length)) - 1):
        raise Refused("bad-prefix")
    if bits == 128 and length >= 96 and o[:12] == bytes(10) + b"\xff\xff":
        raise Refused("bad-prefix")
    return o


def operation(o, created, withdraw):
    array(o)
    if not o:
        raise Refused("field-count")
    t = uint(o[0])
    # 1.2: types 5-8 are disputes (SPEC 5.6); 2, 4 and 8 are withdrawals
    if t not in (1, 2, 3, 4, 5, 6, 7, 8) or (not withdraw and t in (2, 4, 8)):
        raise Refused("unknown-operation")
    array(o, {1: 5, 2: 2, 3: 3, 4: 2, 5: 5, 6: 5, 7: 5, 8: 2}[t])
    prefix(o[1])
    if t == 1:
        uint(o[2], 1, 65535)
        expires = uint(o[3], 0, TIME)
        text(o[4], MAX_REF)
        if expires <= created or expires - created > MAX_TTL:
            raise Refused("expiry")
    elif t == 3:
        text(o[2], MAX_REF)
    elif t == 5:
        binary(o[2])
        if len(o[2]) not in (0, 16):
            raise Refused("field-size")
        uint(o[3], 1, 65535)
        text(o[4], MAX_REF)
    elif t in (6, 7):
        binary(o[2], 16)
        uint(o[3], 1, 65535)
        text(o[4], MAX_REF)
    return o[1]


def op_key(op):
    """The duplicate rule's key (SPEC 5.1): three classes."""
    if op[0] in (6, 7):
        return (2, op[2])
    return (1 if op[0] in (5, 8) else 0, op[1])


def operations(ops, created, withdraw):
    seen = set()
    for op in ops:
        operation(op, created, withdraw)
    for op in ops:
        k = op_key(op)
        if k in seen:
            raise Refused("duplicate-entry")
        seen.add(k)


def body_delta(b):
    f = array(parse(b, 1), 6)
    binary(f[0], 16), uint(f[1], 1, U32), uint(f[2], 1, U64 - 1), binary(f[3], 32)
    uint(f[4], 0, TIME), count(f[5], MAX_OPS)
    if (f[2] == 1) != (f[3] == bytes(32)):
        raise Refused("bad-prev")
    operations(f[5], f[4], True)
    return dict(origin=f[0], epoch=f[1], seq=f[2], prev=f[3], created=f[4])


def body_heads(b):
    f = array(parse(b, 2), 2)
    uint(f[0], 0, TIME), count(f[1], MAX_HEADS)
    for h in f[1]:
        array(h, 4)
        binary(h[0], 16), uint(h[1], 1, U32), uint(h[2], 1, U64 - 1), binary(h[3], 32)
    if len({h[0] for h in f[1]}) != len(f[1]):
        raise Refused("duplicate-entry")


def body_request(b):
    f = array(parse(b, 3), 4)
    binary(f[0], 16), uint(f[1], 1, U32), uint(f[2], 0, U64 - 2), uint(f[3], 1, MAX_ASK)


def body_snapshot_request(b):
    f = array(parse(b, 3), 4)
    binary(f[0], 16), uint(f[1], 1, U32)
    seq, chunk = uint(f[2], 0, U64 - 1), uint(f[3], 0, MAX_CHUNKS - 1)
    if seq == 0 and chunk != 0:
        raise Refused("range")


def envelope(buf, expected=None):
    """SPEC 3.3 steps 1-5: (type, signer, body, sig)."""
    limit = MAX_DELTA if expected == 1 else MAX_MSG
    if len(buf) > limit:
        raise Refused("too-big")
    f = parse(buf, "envelope")
    array(f)
    if not f:
        raise Refused("field-count")
    if uint(f[0]) != 1:
        raise Refused("unsupported-version")
    array(f, 5)
    t = uint(f[1], 0, 255)
    binary(f[2], 16), binary(f[3]), binary(f[4], 64)
    if t not in NAMES:
        raise Refused("unknown-type")
    if expected is not None and t != expected:
        raise Refused("unexpected-type")
    return t, f[2], f[3], f[4]


def body_response(b):
    f = array(parse(b, 4), 6)
    binary(f[0], 16), uint(f[1], 1, U32), uint(f[2], 0, U64 - 2), uint(f[3], 0, 2)
    boolean(f[4]), count(f[5], MAX_ITEMS)
    if f[3] != 0 and (f[5] or f[4]):
        raise Refused("range")
    for item in f[5]:
        binary(item)
        if len(item) > MAX_DELTA:
            raise Refused("too-big")
        try:
            envelope(item, 1)
        except Refused:
            raise Refused("bad-item")
    return dict(origin=f[0], epoch=f[1], after_seq=f[2], items=f[5])


def body_snapshot(b):
    f = array(parse(b, 5), 8)
    binary(f[0], 16), uint(f[1], 1, U32), uint(f[2], 1, U64 - 1), binary(f[3], 32)
    uint(f[4], 0, TIME), uint(f[5], 0, U32), uint(f[6], 1, MAX_CHUNKS), count(f[7], MAX_OPS)
    if f[5] >= f[6]:
        raise Refused("range")
    operations(f[7], f[4], False)
    return dict(origin=f[0], epoch=f[1], seq=f[2], head=f[3], created=f[4], chunk=f[5],
                nchunks=f[6], prefixes=[op_key(op) for op in f[7]])


def body_rollover(b):
    f = array(parse(b, 6), 6)
    binary(f[0], 16), binary(f[1], 32), binary(f[2], 32), uint(f[3], 0, TIME)
    uint(f[4], 0, TIME)
    binary(f[5], 64)
    if f[1] == f[2] or f[4] < f[3] or f[4] - f[3] > MAX_OVERLAP:
        raise Refused("range")
    return dict(origin=f[0], old=f[1], new=f[2], created=f[3], until=f[4], counter=f[5])


def body_revocation(b):
    f = array(parse(b, 7), 4)
    binary(f[0], 16), binary(f[1], 32), uint(f[2], 0, TIME), uint(f[3], 0, 3)
    return dict(origin=f[0], revoked=f[1], created=f[2])


BODIES = {8: body_snapshot_request, 1: body_delta, 2: body_heads, 3: body_request, 4: body_response, 5: body_snapshot,
          6: body_rollover, 7: body_revocation}


# ---- SPEC 3.2 and the receiver model ----------------------------------------

def keyid(pk):
    return hashlib.blake2b(b"BLFED-KEYID\x00" + pk, digest_size=16).digest()


def sig_ok(sig, msg, pk):
    try:
        VerifyKey(pk).verify(msg, sig)
        nacl = True
    except (BadSignatureError, ValueError):
        nacl = False
    ref = ed25519_ref.verify(sig, msg, pk)
    if nacl != ref:
        disagreements.append((sig.hex(), pk.hex(), nacl, ref))
    return nacl


class Receiver:
    def __init__(self, now):
        self.now = now
        self.keys = {}     # key id -> dict(pk, origin, state, until)
        self.logs = {}     # origin -> dict(epoch, seq, head, hashes: seq -> hash, frozen)

    def log(self, origin):
        return self.logs.setdefault(origin, dict(epoch=0, seq=0, head=None, hashes={},
                                                 frozen=False))

    def lookup(self, signer, any_state=False):
        k = self.keys.get(signer)
        if k is None:
            raise Refused("unknown-key")
        if not any_state:
            if k["state"] == "revoked":
                raise Refused("revoked-key")
            if k["state"] == "old" and self.now >= k["until"]:
                raise Refused("expired-key")
        return k

    def open(self, buf, t, any_state=False):
        """SPEC 3.3 in full: (signer id, message hash, decoded body)."""
        mtype, signer, body, sig = envelope(buf, t)
        k = self.lookup(signer, any_state)
        inp = b"BLFED-SIG\x00" + bytes([1, mtype]) + signer + body
        if not sig_ok(sig, inp, k["pk"]):
            raise Refused("bad-signature")
        return signer, hashlib.blake2b(inp, digest_size=32).digest(), BODIES[mtype](body)

    def current(self, origin):
        for kid, k in self.keys.items():
            if k["state"] == "current" and k["origin"] == origin:
                return kid, k
        return None, None

    def apply_delta(self, signer, h, d):
        if self.keys[signer]["origin"] != d["origin"]:
            raise Refused("unknown-key")
        lg = self.log(d["origin"])
        if lg["frozen"]:
            raise Refused("frozen")
        if d["created"] > self.now + SKEW:
            raise Refused("future")
        e, s = d["epoch"], d["seq"]
        if lg["epoch"] == 0 or e > lg["epoch"]:
            if e - lg["epoch"] > EPOCH_STEP:
                raise Refused("epoch-step")
            if s != 1:
                raise Refused("gap")
            lg.update(epoch=e, seq=0, head=None, hashes={})
        elif e < lg["epoch"]:
            raise Refused("stale")
        elif s > lg["seq"] + 1:
            raise Refused("gap")
        elif s <= lg["seq"]:
            if s not in lg["hashes"]:
                raise Refused("stale")  # at or below a snapshot's seq: nothing to compare
            if lg["hashes"][s] == h:
                raise Refused("duplicate")
            lg["frozen"] = True
            raise Refused("equivocation")
        elif d["prev"] != lg["head"]:
            raise Refused("bad-prev")
        lg["hashes"][s] = h
        lg.update(seq=s, head=h)

    def apply_snapshot(self, chunks):
        """SPEC 6.5: a complete snapshot set as the base of its origin's log."""
        parts = []
        for c in chunks:
            signer, _, sn = self.open(c, 5)
            if self.keys[signer]["origin"] != sn["origin"]:
                raise Refused("unknown-key")
            parts.append(sn)
        first = parts[0]
        same = ("origin", "epoch", "seq", "head", "created", "nchunks")
        if (any(tuple(p[k] for k in same) != tuple(first[k] for k in same) for p in parts) or
                first["nchunks"] != len(parts) or
                len({p["chunk"] for p in parts}) != len(parts)):
            raise Refused("range")
        if first["created"] > self.now + SKEW:
            raise Refused("future")
        lg = self.log(first["origin"])
        if lg["frozen"]:
            raise Refused("frozen")
        e, s, held = first["epoch"], first["seq"], lg["epoch"]
        if held != 0:
            if e < held or (e == held and s < lg["seq"]):
                raise Refused("stale")
            if e == held and s == lg["seq"]:
                raise Refused("duplicate" if first["head"] == lg["head"] else "bad-prev")
        if e - held > EPOCH_STEP:
            raise Refused("epoch-step")
        prefixes = [x for p in parts for x in p["prefixes"]]
        if len(set(prefixes)) != len(prefixes):
            raise Refused("duplicate-entry")
        lg.update(epoch=e, seq=s, head=first["head"], hashes={})

    def handle(self, buf, t, items):
        if t == 1:
            self.apply_delta(*self.open(buf, 1))
        elif t == 4:
            _, _, r = self.open(buf, 4)
            for i, item in enumerate(r["items"]):
                try:
                    signer, h, d = self.open(item, 1)
                    if (d["origin"], d["epoch"], d["seq"]) != (r["origin"], r["epoch"],
                                                               r["after_seq"] + 1 + i):
                        raise Refused("bad-item")
                    self.apply_delta(signer, h, d)
                    items.append("ok")
                except Refused as e:
                    items.append(e.outcome)
                    if e.outcome not in ("duplicate", "stale"):
                        break
        elif t == 5 and isinstance(buf, list):
            self.apply_snapshot(buf)
        elif t == 6:
            signer, _, r = self.open(buf, 6)
            if keyid(r["old"]) != signer:
                raise Refused("wrong-signer")
            cin = (b"BLFED-ROLLOVER\x00" + r["origin"] + r["old"] + r["new"] +
                   r["created"].to_bytes(8, "big") + r["until"].to_bytes(8, "big"))
            if not sig_ok(r["counter"], cin, r["new"]):
                raise Refused("bad-counter-signature")
            if r["created"] > self.now + SKEW:
                raise Refused("future")
            if self.keys[signer]["origin"] != r["origin"]:
                raise Refused("policy")
            cur_id, cur = self.current(r["origin"])
            old = self.keys.get(keyid(r["old"]))
            if (cur is not None and cur["pk"] == r["new"] and old is not None and
                    old["state"] == "old" and old["origin"] == r["origin"]):
                raise Refused("stale")
            if cur is None or cur["pk"] != r["old"]:
                raise Refused("policy")
            taken = self.keys.get(keyid(r["new"]))
            if taken is not None:
                raise Refused("revoked-key" if taken["state"] == "revoked" else "policy")
            cur.update(state="old", until=r["until"])
            self.keys[keyid(r["new"])] = dict(pk=r["new"], origin=r["origin"],
                                              state="current", until=0)
        elif t == 7:
            signer, _, r = self.open(buf, 7, any_state=True)
            if r["created"] > self.now + SKEW:
                raise Refused("future")
            cur_id, _ = self.current(r["origin"])
            if keyid(r["revoked"]) != signer and cur_id != signer:
                raise Refused("policy")
            k = self.keys.get(keyid(r["revoked"]))
            if k is not None and k["state"] == "revoked":
                raise Refused("stale")
            if k is None or k["origin"] != r["origin"]:
                raise Refused("unknown-key")
            k["state"] = "revoked"
        else:
            self.open(buf, t)


# ---- the case file ------------------------------------------------------------

def cases(path):
    c = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            word, _, rest = line.partition(" ")
            if word == "case":
                c = dict(name=rest, keys=[], apply=[], frozen=[], items=None, chunks=[])
            elif word in ("as", "expect", "note"):
                c[word] = rest
            elif word == "must":
                c["must"] = rest.split()
            elif word == "now":
                c["now"] = int(rest)
            elif word == "key":
                c["keys"].append(rest.split())
            elif word == "frozen":
                c["frozen"].append(bytes.fromhex(rest))
            elif word == "apply":
                c["apply"].append(bytes.fromhex(rest))
            elif word == "input":
                c["input"] = bytes.fromhex(rest)
            elif word == "chunk":
                c["chunks"].append(bytes.fromhex(rest))
            elif word == "zeros":
                c["input"] = bytes(int(rest))
            elif word == "items":
                c["items"] = rest.split()
            elif word == "end":
                yield c
            else:
                raise ValueError("unknown line: " + line[:40])


def run(c):
    r = Receiver(c["now"])
    for k in c["keys"]:
        pk = bytes.fromhex(k[0])
        r.keys[keyid(pk)] = dict(pk=pk, origin=bytes.fromhex(k[1]), state=k[2],
                                 until=int(k[3]) if k[2] == "old" else 0)
    for i, m in enumerate(c["apply"]):
        try:
            t = envelope(m)[0]
            r.handle([m] if t == 5 else m, t, [])  # a snapshot chunk: a set of one
        except Refused as e:
            return "applying message %d of the state: %s" % (i, e.outcome)
    for o in c["frozen"]:
        r.log(o)["frozen"] = True
    items = []
    try:
        if c["as"] == "snapshot-set":
            r.handle(c["chunks"], 5, items)
        else:
            r.handle(c["input"], TYPES[c["as"]], items)
        got = "ok"
    except Refused as e:
        got = e.outcome
    if got != c["expect"]:
        return "got %s, want %s" % (got, c["expect"])
    if c["items"] is not None and items != c["items"]:
        return "items got %s, want %s" % (" ".join(items), " ".join(c["items"]))
    return None


def main():
    sys.setrecursionlimit(10000)
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "cases.txt")
    passed = failed = 0
    for c in cases(path):
        err = run(c)
        if err:
            failed += 1
            print("FAIL %s: %s" % (c["name"], err))
        else:
            passed += 1
    for d in disagreements:
        failed += 1
        print("FAIL: PyNaCl and SPEC 3.2 disagree: sig %s pk %s nacl=%s spec=%s" % d)
    print("conformance (python): %d passed, %d failed" % (passed, failed))
    return 1 if failed or passed < 150 else 0


if __name__ == "__main__":
    sys.exit(main())
