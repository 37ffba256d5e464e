#!/usr/bin/python3
"""gen.py - generate the conformance cases of SPEC 10.3 into cases.txt.

The cases are committed; this script documents how each was made and is run
again only when the protocol changes (then `git diff cases.txt` shows what
moved).  It uses Python's msgpack and PyNaCl and ed25519_ref.py, nothing of
blfed's C code.  Each case names the SPEC requirements (MUST ids, listed in
MUSTS below and in MUSTS.md) it exercises; the script refuses to write the
suite unless every MUST has at least one accepting and one refusing case.

Run: /usr/bin/python3 tests/conformance/gen.py   (writes cases.txt, MUSTS.md)
"""
import hashlib
import os
import sys

import msgpack
from nacl.signing import SigningKey

import ed25519_ref as ed

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1767225600
DAY = 86400
TYPES = {"delta": 1, "heads": 2, "catchup-request": 3, "catchup-response": 4,
         "snapshot": 5, "rollover": 6, "revocation": 7, "snapshot-set": 5,
         "snapshot-request": 8}
M32 = 2 ** 32 - 1  # SPEC 3.1 rule 5: the latest time a message carries

# Requirement ids -> where SPEC states them.  A case lists the ids it tests.
MUSTS = {
    "2/unknown-type": "2: a message of an unknown type is rejected as unknown-type, "
                      "after the envelope structure",
    "3.1/forbidden": "3.1 rule 1: nil, map, ext, float, signed integers and 0xc1 are rejected",
    "3.1/shortest": "3.1 rule 2: every value in its shortest encoding",
    "3.1/trailing": "3.1 rule 3: exactly one object; trailing bytes rejected",
    "3.1/bounds": "3.1 rule 4: declared lengths within the input; the object bound of section 9",
    "3.1/types": "3.1 rule 5: exact field types and fixed sizes",
    "3.1/ranges": "3.1 rule 5: integer fields within their ranges",
    "3.1/time": "3.1 rule 5: a time (created, expires, overlap_until) is at most 2^32-1",
    "3.1/text": "3.1 rule 6: strings are UTF-8 without control characters",
    "3.1/field-count": "3.1 rule 7: field lists of exactly the specified length",
    "3.1/depth": "3.1 rule 8: nesting depth per structure (section 9)",
    "3.2/ed25519": "3.2: the Ed25519 verification rules",
    "3.3/size": "3.3 step 1: size limit of the expected type",
    "3.3/version": "3.3 step 3: version 1 only, checked before the field count",
    "3.3/order": "3.3: checks in the stated order, first failure decides",
    "3.3/expected-type": "3.3 step 5: the type expected in this context",
    "3.3/signer": "3.3 step 6: the signer is a known key",
    "3.3/signature": "3.3 step 7: the signature verifies",
    "4.2/prefix": "4.2: prefix size, length, host bits, mapped addresses",
    "5.1/reason": "5.1: reason 1..65535; unregistered codes accepted",
    "5.1/expires": "5.1: created < expires <= created + 400 days",
    "5.1/unique": "5.1: each prefix at most once per delta or snapshot chunk",
    "5.2/signer": "5.2: the signer is a valid key of the delta's origin",
    "5.3/future": "5.3: a delta dated more than 600 s ahead is not accepted",
    "5.3/epoch-step": "5.3: a delta more than 16 epochs above the one held is refused",
    "5.4/gap": "5.4 step 5: a gap is not applied",
    "5.4/prev": "5.4 step 6: prev must match the last applied hash",
    "5.4/replay": "5.4 steps 2 and 4: stale and duplicate deltas change nothing",
    "5.5/freeze": "5.5: equivocation freezes the origin; no delta is accepted from it",
    "6.4/items": "6.4: each carried item is a delta envelope of the request, in order",
    "6.5/no-withdraw": "6.5: delist and unexclude do not appear in a snapshot",
    "6.5/set": "6.5: a snapshot is used only as a complete set: every chunk verified and "
               "signed for its origin, the same fields, each chunk once, no prefix twice",
    "6.5/base": "6.5: a snapshot set against the log held (future, frozen, stale, duplicate, "
                "bad-prev, epoch step); the log then continues at seq + 1 with prev = head",
    "5.6/dispute": "5.6: dispute, uphold, concede and undispute operations (1.2): layout, "
                   "target and dispute id sizes, codes, key classes, not undispute in a "
                   "snapshot",
    "6.6/signer": "6.6: a rollover is signed by old_pk",
    "6.6/counter": "6.6: the counter-signature of new_pk verifies",
    "6.6/overlap": "6.6: the old key is valid while now < overlap_until, never after",
    "6.6/replay": "6.6: a rollover already applied is stale",
    "6.7/revoked": "6.7: no message signed by a revoked key is accepted afterwards",
}

# Every MUST sentence of SPEC.md, and the requirement ids that test it, or
# why no single input can (a sender's duty, behaviour over time, transport).
SPEC_MUSTS = [
    ("2", "reject an unknown type as unknown-type, after the envelope structure", "2/unknown-type"),
    ("2", "not treat an unknown type as the sender's violation",
     "outside: a log policy, no verdict"),
    ("3.1 r1", "reject nil, map, ext, fixext, float, signed integer, 0xc1", "3.1/forbidden"),
    ("3.1 r2", "every value in its shortest encoding; reject others", "3.1/shortest"),
    ("3.1 r3", "trailing bytes rejected", "3.1/trailing"),
    ("3.1 r4", "check declared counts before allocating; refuse over the object bound; "
     "same first fault", "3.1/bounds 3.3/order"),
    ("3.1 r5", "fixed sizes exact; integers within range", "3.1/types 3.1/ranges"),
    ("3.1 r5", "a time at most 2^32-1", "3.1/time"),
    ("3.1 r6", "strings UTF-8 without C0, DEL, C1", "3.1/text"),
    ("3.1 r7", "field lists of the specified length", "3.1/field-count"),
    ("3.1 r8", "reject a deeper array, empty or not", "3.1/depth"),
    ("3.2", "verify Ed25519 by rules 1-6 (S < L, R and A not small order, A canonical "
     "and on the curve, byte comparison)", "3.2/ed25519"),
    ("3.3", "version MUST be 1", "3.3/version"),
    ("3.3", "process an envelope in the stated order, stop at the first failure",
     "3.3/order 3.3/size 3.3/expected-type 3.3/signer 3.3/signature"),
    ("3.3", "the looked-up key's id MUST equal the signer field", "3.3/signer"),
    ("3.5", "a later version keeps the envelope an array with the version first",
     "outside: a duty of later versions"),
    ("3.6", "report the outcome names", "every case"),
    ("3.7", "not read integers into signed or 53-bit types",
     "3.1/ranges (cases near 2^64)"),
    ("4.2", "reject a prefix of another size, too long, with host bits, mapped", "4.2/prefix"),
    ("5.1", "accept unregistered reason codes", "5.1/reason"),
    ("5.1", "expires after created, at most 400 days", "5.1/expires"),
    ("5.1", "each prefix at most once; reject a duplicate", "5.1/unique"),
    ("5.2", "signer a valid key of the origin", "5.2/signer 6.6/overlap 6.7/revoked"),
    ("5.3", "an origin that lost its log starts epoch + 1 and re-states; it learns its "
     "last epoch rather than guess high",
     "outside: a sender's duty (its effect on receivers: 5.4/gap, 5.3/epoch-step)"),
    ("5.3", "not accept a delta dated over 600 s ahead", "5.3/future"),
    ("5.3", "refuse an epoch more than 16 above the one held", "5.3/epoch-step"),
    ("5.4", "not apply a gap, not invent deltas", "5.4/gap"),
    ("5.4 / 9", "refuse whole a delta past a local storage bound",
     "outside: local bounds, each receiver its own"),
    ("5.5", "keep both messages as evidence; alert the administrator",
     "outside: behaviour, not a verdict"),
    ("5.5", "stop accepting deltas of a frozen origin", "5.5/freeze"),
    ("5.6", "the target is bin 0 or 16, the dispute id bin 16; codes 1..65535; "
     "receivers accept unregistered codes", "5.6/dispute"),
    ("5.6", "no undispute in a snapshot; three key classes for the duplicate rule",
     "5.6/dispute"),
    ("6.1", "act on sync messages only by fetching deltas", "outside: behaviour"),
    ("6.2", "fetch the delta on a differing head hash", "outside: behaviour"),
    ("6.4", "each item a delta envelope; tied to the request in order", "6.4/items"),
    ("6.5", "no delist or unexclude in a snapshot", "6.5/no-withdraw"),
    ("6.5", "use no chunk before the set is complete; check the set in the stated order",
     "6.5/set 6.5/base"),
    ("6.5", "each chunk signed by a valid key of the snapshot's origin", "6.5/set"),
    ("6.5", "a snapshot newer than the log held becomes its base; the epoch step applies",
     "6.5/base 5.3/epoch-step"),
    ("6.6", "new_pk differs from old_pk", "3.1/ranges (rollover-same-key)"),
    ("6.6", "signed by old_pk", "6.6/signer 6.6/counter"),
    ("6.6 / 3.6", "old key valid while now < overlap_until; a replay is stale",
     "6.6/overlap 6.6/replay"),
    ("6.7", "no message signed by a revoked key accepted afterwards", "6.7/revoked"),
    ("8.3", "say why a listing is filtered", "outside: local merge policy"),
    ("12", "maximum receive size at least the limits", "outside: transport"),
]


def seed(first):
    return bytes((first + i) & 0xFF for i in range(32))


def keyid(pk):
    return hashlib.blake2b(b"BLFED-KEYID\x00" + pk, digest_size=16).digest()


def pack(o):
    return msgpack.packb(o, use_bin_type=True)


class Key:
    def __init__(self, first):
        self.sk = SigningKey(seed(first))
        self.pk = bytes(self.sk.verify_key)
        self.id = keyid(self.pk)
        self.scalar = ed.seed_scalar(seed(first))


A, B, C, X = Key(0x00), Key(0x20), Key(0x40), Key(0x60)  # X: known to nobody


def sig_input(mtype, signer, body, version=1):
    return b"BLFED-SIG\x00" + bytes([version & 0xFF, mtype & 0xFF]) + signer + body


def env(mtype, body, signer, sig, version=1):
    return pack([version, mtype, signer, body, sig])


def seal(mtype, body, key):
    """A correctly signed envelope of raw body bytes."""
    return env(mtype, body, key.id, key.sk.sign(sig_input(mtype, key.id, body)).signature)


def msg_hash(envelope):
    f = msgpack.unpackb(envelope, raw=True)
    return hashlib.blake2b(sig_input(f[1], f[2], f[3]), digest_size=32).digest()


P4 = bytes([192, 0, 2, 0, 24])
P6 = bytes.fromhex("20010db8000100000000000000000000") + bytes([48])


def lst(prefix=P4, reason=1, expires=T0 + 60, ref=""):
    return [1, prefix, reason, expires, ref]


def delta_body(ops=None, seq=1, prev=None, epoch=1, origin=None, created=T0, extra=()):
    if ops is None:
        ops = [lst()]
    if prev is None:
        prev = bytes(32)
    return pack([A.id if origin is None else origin, epoch, seq, prev, created, ops] +
                list(extra))


def delta(key=A, **kw):
    return seal(1, delta_body(**kw), key)


# ---- the case list ---------------------------------------------------------

cases = []
DEFAULT_KEYS = [(A.pk, A.id, "current"), (B.pk, B.id, "current")]


def case(name, must, as_, data, expect, keys=None, now=T0, apply=(), items=None,
         frozen=(), note=""):
    for m in must:
        assert m in MUSTS, m
    assert as_ in TYPES
    assert (as_ == "snapshot-set") == isinstance(data, list), name
    cases.append(dict(name=name, must=must, as_=as_, data=data, expect=expect,
                      keys=DEFAULT_KEYS if keys is None else keys, now=now,
                      apply=list(apply), items=items, frozen=list(frozen),
                      note=note))


SIG0 = bytes(64)


class Zeros(bytes):
    """An input of n zero bytes, written as `zeros N` rather than in hex."""
    def __new__(cls, n):
        return bytes.__new__(cls, n)
D1 = delta()  # A's seq 1: list 192.0.2.0/24
H1 = msg_hash(D1)
D2 = delta(seq=2, prev=H1, ops=[[2, P4]], created=T0 + 60)
H2 = msg_hash(D2)
D3 = delta(seq=3, prev=H2, ops=[], created=T0 + 120)

# -- envelope structure (3.1, 3.3), received where a delta is expected
case("delta-valid", ["3.3/order", "3.3/signature", "3.3/signer", "3.3/version", "3.1/types",
                     "3.1/forbidden", "3.1/shortest", "3.1/trailing", "3.1/bounds",
                     "3.1/field-count", "3.1/depth", "3.3/size", "3.3/expected-type",
                     "5.2/signer", "3.2/ed25519", "5.1/expires", "5.1/reason", "3.1/ranges",
                     "2/unknown-type"],
     "delta", D1, "ok", note="A's first delta, signed by A")
case("empty-input", ["3.1/bounds"], "delta", b"", "malformed")
case("delta-too-big", ["3.3/size", "3.3/order"], "delta", Zeros(4 * 1024 * 1024 + 1), "too-big",
     note="4 MiB + 1 zero bytes: the size is checked before the bytes")
case("delta-size-zeros", ["3.3/size"], "heads", Zeros(4 * 1024 * 1024 + 1), "malformed",
     note="the same bytes where a heads is expected: within 16 MiB, so the bytes decide")
case("truncated-half", ["3.1/bounds"], "delta", D1[: len(D1) // 2], "malformed")
case("trailing-zero", ["3.1/trailing"], "delta", D1 + b"\x00", "malformed")
case("trailing-after-array", ["3.1/trailing"], "delta", b"\x90\x00", "malformed",
     note="an empty array is depth 1, allowed; the trailing byte is the fault")
case("not-an-array", ["3.3/order"], "delta", b"\x01", "field-type",
     note="a uint where the envelope array belongs")
case("empty-array", ["3.3/order", "3.1/field-count"], "delta", b"\x90", "field-count",
     note="no version field to read")
case("version-str", ["3.3/version", "3.1/types"], "delta", b"\x91\xa11", "field-type")
case("version-bool", ["3.3/version", "3.1/types"], "delta", b"\x91\xc3", "field-type")
case("version-2", ["3.3/version"], "delta",
     env(1, delta_body(), A.id, SIG0, version=2), "unsupported-version")
case("version-0-short", ["3.3/version", "3.3/order"], "delta", b"\x92\x00\x01",
     "unsupported-version", note="the version comes before the field count")
case("version-2pow32", ["3.3/version"], "delta",
     b"\x95\xcf\x00\x00\x00\x01\x00\x00\x00\x00" + D1[2:], "unsupported-version",
     note="any uint other than 1, however large")
case("version-2pow64-1", ["3.3/version"], "delta", b"\x91\xcf" + b"\xff" * 8,
     "unsupported-version")
case("four-fields", ["3.1/field-count"], "delta", pack([1, 1, A.id, b"x"]), "field-count")
case("six-fields", ["3.1/field-count"], "delta", pack([1, 1, A.id, b"x", SIG0, 0]),
     "field-count")
case("sixteen-fields", ["3.1/field-count", "3.1/bounds"], "delta",
     pack([1, 1, A.id, b"x", SIG0] + [0] * 10), "field-count",
     note="16 objects with the array: within the bound")
case("seventeen-objects", ["3.1/bounds"], "delta",
     pack([1, 1, A.id, b"x", SIG0] + [0] * 11), "limit",
     note="17 objects: over the envelope bound of 16")
case("type-0", ["2/unknown-type"], "delta", env(0, b"\x90", A.id, SIG0), "unknown-type")
case("type-9", ["2/unknown-type"], "delta", env(9, b"\x90", A.id, SIG0), "unknown-type")
case("type-255", ["2/unknown-type"], "delta", env(255, b"", X.id, SIG0), "unknown-type",
     note="unknown type before the signer lookup")
case("type-256", ["3.1/ranges"], "delta",
     b"\x95\x01\xcd\x01\x00" + pack(A.id) + pack(b"x") + pack(SIG0), "range")
case("type-9-bad-signer-size", ["3.3/order"], "delta", env(9, b"", A.id[:15], SIG0),
     "field-size", note="field types and sizes (step 4) before the type (step 5)")
case("heads-as-delta", ["3.3/expected-type"], "delta",
     seal(2, pack([T0, []]), B), "unexpected-type")
case("signer-15", ["3.1/types"], "delta", env(1, delta_body(), A.id[:15], SIG0), "field-size")
case("signer-str", ["3.1/types"], "delta",
     b"\x95\x01\x01" + msgpack.packb(A.id.hex()[:16], use_bin_type=True) + pack(b"x") + pack(SIG0),
     "field-type")
case("body-str", ["3.1/types"], "delta",
     b"\x95\x01\x01" + pack(A.id) + b"\xa1x" + pack(SIG0), "field-type")
case("body-array", ["3.1/depth"], "delta",
     b"\x95\x01\x01" + pack(A.id) + b"\x91\x00" + pack(SIG0), "depth")
case("body-empty-array", ["3.1/depth"], "delta",
     b"\x95\x01\x01" + pack(A.id) + b"\x90" + pack(SIG0), "depth",
     note="an empty array still counts one level")
case("sig-63", ["3.1/types"], "delta", env(1, delta_body(), A.id, bytes(63)), "field-size")
case("sig-65", ["3.1/types"], "delta", env(1, delta_body(), A.id, bytes(65)), "field-size")
case("map", ["3.1/forbidden"], "delta", b"\x81\xa1v\x01", "malformed")
case("nil", ["3.1/forbidden"], "delta", b"\xc0", "malformed")
case("c1", ["3.1/forbidden"], "delta", b"\xc1", "malformed")
case("float-type", ["3.1/forbidden"], "delta", b"\x95\x01\xca\x00\x00\x80\x3f" + D1[3:],
     "malformed")
case("negative-fixint", ["3.1/forbidden"], "delta", b"\x91\xff", "malformed")
case("int8-version", ["3.1/forbidden"], "delta", b"\x91\xd0\x01", "malformed",
     note="signed int 8 holding 1: generic decoders read it as 1")
case("fixext", ["3.1/forbidden"], "delta", b"\xd4\x00\x00", "malformed")
case("noncanon-version", ["3.1/shortest"], "delta", b"\x95\xcc\x01" + D1[2:], "noncanonical",
     note="cc 01: generic decoders read it as 1")
case("noncanon-array16", ["3.1/shortest"], "delta", b"\xdc\x00\x05" + D1[1:], "noncanonical",
     note="an array 16 of five elements")
case("noncanon-bin16-signer", ["3.1/shortest"], "delta",
     b"\x95\x01\x01\xc5\x00\x10" + A.id + D1[21:], "noncanonical")
case("noncanon-str8", ["3.1/shortest"], "delta", b"\x91\xd9\x01a", "noncanonical")
case("array32-huge", ["3.1/bounds"], "delta", b"\xdd\xff\xff\xff\xff\x01", "malformed",
     note="declared count beyond the bytes left")
case("bin32-huge", ["3.1/bounds"], "delta", b"\x95\x01\x01\xc6\xff\xff\xff\xf0", "malformed")
case("deep-nesting", ["3.1/depth"], "delta", b"\x91" * 1000 + b"\x01", "depth")
case("limit-before-format", ["3.3/order", "3.1/bounds"], "delta",
     b"\xdc\x00\x20" + b"\x00" * 16 + b"\xc1" * 16, "limit",
     note="the 17th object breaks the bound before its byte is looked at")
case("depth-after-length", ["3.3/order"], "delta", b"\x91\x91\x00", "depth",
     note="an array at depth 2 in an envelope, its count within the bytes left")
case("empty-array-too-deep", ["3.1/depth"], "delta", b"\x91\x90", "depth")
case("truncation-before-depth", ["3.3/order"], "delta", b"\x91\x92\x00", "malformed",
     note="a declared count beyond the bytes left comes before the depth check")
case("unknown-signer", ["3.3/signer"], "delta", delta(key=X, origin=X.id), "unknown-key")
bad = bytearray(D1)
bad[-1] ^= 1
case("bad-signature", ["3.3/signature"], "delta", bytes(bad), "bad-signature")
bad = bytearray(D1)
bad[60] ^= 1
case("body-bit-flip", ["3.3/signature"], "delta", bytes(bad), "bad-signature")
case("relabelled-type", ["3.3/signature"], "heads",
     env(2, pack([T0, []]), A.id, A.sk.sign(sig_input(3, A.id, pack([T0, []]))).signature),
     "bad-signature", note="signed as type 3, sent as type 2: the type is signed")

# -- Ed25519 rules (3.2).  Z* keys are trusted as the current key of their
# own origin; each case says what a lax verifier would do.


def forged_delta(pk, sigfn, origin=None):
    body = delta_body(origin=keyid(pk) if origin is None else origin)
    signer = keyid(pk)
    sig = sigfn(sig_input(1, signer, body))
    return env(1, body, signer, sig), sig_input(1, signer, body), sig


def z_case(name, pk, sigfn, expect, lax_note):
    data, inp, sig = forged_delta(pk, sigfn)
    assert ed.verify(sig, inp, pk) == (expect == "ok"), name
    case(name, ["3.2/ed25519"], "delta", data, expect,
         keys=DEFAULT_KEYS + [(pk, keyid(pk), "current")], note=lax_note)
    return inp, sig


ID = bytes([1]) + bytes(31)
r0 = 0x1234567
inp, sig = z_case("ed25519-small-order-key", ID,
                  lambda m: ed.encode(ed.mul(r0, ed.B)) + r0.to_bytes(32, "little"),
                  "bad-signature", "public key 01 00..00 (the identity) 'signs' any body; "
                  "a lax RFC 8032 verifier accepts")
assert ed.lax_verify(sig, inp, ID)
NC_ID = bytes([0xEE]) + b"\xff" * 30 + bytes([0x7F])
inp, sig = z_case("ed25519-noncanonical-small-order-key", NC_ID,
                  lambda m: ed.encode(ed.mul(r0, ed.B)) + r0.to_bytes(32, "little"),
                  "bad-signature", "public key y = p + 1 (the identity, non-canonical); "
                  "a verifier that reduces y accepts")
assert ed.lax_verify(sig, inp, NC_ID)
NEG_ID = bytes([1]) + bytes(30) + bytes([0x80])
inp, sig = z_case("ed25519-signbit-small-order-key", NEG_ID,
                  lambda m: ed.encode(ed.mul(r0, ed.B)) + r0.to_bytes(32, "little"),
                  "bad-signature", "public key 01 00..80: the identity with the sign bit set")
# a non-canonical key of a point that is not of small order: y = p + k
for k in range(2, 19):
    if ed.recover_x(k, 0) is not None:
        NC_KEY = (ed.Q + k).to_bytes(32, "little")
        break
z_case("ed25519-noncanonical-key", NC_KEY,
       lambda m: ed.encode(ed.mul(r0, ed.B)) + r0.to_bytes(32, "little"),
       "bad-signature", "public key y = p + %d: not canonical, not of small order" % k)


def with_r(Rbytes):
    return lambda m: ed.sign_with_scalar(A.scalar, A.pk, m, 0, R=Rbytes)


body = delta_body()
for name, Rb, cof, note in (
        ("ed25519-identity-R", ID, False,
         "R = identity, S = h a: a cofactorless lax verifier accepts"),
        ("ed25519-noncanonical-identity-R", NC_ID, False,
         "R = p + 1 (identity, non-canonical), S = h a: a verifier that reduces y accepts"),
        ("ed25519-order8-R", ed.SMALL_ORDER[2], True,
         "R of order 8, S = h a: a cofactored verifier accepts")):
    m = sig_input(1, A.id, body)
    sig = ed.sign_with_scalar(A.scalar, A.pk, m, 0, R=Rb)
    assert not ed.verify(sig, m, A.pk) and ed.lax_verify(sig, m, A.pk, cofactored=cof), name
    case(name, ["3.2/ed25519"], "delta", env(1, body, A.id, sig), "bad-signature", note=note)
# S + L: same point, non-canonical scalar
m = sig_input(1, A.id, body)
good = A.sk.sign(m).signature
S = int.from_bytes(good[32:], "little") + ed.L
sig = good[:32] + S.to_bytes(32, "little")
assert ed.lax_verify(sig, m, A.pk) and not ed.verify(sig, m, A.pk)
case("ed25519-S-plus-L", ["3.2/ed25519"], "delta", env(1, body, A.id, sig), "bad-signature",
     note="S + L: a verifier that reduces S accepts")
# a mixed-order key: [a]B + T8.  libsodium accepts when the cofactorless
# equation holds (h = 0 mod 8), and refuses otherwise.
MIX = ed.encode(ed.add(ed.mul(A.scalar, ed.B), ed.order8_point()))
mbody = delta_body(origin=keyid(MIX))
mi = sig_input(1, keyid(MIX), mbody)
r = 1
while ed.h_scalar(ed.encode(ed.mul(r, ed.B)), MIX, mi) % 8 != 0:
    r += 1
sig = ed.sign_with_scalar(A.scalar, MIX, mi, r)
assert ed.verify(sig, mi, MIX)
case("ed25519-mixed-order-key-ok", ["3.2/ed25519"], "delta", env(1, mbody, keyid(MIX), sig),
     "ok", keys=DEFAULT_KEYS + [(MIX, keyid(MIX), "current")],
     note="key [a]B + T8 with h = 0 mod 8: the cofactorless equation holds; "
          "a verifier that demands a prime-order key refuses")
r += 1
while ed.h_scalar(ed.encode(ed.mul(r, ed.B)), MIX, mi) % 8 == 0:
    r += 1
sig = ed.sign_with_scalar(A.scalar, MIX, mi, r)
assert not ed.verify(sig, mi, MIX) and ed.lax_verify(sig, mi, MIX, cofactored=True)
case("ed25519-mixed-order-key-cofactored", ["3.2/ed25519"], "delta",
     env(1, mbody, keyid(MIX), sig), "bad-signature",
     keys=DEFAULT_KEYS + [(MIX, keyid(MIX), "current")],
     note="the same key with h != 0 mod 8: only a cofactored verifier accepts")

# -- delta bodies (5.1, 5.2, 4.2)
case("ops-empty", ["5.1/unique"], "delta", delta(ops=[]), "ok")
case("ops-10001", ["3.1/bounds"], "delta", delta(ops=[0] * 10001), "limit",
     note="the count is checked with the field, before any operation")
case("ops-10000-ok", ["3.1/bounds"], "delta",
     delta(ops=[[2, bytes([10, i >> 8 & 255, i & 255, 0, 24])] for i in range(10000)]), "ok")
case("objects-over-bound", ["3.1/bounds"], "delta",
     seal(1, delta_body(ops=[[1, bytes([10, 0, 0, 0, 24]), 1, T0 + 60, "", 0]] * 8573), A),
     "limit", note="8573 operations of 6 fields: 60018 objects, over the bound of 60016, "
                   "found by the walk before any field is read")
case("ops-as-map", ["3.1/forbidden"], "delta",
     seal(1, delta_body()[:-len(pack([lst()]))] + b"\x80", A), "malformed")
case("dup-prefix", ["5.1/unique"], "delta", delta(ops=[lst(), [2, P4]]), "duplicate-entry")
case("dup-prefix-other-length-ok", ["5.1/unique"], "delta",
     delta(ops=[lst(), [2, bytes([192, 0, 2, 0, 25])]]), "ok")
case("expiry-max", ["5.1/expires"], "delta", delta(ops=[lst(expires=T0 + 400 * DAY)]), "ok")
case("expiry-beyond-ttl", ["5.1/expires"], "delta",
     delta(ops=[lst(expires=T0 + 400 * DAY + 1)]), "expiry")
case("expiry-equals-created", ["5.1/expires"], "delta", delta(ops=[lst(expires=T0)]), "expiry")
case("reason-0", ["5.1/reason", "3.1/ranges"], "delta", delta(ops=[lst(reason=0)]), "range")
case("reason-65536", ["5.1/reason", "3.1/ranges"], "delta", delta(ops=[lst(reason=65536)]),
     "range")
case("reason-unregistered", ["5.1/reason"], "delta", delta(ops=[lst(reason=4242)]), "ok")
case("reason-65535", ["5.1/reason"], "delta", delta(ops=[lst(reason=65535)]), "ok")
case("ref-255", ["3.1/text"], "delta", delta(ops=[lst(ref="a" * 255)]), "ok")
case("ref-256", ["3.1/text"], "delta", delta(ops=[lst(ref="a" * 256)]), "too-big")
case("ref-cjk", ["3.1/text"], "delta", delta(ops=[lst(ref="\u4e2d\u6587 \U0001f600")]), "ok")
for nm, raw in (("newline", b"a\nb"), ("nul", b"a\x00"), ("del", b"a\x7f"),
                ("c1-nel", b"\xc2\x85"), ("c1-csi", b"\xc2\x9b"), ("overlong", b"\xc0\xaf"),
                ("surrogate", b"\xed\xa0\x80"), ("cut", b"\xe4\xb8"),
                ("above-10ffff", b"\xf4\x90\x80\x80"), ("lone-continuation", b"\x80")):
    ops_bytes = (b"\x91\x95\x01" + pack(P4) + b"\x01" + pack(T0 + 60) +
                 bytes([0xA0 | len(raw)]) + raw)
    body = b"\x96" + pack(A.id) + b"\x01\x01" + pack(bytes(32)) + pack(T0) + ops_bytes
    case("ref-" + nm, ["3.1/text"], "delta", seal(1, body, A), "bad-text")
case("ref-bin", ["3.1/types"], "delta", delta(ops=[[3, P4, b"x"]]), "field-type")
case("host-bits", ["4.2/prefix"], "delta", delta(ops=[lst(prefix=bytes([192, 0, 2, 1, 24]))]),
     "bad-prefix")
case("prefix-len-33", ["4.2/prefix"], "delta",
     delta(ops=[lst(prefix=bytes([192, 0, 2, 1, 33]))]), "bad-prefix")
case("prefix-v6-len-129", ["4.2/prefix"], "delta", delta(ops=[lst(prefix=bytes(16) + b"\x81")]),
     "bad-prefix")
case("prefix-6-bytes", ["4.2/prefix", "3.1/types"], "delta", delta(ops=[lst(prefix=bytes(6))]),
     "field-size")
case("prefix-str", ["3.1/types"], "delta", seal(1, delta_body().replace(pack(P4), b"\xa5" + P4), A),
     "field-type")
case("mapped-v6", ["4.2/prefix"], "delta",
     delta(ops=[lst(prefix=bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 0, 120]))]), "bad-prefix")
case("mapped-v6-short-ok", ["4.2/prefix"], "delta",
     delta(ops=[lst(prefix=bytes(16) + bytes([64]))]), "ok",
     note="::/64 is shorter than 96 and not a mapped prefix")
case("v6-ok", ["4.2/prefix"], "delta", delta(ops=[lst(prefix=P6)]), "ok")
case("op-type-9", ["3.1/ranges"], "delta", delta(ops=[[9, P4]]), "unknown-operation",
     note="1.2 assigns 5-8 (disputes); 9 is the first unknown type")
DID = bytes(range(16))
case("dispute-ok", ["5.6/dispute"], "delta", delta(ops=[[5, P4, b"", 1, "https://x/1"]]), "ok")
case("dispute-target-ok", ["5.6/dispute"], "delta", delta(ops=[[5, P4, A.id, 2, ""]]), "ok")
case("dispute-target-15", ["5.6/dispute"], "delta", delta(ops=[[5, P4, A.id[:15], 2, ""]]),
     "field-size")
case("dispute-target-str", ["5.6/dispute"], "delta", delta(ops=[[5, P4, "", 2, ""]]),
     "field-type")
case("dispute-code-0", ["5.6/dispute"], "delta", delta(ops=[[5, P4, b"", 0, ""]]), "range")
case("dispute-code-unregistered-ok", ["5.6/dispute"], "delta",
     delta(ops=[[5, P4, b"", 65535, ""]]), "ok")
case("dispute-code-65536", ["5.6/dispute"], "delta", delta(ops=[[5, P4, b"", 65536, ""]]),
     "range")
case("dispute-4-fields", ["5.6/dispute", "3.1/field-count"], "delta",
     delta(ops=[[5, P4, b"", 1]]), "field-count")
case("dispute-ref-bad-text", ["5.6/dispute", "3.1/text"], "delta",
     delta(ops=[[5, P4, b"", 1, "a\x07"]]), "bad-text")
case("uphold-ok", ["5.6/dispute"], "delta", delta(ops=[[6, P4, DID, 2, "https://x/e"]]), "ok")
case("concede-ok", ["5.6/dispute"], "delta", delta(ops=[[7, P4, DID, 4, ""]]), "ok")
case("uphold-id-0", ["5.6/dispute"], "delta", delta(ops=[[6, P4, b"", 2, ""]]), "field-size")
case("concede-code-0", ["5.6/dispute"], "delta", delta(ops=[[7, P4, DID, 0, ""]]), "range")
case("undispute-ok", ["5.6/dispute"], "delta", delta(ops=[[8, P4]]), "ok")
case("undispute-3-fields", ["5.6/dispute"], "delta", delta(ops=[[8, P4, ""]]), "field-count")
case("dispute-and-list-same-prefix-ok", ["5.6/dispute", "5.1/unique"], "delta",
     delta(ops=[lst(), [5, P4, b"", 1, ""]]), "ok",
     note="disputes have a key class of their own")
case("dispute-twice", ["5.6/dispute", "5.1/unique"], "delta",
     delta(ops=[[5, P4, b"", 1, ""], [8, P4]]), "duplicate-entry")
case("answers-same-id", ["5.6/dispute", "5.1/unique"], "delta",
     delta(ops=[[6, P4, DID, 2, ""], [7, P6, DID, 4, ""]]), "duplicate-entry",
     note="answers are keyed by the dispute they answer")
case("answers-two-ids-same-prefix-ok", ["5.6/dispute", "5.1/unique"], "delta",
     delta(ops=[[6, P4, DID, 2, ""], [7, P4, bytes(16), 4, ""]]), "ok")
case("op-type-0", ["3.1/ranges"], "delta", delta(ops=[[0, P4]]), "unknown-operation")
case("op-type-256", ["3.1/ranges"], "delta", delta(ops=[[256, P4]]), "unknown-operation",
     note="any uint outside 1..4, however large")
case("op-empty", ["3.1/field-count"], "delta", delta(ops=[[]]), "field-count")
case("op-not-array", ["3.1/types"], "delta", delta(ops=[1]), "field-type")
case("list-4-fields", ["3.1/field-count"], "delta", delta(ops=[[1, P4, 1, T0 + 60]]),
     "field-count")
case("op-too-deep", ["3.1/depth"], "delta", delta(ops=[[1, [P4], 1, T0 + 60, ""]]), "depth")
case("seq-0", ["3.1/ranges"], "delta", delta(seq=0), "range")
case("seq-2pow64-1", ["3.1/ranges"], "delta", delta(seq=2 ** 64 - 1, prev=b"\x01" * 32), "range")
case("seq1-with-prev", ["5.4/prev"], "delta", delta(prev=b"\x01" * 32), "bad-prev")
case("seq2-zero-prev", ["5.4/prev"], "delta", delta(seq=2), "bad-prev")
case("epoch-0", ["3.1/ranges"], "delta", delta(epoch=0), "range")
case("epoch-2pow32", ["3.1/ranges"], "delta", delta(epoch=2 ** 32), "range")
case("origin-15", ["3.1/types"], "delta", delta(origin=A.id[:15]), "field-size")
case("body-7-fields", ["3.1/field-count"], "delta", seal(1, delta_body(extra=[0]), A),
     "field-count")
case("body-not-array", ["3.1/types"], "delta", seal(1, pack(1), A), "field-type")
case("negative-seq", ["3.1/forbidden"], "delta",
     seal(1, delta_body().replace(b"\x01\x01\xc4\x20", b"\x01\xff\xc4\x20"), A), "malformed")
case("order-epoch-before-seq", ["3.3/order"], "delta",
     seal(1, pack([A.id, 0, "x", bytes(32), T0, []]), A), "range",
     note="field 1 (epoch 0) is checked completely before field 2")
case("order-fields-before-prev-rule", ["3.3/order"], "delta",
     seal(1, pack([A.id, 1, 1, b"\x01" * 32, T0, [[9, P4]]]), A), "bad-prev",
     note="rules relating fields (prev and seq) come before the operations")
case("order-reason-before-ref", ["3.3/order"], "delta",
     seal(1, pack([A.id, 1, 1, bytes(32), T0, [[1, P4, 0, T0 + 60, "a\nb"]]]), A), "range",
     note="each operation's fields in order")
case("order-signature-before-body", ["3.3/order"], "delta",
     env(1, pack([A.id, 0, 0]), A.id, SIG0), "bad-signature",
     note="a bad body behind a bad signature: the signature decides")

# -- signer and receiver state for deltas (5.2 - 5.5)
case("signer-other-origin", ["5.2/signer"], "delta", delta(key=B), "unknown-key",
     note="B is a known key, but not one of origin A's")
case("future-601", ["5.3/future"], "delta", delta(created=T0 + 601, ops=[]), "future", now=T0)
case("future-600-ok", ["5.3/future"], "delta", delta(created=T0 + 600, ops=[]), "ok", now=T0)
case("next-ok", ["5.4/prev", "5.4/gap", "5.4/replay"], "delta", D2, "ok", apply=[D1])
case("gap", ["5.4/gap"], "delta", D3, "gap", apply=[D1], now=T0 + 200)
case("gap-new-epoch", ["5.4/gap"], "delta", delta(epoch=2, seq=2, prev=b"\x02" * 32), "gap",
     apply=[D1])
case("new-epoch-ok", ["5.4/gap"], "delta", delta(epoch=2, ops=[]), "ok", apply=[D1, D2],
     now=T0 + 60)
case("epoch-step-16-ok", ["5.3/epoch-step"], "delta", delta(epoch=17, ops=[]), "ok",
     apply=[D1], note="from epoch 1 to 17: a step of 16")
case("epoch-step-17", ["5.3/epoch-step"], "delta", delta(epoch=18, ops=[]), "epoch-step",
     apply=[D1], note="from epoch 1 to 18: a step of 17")
case("epoch-step-fresh", ["5.3/epoch-step"], "delta", delta(epoch=17, ops=[]), "epoch-step",
     note="no epoch held counts as 0: epoch 17 is a step of 17")
case("epoch-step-fresh-16-ok", ["5.3/epoch-step"], "delta", delta(epoch=16, ops=[]), "ok")
case("epoch-step-before-gap", ["5.3/epoch-step", "3.3/order"], "delta",
     delta(epoch=40, seq=5, prev=b"\x01" * 32, ops=[]), "epoch-step", apply=[D1])
case("prev-mismatch", ["5.4/prev"], "delta",
     delta(seq=2, prev=b"\x07" * 32, ops=[], created=T0 + 60), "bad-prev", apply=[D1], now=T0 + 60)
case("duplicate", ["5.4/replay"], "delta", D1, "duplicate", apply=[D1, D2], now=T0 + 60)
case("stale-epoch", ["5.4/replay"], "delta", D1, "stale",
     apply=[delta(epoch=2, ops=[])], now=T0)
D1B = delta(ops=[lst(reason=2)])
case("equivocation", ["5.5/freeze"], "delta", D1B, "equivocation", apply=[D1, D2], now=T0 + 60)
case("frozen", ["5.5/freeze"], "delta", D1, "frozen", frozen=[A.id])
case("frozen-after-equivocation", ["5.5/freeze"], "delta", D2, "frozen", apply=[D1],
     frozen=[A.id], now=T0 + 60)
case("frozen-other-origin-ok", ["5.5/freeze"], "delta", D1, "ok", frozen=[B.id])

# -- heads, catch-up request (6.2, 6.3)
case("heads-ok", ["3.1/field-count"], "heads", seal(2, pack([T0, [[A.id, 1, 2, H2]]]), B), "ok")
case("heads-dup-origin", ["5.1/unique"], "heads",
     seal(2, pack([T0, [[A.id, 1, 2, H2], [A.id, 1, 3, H2]]]), B), "duplicate-entry")
case("heads-4097", ["3.1/bounds"], "heads",
     seal(2, pack([T0, [0] * 4097]), B), "limit")
case("heads-seq-0", ["3.1/ranges"], "heads", seal(2, pack([T0, [[A.id, 1, 0, H2]]]), B), "range")
case("heads-epoch-0", ["3.1/ranges"], "heads", seal(2, pack([T0, [[A.id, 0, 1, H2]]]), B),
     "range")
case("heads-empty-entry", ["3.1/depth", "3.1/field-count"], "heads",
     seal(2, pack([T0, [[]]]), B), "field-count", note="an empty array at depth 3 is allowed")
case("catchup-req-ok", ["3.1/ranges"], "catchup-request", seal(3, pack([A.id, 1, 0, 100]), B),
     "ok")
case("catchup-req-max-after-seq", ["3.1/ranges"], "catchup-request",
     seal(3, pack([A.id, 1, 2 ** 64 - 3, 1]), B), "ok")
case("catchup-req-after-seq-2pow64-2", ["3.1/ranges"], "catchup-request",
     seal(3, pack([A.id, 1, 2 ** 64 - 2, 1]), B), "range")
case("catchup-req-max-0", ["3.1/ranges"], "catchup-request", seal(3, pack([A.id, 1, 0, 0]), B),
     "range")
case("catchup-req-max-1025", ["3.1/ranges"], "catchup-request",
     seal(3, pack([A.id, 1, 0, 1025]), B), "range")
case("catchup-req-5-fields", ["3.1/field-count"], "catchup-request",
     seal(3, pack([A.id, 1, 0, 1, 0]), B), "field-count",
     note="one field too many: the field-count outcome, not limit")
case("catchup-req-depth", ["3.1/depth"], "catchup-request",
     seal(3, pack([A.id, 1, 0, [1]]), B), "depth")

# -- snapshot requests (6.8)

case("snapshot-req-newest", ["3.1/ranges"], "snapshot-request",
     seal(8, pack([A.id, 1, 0, 0]), B), "ok")
case("snapshot-req-named", ["3.1/ranges"], "snapshot-request",
     seal(8, pack([A.id, 1, 2 ** 64 - 2, 65535]), B), "ok")
case("snapshot-req-seq-2pow64-1", ["3.1/ranges"], "snapshot-request",
     seal(8, pack([A.id, 1, 2 ** 64 - 1, 0]), B), "range")
case("snapshot-req-chunk-65536", ["3.1/ranges"], "snapshot-request",
     seal(8, pack([A.id, 1, 5, 65536]), B), "range")
case("snapshot-req-newest-chunk-1", ["3.1/ranges"], "snapshot-request",
     seal(8, pack([A.id, 1, 0, 1]), B), "range",
     note="seq 0 asks for the newest snapshot, whose chunk 0 comes first")
case("snapshot-req-epoch-0", ["3.1/ranges"], "snapshot-request",
     seal(8, pack([A.id, 0, 0, 0]), B), "range")
case("snapshot-req-as-catchup", ["3.3/expected-type"], "catchup-request",
     seal(8, pack([A.id, 1, 0, 0]), B), "unexpected-type")

# -- catch-up responses (6.4)


def resp(items, after_seq=0, status=0, more=False, epoch=1, key=A, origin=None):
    return seal(4, pack([A.id if origin is None else origin, epoch, after_seq, status, more,
                         items]), key)


case("catchup-resp-ok", ["6.4/items"], "catchup-response", resp([D1, D2]), "ok",
     items=["ok", "ok"], now=T0 + 60)
case("catchup-resp-after-seq-2pow64-1", ["6.4/items", "3.1/ranges"], "catchup-response",
     resp([], after_seq=2 ** 64 - 1), "range")
case("catchup-resp-after-seq-2pow64-2", ["6.4/items", "3.1/ranges"], "catchup-response",
     resp([], after_seq=2 ** 64 - 2), "range")
case("catchup-resp-after-seq-2pow64-3", ["3.1/ranges"], "catchup-response",
     resp([], after_seq=2 ** 64 - 3), "ok", items=[])
case("catchup-resp-garbage-item", ["6.4/items"], "catchup-response", resp([b"\x01"]), "bad-item")
case("catchup-resp-heads-item", ["6.4/items"], "catchup-response",
     resp([seal(2, pack([T0, []]), B)]), "bad-item")
case("catchup-resp-truncated-item", ["6.4/items"], "catchup-response",
     resp([D1, D2[:40]]), "bad-item")
case("catchup-resp-empty-item", ["6.4/items"], "catchup-response", resp([b""]), "bad-item")
case("catchup-resp-item-str", ["3.1/types"], "catchup-response",
     seal(4, pack([A.id, 1, 0, 0, False, ["x"]]), A), "field-type")
case("catchup-resp-status-3", ["3.1/ranges"], "catchup-response", resp([], status=3), "range")
case("catchup-resp-unknown-with-delta", ["3.1/ranges"], "catchup-response",
     resp([D1], status=1), "range")
case("catchup-resp-compacted-more", ["3.1/ranges"], "catchup-response",
     resp([], status=2, more=True), "range")
case("catchup-resp-1025", ["3.1/bounds"], "catchup-response",
     resp([b"\x01"] * 1025), "limit")
case("catchup-resp-order-status-before-items", ["3.3/order"], "catchup-response",
     resp([b"\x01"], status=1), "range",
     note="the status rule relates fields: it comes before the items")
case("catchup-resp-bad-signature-item", ["6.4/items"], "catchup-response",
     resp([D1, D2[:-1] + bytes([D2[-1] ^ 1])]), "ok", items=["ok", "bad-signature"],
     note="item signatures are verified when the receiver applies them")
case("catchup-resp-item-out-of-order", ["6.4/items"], "catchup-response", resp([D2, D1]),
     "ok", items=["bad-item"], now=T0 + 60,
     note="item 0 must be seq after_seq + 1; the receiver stops at the first bad item")
case("catchup-resp-item-other-epoch", ["6.4/items"], "catchup-response",
     resp([delta(epoch=2, ops=[])], epoch=1), "ok", items=["bad-item"])
case("catchup-resp-item-after-seq", ["6.4/items"], "catchup-response",
     resp([D2, D3], after_seq=1), "ok", items=["ok", "ok"], apply=[D1], now=T0 + 120)
case("catchup-resp-item-gap", ["6.4/items"], "catchup-response",
     resp([D3], after_seq=2), "ok", items=["gap"], apply=[D1], now=T0 + 120,
     note="a well-formed item is applied as a delta (5.4): here a gap")
case("catchup-resp-by-relay-b", ["6.4/items"], "catchup-response",
     resp([D1], key=B), "ok", items=["ok"], note="any known agent may carry A's deltas")

# -- snapshot (6.5)


def snap(ops, chunk=0, nchunks=1):
    return seal(5, pack([A.id, 1, 2, H2, T0 + 180, chunk, nchunks, ops]), A)


case("snapshot-ok", ["6.5/no-withdraw"], "snapshot", snap([lst(expires=T0 + 600), [3, P6, "x"]]),
     "ok")
case("snapshot-delist", ["6.5/no-withdraw"], "snapshot", snap([[2, P4]]), "unknown-operation")
case("snapshot-unexclude", ["6.5/no-withdraw"], "snapshot", snap([[4, P4]]),
     "unknown-operation")
case("snapshot-disputes-ok", ["5.6/dispute"], "snapshot",
     snap([[5, P4, b"", 1, ""], [6, P6, DID, 2, ""], [7, P4, bytes(16), 4, ""]]), "ok")
case("snapshot-undispute", ["5.6/dispute", "6.5/no-withdraw"], "snapshot", snap([[8, P4]]),
     "unknown-operation")
case("snapshot-chunk-past-end", ["3.1/ranges"], "snapshot", snap([], chunk=1, nchunks=1), "range")
case("snapshot-65537-chunks", ["3.1/ranges"], "snapshot", snap([], nchunks=65537), "range")
case("snapshot-0-chunks", ["3.1/ranges"], "snapshot", snap([], nchunks=0), "range")
case("snapshot-dup", ["5.1/unique"], "snapshot", snap([lst(expires=T0 + 600), [3, P4, ""]]),
     "duplicate-entry")

# -- rollover (6.6) and revocation (6.7)


def rollover(old, new, created=T0 + DAY, until=T0 + 8 * DAY, signer=None, origin=None,
             counter_key=None):
    origin = A.id if origin is None else origin
    cin = (b"BLFED-ROLLOVER\x00" + origin + old.pk + new.pk + created.to_bytes(8, "big") +
           until.to_bytes(8, "big"))
    counter = (counter_key or new).sk.sign(cin).signature
    return seal(6, pack([origin, old.pk, new.pk, created, until, counter]), signer or old)


RO = rollover(A, C)
U = T0 + 8 * DAY
case("rollover-ok", ["6.6/signer", "6.6/counter", "6.6/replay"], "rollover", RO, "ok",
     now=T0 + DAY)
case("rollover-signed-by-new-key", ["6.6/signer"], "rollover", rollover(A, C, signer=C),
     "wrong-signer",
     keys=DEFAULT_KEYS + [(C.pk, C.id, "current")], now=T0 + DAY,
     note="a known key that is not old_pk signs the rollover")
case("rollover-signed-by-b", ["6.6/signer"], "rollover", rollover(A, C, signer=B), "wrong-signer",
     now=T0 + DAY)
case("rollover-bad-counter", ["6.6/counter"], "rollover", rollover(A, C, counter_key=B),
     "bad-counter-signature", now=T0 + DAY)
case("rollover-same-key", ["3.1/ranges"], "rollover", rollover(A, A), "range", now=T0 + DAY)
case("rollover-overlap-91d", ["3.1/ranges"], "rollover",
     rollover(A, C, until=T0 + DAY + 90 * DAY + 1), "range", now=T0 + DAY)
case("rollover-overlap-0-ok", ["3.1/ranges"], "rollover",
     rollover(A, C, until=T0 + DAY), "ok", now=T0 + DAY)
case("rollover-7-fields", ["3.1/field-count"], "rollover",
     seal(6, b"\x97" + msgpack.unpackb(RO, raw=True)[3][1:] + b"\x00", A), "field-count",
     note="one field too many: the field-count outcome, not limit")
case("rollover-replayed", ["6.6/replay"], "rollover", RO, "stale", apply=[RO],
     now=T0 + 2 * DAY, note="the same handover again, within the overlap")
case("rollover-replayed-after-overlap", ["6.6/replay", "6.6/overlap"], "rollover", RO,
     "expired-key", apply=[RO], now=U, note="the signer (the old key) is no longer valid")
case("overlap-old-key-before-end", ["6.6/overlap"], "delta", delta(created=U - 1, ops=[]), "ok",
     apply=[RO], now=U - 1, note="signed by the old key one second before overlap_until")
case("overlap-old-key-at-end", ["6.6/overlap"], "delta", delta(created=U, ops=[]), "expired-key",
     apply=[RO], now=U, note="at the instant overlap_until the old key is no longer valid")
case("overlap-new-key", ["6.6/overlap"], "delta", delta(key=C, created=U, ops=[]), "ok",
     apply=[RO], now=U, note="the new key signs for the origin A")
case("rollover-other-origin", ["6.6/signer"], "rollover",
     rollover(B, C, origin=A.id), "policy", now=T0 + DAY,
     note="B hands over origin A, which B's key does not belong to")
case("rollover-old-key-not-current", ["6.6/replay"], "rollover",
     rollover(A, X, created=T0 + 2 * DAY, until=T0 + 3 * DAY), "policy", apply=[RO],
     now=T0 + 2 * DAY, note="A, now an old key within its overlap, hands over again")
case("rollover-new-key-of-other-origin", ["6.6/signer"], "rollover", rollover(A, B), "policy",
     now=T0 + DAY, note="the new key is already origin B's key")
case("rollover-future", ["5.3/future"], "rollover",
     rollover(A, C, created=T0 + DAY + 601, until=T0 + 2 * DAY), "future", now=T0 + DAY)
REV = seal(7, pack([A.id, A.pk, T0 + 2 * DAY, 2]), A)
case("revocation-by-current-key", ["6.7/revoked"], "revocation",
     seal(7, pack([A.id, A.pk, T0 + 2 * DAY, 2]), C), "ok", apply=[RO], now=T0 + 2 * DAY,
     note="the origin's current key C revokes the old key A")
case("revocation-by-other-origin", ["6.7/revoked"], "revocation",
     seal(7, pack([A.id, A.pk, T0, 1]), B), "policy",
     note="B is neither the revoked key nor a current key of origin A")
case("revocation-not-a-key-of-origin", ["6.7/revoked"], "revocation",
     seal(7, pack([A.id, X.pk, T0, 1]), A), "unknown-key")
case("revocation-future", ["5.3/future"], "revocation",
     seal(7, pack([A.id, A.pk, T0 + 601, 1]), A), "future")
case("revocation-ok", ["6.7/revoked"], "revocation", REV, "ok", now=T0 + 2 * DAY)
case("revocation-replayed", ["6.7/revoked"], "revocation", REV, "stale", apply=[REV],
     now=T0 + 2 * DAY, note="signed by a revoked key, which may still sign its own revocation")
case("revocation-reason-4", ["3.1/ranges"], "revocation",
     seal(7, pack([A.id, A.pk, T0, 4]), A), "range")
case("revocation-5-fields", ["3.1/field-count"], "revocation",
     seal(7, pack([A.id, A.pk, T0, 1, 0]), A), "field-count",
     note="one field too many: the field-count outcome, not limit")
case("revoked-key-delta", ["6.7/revoked"], "delta", delta(created=T0 + 2 * DAY), "revoked-key",
     apply=[REV], now=T0 + 2 * DAY)
case("revoked-key-rollover", ["6.7/revoked"], "rollover", RO, "revoked-key", apply=[REV],
     now=T0 + 2 * DAY)

# -- snapshot sets as the base of a log (6.5)


def snapc(ops=None, chunk=0, nchunks=1, epoch=1, seq=2, head=None, created=T0 + 180, key=A,
          origin=None):
    """One chunk of a snapshot of A's log, by default after D2."""
    if ops is None:
        ops = [lst(expires=T0 + 600)]
    return seal(5, pack([A.id if origin is None else origin, epoch, seq,
                         H2 if head is None else head, created, chunk, nchunks, ops]), key)


H3 = msg_hash(D3)
S2 = snapc()  # A's state after D2, one chunk
C0 = snapc([lst(expires=T0 + 600)], 0, 2)
C1 = snapc([[3, P6, "x"]], 1, 2)
SET = ["6.5/set"]
BASE = ["6.5/base"]
case("snapset-one-ok", SET + BASE, "snapshot-set", [S2], "ok", now=T0 + 180,
     note="no log held: a complete set of one chunk becomes the base")
case("snapset-two-ok", SET, "snapshot-set", [C0, C1], "ok", now=T0 + 180)
case("snapset-any-order-ok", SET, "snapshot-set", [C1, C0], "ok", now=T0 + 180,
     note="chunks may arrive in any order")
case("snapset-missing-chunk", SET, "snapshot-set", [C0], "range", now=T0 + 180,
     note="chunk 0 of 2 alone is not a complete set")
case("snapset-chunk-twice", SET, "snapshot-set", [C0, C0], "range", now=T0 + 180)
case("snapset-seq-differs", SET, "snapshot-set", [C0, snapc([[3, P6, "x"]], 1, 2, seq=3)],
     "range", now=T0 + 180)
case("snapset-head-differs", SET, "snapshot-set",
     [C0, snapc([[3, P6, "x"]], 1, 2, head=H1)], "range", now=T0 + 180)
case("snapset-created-differs", SET, "snapshot-set",
     [C0, snapc([[3, P6, "x"]], 1, 2, created=T0 + 181)], "range", now=T0 + 180)
case("snapset-nchunks-differs", SET, "snapshot-set", [C0, snapc([[3, P6, "x"]], 1, 3)], "range",
     now=T0 + 180, note="chunk 1 says 3 chunks, chunk 0 says 2")
case("snapset-prefix-twice", SET, "snapshot-set", [C0, snapc([[3, P4, ""]], 1, 2)],
     "duplicate-entry", now=T0 + 180, note="192.0.2.0/24 listed in chunk 0, excluded in chunk 1")
case("snapset-signed-for-other-origin", SET, "snapshot-set", [snapc(key=B)], "unknown-key",
     now=T0 + 180, note="B is a known key, but not one of origin A's")
bad = bytearray(C1)
bad[-1] ^= 1
case("snapset-bad-signature", SET, "snapshot-set", [C0, bytes(bad)], "bad-signature",
     now=T0 + 180, note="every chunk is verified on its own")
case("snapset-chunk-before-set", SET + ["3.3/order"], "snapshot-set",
     [snapc([[3, P6, "x"]], 1, 3), bytes(bad)], "bad-signature", now=T0 + 180,
     note="the chunks on their own come before the set rules")
case("snapset-future", BASE + ["5.3/future"], "snapshot-set",
     [snapc(created=T0 + 601, ops=[lst(expires=T0 + 1000)])], "future", now=T0)
case("snapset-future-600-ok", BASE + ["5.3/future"], "snapshot-set",
     [snapc(created=T0 + 600, ops=[lst(expires=T0 + 1000)])], "ok", now=T0)
case("snapset-frozen", BASE + ["5.5/freeze"], "snapshot-set", [S2], "frozen", now=T0 + 180,
     frozen=[A.id])
case("snapset-future-before-frozen", BASE + ["3.3/order"], "snapshot-set",
     [snapc(created=T0 + 601, ops=[lst(expires=T0 + 1000)])], "future", now=T0,
     frozen=[A.id], note="for a snapshot the clock comes before the freeze")
case("snapset-stale-epoch", BASE, "snapshot-set", [S2], "stale", now=T0 + 180,
     apply=[delta(epoch=2, ops=[])], note="the receiver holds epoch 2")
case("snapset-stale-seq", BASE, "snapshot-set", [S2], "stale", now=T0 + 180,
     apply=[D1, D2, D3], note="the receiver holds seq 3; the snapshot is of seq 2")
case("snapset-duplicate", BASE, "snapshot-set", [S2], "duplicate", now=T0 + 180,
     apply=[D1, D2], note="exactly the head held: nothing to do")
case("snapset-other-head", BASE, "snapshot-set", [snapc(head=H1)], "bad-prev", now=T0 + 180,
     apply=[D1, D2], note="seq 2 held with another hash than the snapshot's head")
case("snapset-newer-seq-ok", BASE, "snapshot-set", [S2], "ok", now=T0 + 180, apply=[D1],
     note="seq 1 held; the snapshot of seq 2 replaces the state")
case("snapset-newer-epoch-ok", BASE, "snapshot-set", [snapc(epoch=2, seq=5, head=b"\x05" * 32)],
     "ok", now=T0 + 180, apply=[D1, D2], note="a new epoch at any seq")
case("snapset-epoch-step-fresh-16-ok", BASE + ["5.3/epoch-step"], "snapshot-set",
     [snapc(epoch=16)], "ok", now=T0 + 180)
case("snapset-epoch-step-fresh-17", BASE + ["5.3/epoch-step"], "snapshot-set",
     [snapc(epoch=17)], "epoch-step", now=T0 + 180, note="no epoch held counts as 0")
case("snapset-epoch-step-16-ok", BASE + ["5.3/epoch-step"], "snapshot-set", [snapc(epoch=17)],
     "ok", now=T0 + 180, apply=[D1], note="from epoch 1 to 17")
case("snapset-epoch-step-17", BASE + ["5.3/epoch-step"], "snapshot-set", [snapc(epoch=18)],
     "epoch-step", now=T0 + 180, apply=[D1], note="from epoch 1 to 18")
case("base-next-ok", BASE, "delta", D3, "ok", now=T0 + 180, apply=[S2],
     note="after a snapshot of seq 2 the log continues at seq 3 with prev = head")
case("base-next-bad-prev", BASE, "delta",
     delta(seq=3, prev=b"\x07" * 32, ops=[], created=T0 + 120), "bad-prev", now=T0 + 180,
     apply=[S2])
case("base-at-seq-stale", BASE, "delta", D2, "stale", now=T0 + 180, apply=[S2],
     note="the receiver holds no delta at or below the snapshot's seq to compare")
case("base-below-seq-stale", BASE, "delta", D1, "stale", now=T0 + 180, apply=[S2])
case("base-gap", BASE, "delta", delta(seq=4, prev=H3, ops=[], created=T0 + 180), "gap",
     now=T0 + 180, apply=[S2])
case("base-new-epoch-ok", BASE, "delta", delta(epoch=2, ops=[], created=T0 + 180), "ok",
     now=T0 + 180, apply=[S2])
case("base-same-snapshot-duplicate", BASE, "snapshot-set", [S2], "duplicate", now=T0 + 180,
     apply=[S2])

# -- times (3.1 rule 5): at most 2^32-1
case("time-created-max-ok", ["3.1/time"], "delta", delta(created=M32, ops=[]), "ok", now=M32)
case("time-created-2pow32", ["3.1/time"], "delta", delta(created=M32 + 1, ops=[]), "range",
     now=M32 + 1)
case("time-created-2pow64-1", ["3.1/time", "3.3/order"], "delta",
     delta(created=2 ** 64 - 1, ops=[]), "range",
     note="the field's range comes before the clock (5.4 step 1)")
case("time-expires-max-ok", ["3.1/time"], "delta",
     delta(created=M32 - DAY, ops=[lst(expires=M32)]), "ok", now=M32 - DAY)
case("time-expires-2pow32", ["3.1/time"], "delta",
     delta(created=M32 - DAY, ops=[lst(expires=M32 + 1)]), "range", now=M32 - DAY,
     note="within 400 days of created, but past 2^32-1: range, before the expiry rule")
case("time-heads-max-ok", ["3.1/time"], "heads", seal(2, pack([M32, []]), B), "ok")
case("time-heads-2pow32", ["3.1/time"], "heads", seal(2, pack([M32 + 1, []]), B), "range")
case("time-snapshot-2pow32", ["3.1/time"], "snapshot", snapc(created=M32 + 1, ops=[]), "range")
case("time-rollover-until-max-ok", ["3.1/time"], "rollover",
     rollover(A, C, created=M32 - DAY, until=M32), "ok", now=M32 - DAY)
case("time-rollover-until-2pow32", ["3.1/time"], "rollover",
     rollover(A, C, created=M32 - DAY, until=M32 + 1), "range", now=M32 - DAY)
case("time-revocation-2pow32", ["3.1/time"], "revocation",
     seal(7, pack([A.id, A.pk, M32 + 1, 1]), A), "range")

# ---- output ------------------------------------------------------------------


def hexs(b):
    return b.hex()


def write():
    cover = {m: [0, 0] for m in MUSTS}
    names = set()
    out = ["# blfed conformance cases (SPEC 10.3).  Generated by gen.py; format in README.md.\n"]
    for c in cases:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        for m in c["must"]:
            cover[m][0 if c["expect"] == "ok" else 1] += 1
        out.append("\ncase %s\n" % c["name"])
        if c["note"]:
            out.append("note %s\n" % c["note"])
        out.append("must %s\n" % " ".join(c["must"]))
        out.append("as %s\n" % c["as_"])
        out.append("now %d\n" % c["now"])
        for pk, origin, state in c["keys"]:
            out.append("key %s %s %s\n" % (hexs(pk), hexs(origin), state))
        for o in c["frozen"]:
            out.append("frozen %s\n" % hexs(o))
        for a in c["apply"]:
            out.append("apply %s\n" % hexs(a))
        if isinstance(c["data"], list):
            for chunk in c["data"]:
                out.append("chunk %s\n" % hexs(chunk))
        elif isinstance(c["data"], Zeros):
            out.append("zeros %d\n" % len(c["data"]))
        else:
            out.append("input %s\n" % hexs(c["data"]))
        out.append("expect %s\n" % c["expect"])
        if c["items"] is not None:
            out.append("items%s\n" % "".join(" " + i for i in c["items"]))
        out.append("end\n")
    missing = [m for m, (ok, bad) in cover.items() if ok == 0 or bad == 0]
    if missing:
        sys.exit("MUSTs without an accepting and a refusing case: " + ", ".join(missing))
    with open(os.path.join(HERE, "cases.txt"), "w") as f:
        f.write("".join(out))
    rows = ["# Requirements and their cases\n\n",
            "Generated by gen.py.  Each requirement of SPEC.md that a receiver can be\n",
            "tested on, with the number of cases that accept and refuse for it.\n",
            "The second table maps every MUST of SPEC.md to these ids, or says why\n",
            "no single input can test it (SPEC 10.3).\n\n",
            "| id | requirement | accepting | refusing |\n|---|---|---:|---:|\n"]
    for m, text in MUSTS.items():
        rows.append("| %s | %s | %d | %d |\n" % (m, text, cover[m][0], cover[m][1]))
    rows += ["\n## Every MUST of SPEC.md\n\n",
             "| section | requirement | tested by |\n|---|---|---|\n"]
    for sec, text, ids in SPEC_MUSTS:
        for i in ids.split():
            assert i in MUSTS or not i[0].isdigit() or "(" in ids, i
        rows.append("| %s | %s | %s |\n" % (sec, text, ids))
    with open(os.path.join(HERE, "MUSTS.md"), "w") as f:
        f.write("".join(rows))
    print("gen: %d cases, %d requirements covered" % (len(cases), len(MUSTS)))


def ed25519_vectors():
    """SPEC 10.2: bare Ed25519 vectors over one short message, each with
    what SPEC 3.2 (libsodium) says and what a lax verifier would say."""
    msg = b"blfed SPEC 3.2"
    s0 = 0x1234567
    vec = []

    def add(name, pk, sig, why):
        vec.append((name, pk, sig, "valid" if ed.verify(sig, msg, pk) else "invalid", why))

    add("good", A.pk, A.sk.sign(msg).signature, "key A signs normally")
    good = A.sk.sign(msg).signature
    add("s-plus-l", A.pk, good[:32] + (int.from_bytes(good[32:], "little") + ed.L)
        .to_bytes(32, "little"), "rule 1: S + L")
    add("identity-key", ID, ed.encode(ed.mul(s0, ed.B)) + s0.to_bytes(32, "little"),
        "rule 4: key 01 00..00 'signs' anything")
    add("noncanonical-identity-key", NC_ID,
        ed.encode(ed.mul(s0, ed.B)) + s0.to_bytes(32, "little"), "rules 3, 4: key y = p + 1")
    add("noncanonical-key", NC_KEY, ed.encode(ed.mul(s0, ed.B)) + s0.to_bytes(32, "little"),
        "rule 3: key y = p + %d" % (int.from_bytes(NC_KEY, "little") - ed.Q))
    add("identity-r", A.pk, ed.sign_with_scalar(A.scalar, A.pk, msg, 0, R=ID),
        "rule 2: R = identity, S = h a")
    add("noncanonical-identity-r", A.pk, ed.sign_with_scalar(A.scalar, A.pk, msg, 0, R=NC_ID),
        "rule 2: R = p + 1, S = h a")
    add("order8-r", A.pk, ed.sign_with_scalar(A.scalar, A.pk, msg, 0, R=ed.SMALL_ORDER[2]),
        "rules 2, 6: R of order 8 (a cofactored verifier accepts)")
    r = 1
    while ed.h_scalar(ed.encode(ed.mul(r, ed.B)), MIX, msg) % 8 != 0:
        r += 1
    add("mixed-order-key", MIX, ed.sign_with_scalar(A.scalar, MIX, msg, r),
        "rule 6: key [a]B + T8, h = 0 mod 8: cofactorless equation holds")
    r += 1
    while ed.h_scalar(ed.encode(ed.mul(r, ed.B)), MIX, msg) % 8 == 0:
        r += 1
    add("mixed-order-key-h-odd", MIX, ed.sign_with_scalar(A.scalar, MIX, msg, r),
        "rule 6: the same key, h != 0 mod 8 (a cofactored verifier accepts)")
    lines = ["# SPEC 10.2 Ed25519 vectors: name pk msg sig verdict.  Generated by "
             "tests/conformance/gen.py.\n"]
    for name, pk, sig, verdict, why in vec:
        lines.append("%s %s %s %s %s\n" % (name, pk.hex(), msg.hex(), sig.hex(), verdict))
    with open(os.path.join(os.path.dirname(HERE), "vectors", "ed25519.txt"), "w") as f:
        f.write("".join(lines))
    return vec


if __name__ == "__main__":
    write()
    ed25519_vectors()
