#!/usr/bin/python3
"""make_corpus.py - (re)generate the protocol corpora under tests/corpus/.

  hostile/NAME.bin + hostile/EXPECTED   hostile inputs and the exact outcome
                                        each must get (checked by test_corpus)
  delta/ snapshot/ heads/ catchup_req/ catchup_resp/ rollover/ revocation/
  envelope/                             valid seeds for the fuzz targets

The files are committed; this script documents how they were made and is
only run again when the protocol changes.  It uses Python msgpack and PyNaCl,
not blfed's code, so the hostile inputs are built independently.
"""
import hashlib
import os
import struct

import msgpack
from nacl.signing import SigningKey

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(os.path.dirname(HERE), "vectors")
T0 = 1767225600


def seed(first):
    return bytes((first + i) & 0xFF for i in range(32))


def keyid(pk):
    return hashlib.blake2b(b"BLFED-KEYID\x00" + pk, digest_size=16).digest()


def pack(o):
    return msgpack.packb(o, use_bin_type=True)


def seal_raw(mtype, body, sk, version=1):
    signer = keyid(bytes(sk.verify_key))
    inp = b"BLFED-SIG\x00" + bytes([version, mtype]) + signer + body
    return pack([version, mtype, signer, body, sk.sign(inp).signature])


def vec(name):
    with open(os.path.join(VEC, name + ".hex")) as f:
        return bytes.fromhex("".join(f.read().split()))


def write(d, name, data):
    os.makedirs(os.path.join(HERE, d), exist_ok=True)
    with open(os.path.join(HERE, d, name), "wb") as f:
        f.write(data)


A = SigningKey(seed(0x00))
X = SigningKey(seed(0x60))  # a key no test table knows
IDA = keyid(bytes(A.verify_key))
P4 = bytes([192, 0, 2, 0, 24])


def lst(prefix=P4, reason=1, expires=T0 + 60, ref=""):
    return [1, prefix, reason, expires, ref]


def delta_body(ops, seq=1, prev=bytes(32), epoch=1, origin=IDA, created=T0):
    return pack([origin, epoch, seq, prev, created, ops])


def signed_delta(ops, **kw):
    return seal_raw(1, delta_body(ops, **kw), A)


hostile = []  # (file, decoder, expected)


def h(name, decoder, expected, data):
    write("hostile", name + ".bin", data)
    hostile.append((name + ".bin", decoder, expected))


d1 = vec("delta1")
# -- envelope level (decoder "delta-open": blf_delta_open with keys A, B, C)
h("empty", "delta-open", "BLF_ETRUNC", b"")
h("truncated-half", "delta-open", "BLF_ETRUNC", d1[: len(d1) // 2])
h("trailing-zero", "delta-open", "BLF_ETRAILING", d1 + b"\x00")
h("map", "delta-open", "BLF_EMSGPACK", pack({"version": 1}))
h("nil", "delta-open", "BLF_EMSGPACK", b"\xc0")
h("array32-huge", "delta-open", "BLF_ETRUNC", b"\xdd\xff\xff\xff\xff\x01")
h("bin32-huge", "delta-open", "BLF_ETRUNC", b"\x95\x01\x01\xc6\xff\xff\xff\xf0")
h("deep-nesting", "delta-open", "BLF_EDEPTH", b"\x91" * 100000 + b"\x01")
h("version-2", "delta-open", "BLF_EVERSION", seal_raw(1, delta_body([lst()]), A, version=2))
h("type-9", "delta-open", "BLF_EUNKTYPE", seal_raw(9, b"\x90", A))
h("heads-as-delta", "delta-open", "BLF_EWRONGTYPE", vec("heads"))
h("noncanon-version", "delta-open", "BLF_ENONCANON", b"\x95\xcc\x01" + d1[2:])
h("float-type", "delta-open", "BLF_EMSGPACK", b"\x95\x01\xca\x00\x00\x80\x3f" + d1[3:])
h("unknown-signer", "delta-open", "BLF_EUNKKEY", seal_raw(1, delta_body([lst()]), X))
bad = bytearray(d1)
bad[-1] ^= 0x01
h("bad-signature", "delta-open", "BLF_EBADSIG", bytes(bad))
bad = bytearray(d1)
bad[60] ^= 0x01  # inside the body
h("body-bit-flip", "delta-open", "BLF_EBADSIG", bytes(bad))
# -- validly signed bodies with hostile content
many = [lst(prefix=bytes([10, i >> 8 & 255, i & 255, 0, 24])) for i in range(10001)]
h("ops-10001", "delta-open", "BLF_ELIMIT", signed_delta(many))
h("dup-prefix", "delta-open", "BLF_EDUP", signed_delta([lst(), [2, P4]]))
h("expiry-beyond-ttl", "delta-open", "BLF_EEXPIRY", signed_delta([lst(expires=T0 + 400 * 86400 + 1)]))
h("expiry-before-created", "delta-open", "BLF_EEXPIRY", signed_delta([lst(expires=T0 - 1)]))
h("ref-newline", "delta-open", "BLF_ESTRING", signed_delta([lst(ref="x\nmalicious.zone. A 1.2.3.4")]))
h("ref-256", "delta-open", "BLF_ETOOBIG", signed_delta([lst(ref="a" * 256)]))
h("ref-bad-utf8", "delta-open", "BLF_ESTRING", seal_raw(1, delta_body([[1, P4, 1, T0 + 60, "x"]]).replace(b"\xa1x", b"\xa1\xff"), A))
h("host-bits", "delta-open", "BLF_EHOSTBITS", signed_delta([lst(prefix=bytes([192, 0, 2, 1, 24]))]))
h("prefix-len-33", "delta-open", "BLF_EPREFIXLEN", signed_delta([lst(prefix=bytes([192, 0, 2, 1, 33]))]))
h("prefix-6-bytes", "delta-open", "BLF_ESIZE", signed_delta([lst(prefix=bytes(6))]))
h("mapped-v6", "delta-open", "BLF_EMAPPED", signed_delta([lst(prefix=bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 0]) + bytes([120]))]))
h("op-type-9", "delta-open", "BLF_EOPTYPE", signed_delta([[9, P4]]))  # 5-8: disputes (1.2)
DID = bytes(range(16))
h("dispute-target-15", "delta-open", "BLF_ESIZE", signed_delta([[5, P4, IDA[:15], 1, ""]]))
h("dispute-code-0", "delta-open", "BLF_EREASON", signed_delta([[5, P4, b"", 0, ""]]))
h("answers-same-id", "delta-open", "BLF_EDUP", signed_delta([[6, P4, DID, 2, ""], [7, P4, DID, 4, ""]]))
h("uphold-id-str", "delta-open", "BLF_ETYPE", signed_delta([[6, P4, "x" * 16, 2, ""]]))
h("reason-0", "delta-open", "BLF_EREASON", signed_delta([lst(reason=0)]))
h("seq-0", "delta-open", "BLF_ESEQ", signed_delta([lst()], seq=0))
h("seq1-with-prev", "delta-open", "BLF_EPREV", signed_delta([lst()], prev=b"\x01" * 32))
h("epoch-0", "delta-open", "BLF_ERANGE", signed_delta([lst()], epoch=0))
h("origin-15", "delta-open", "BLF_ESIZE", signed_delta([lst()], origin=IDA[:15]))
h("body-not-array", "delta-open", "BLF_ETYPE", seal_raw(1, pack(1), A))
h("body-7-fields", "delta-open", "BLF_EFIELDS", seal_raw(1, pack([IDA, 1, 1, bytes(32), T0, [], 0]), A))
h("ops-as-map", "delta-open", "BLF_EMSGPACK", seal_raw(1, pack([IDA, 1, 1, bytes(32), T0, {}]), A))
h("negative-seq", "delta-open", "BLF_EMSGPACK", seal_raw(1, pack([IDA, 1, -1, bytes(32), T0, []]), A))
# -- other decoders (bodies)
h("heads-dup-origin", "heads-body", "BLF_EDUP", pack([T0, [[IDA, 1, 1, bytes(32)], [IDA, 1, 2, bytes(32)]]]))
h("heads-4097", "heads-body", "BLF_ELIMIT", pack([T0, [[IDA, 1, 1, bytes(32)]] * 4097]))
h("catchup-req-max-0", "catchup-req-body", "BLF_ERANGE", pack([IDA, 1, 0, 0]))
h("catchup-req-max-1025", "catchup-req-body", "BLF_ERANGE", pack([IDA, 1, 0, 1025]))
h("catchup-resp-status-3", "catchup-resp-body", "BLF_ERANGE", pack([IDA, 1, 0, 3, False, []]))
h("catchup-resp-unknown-with-delta", "catchup-resp-body", "BLF_ERANGE", pack([IDA, 1, 0, 1, False, [b"x"]]))
h("catchup-resp-1025", "catchup-resp-body", "BLF_ELIMIT", pack([IDA, 1, 0, 0, True, [b"x"] * 1025]))
h("snapshot-delist", "snapshot-body", "BLF_EOPTYPE", pack([IDA, 1, 2, bytes(32), T0, 0, 1, [[2, P4]]]))
h("snapshot-undispute", "snapshot-body", "BLF_EOPTYPE", pack([IDA, 1, 2, bytes(32), T0, 0, 1, [[8, P4]]]))
h("snapshot-chunk-past-end", "snapshot-body", "BLF_ECHUNK", pack([IDA, 1, 2, bytes(32), T0, 1, 1, []]))
h("snapshot-65537-chunks", "snapshot-body", "BLF_ECHUNK", pack([IDA, 1, 2, bytes(32), T0, 0, 65537, []]))
pka = bytes(A.verify_key)
h("rollover-same-key", "rollover-body", "BLF_ERANGE", pack([IDA, pka, pka, T0, T0, bytes(64)]))
h("rollover-overlap-91d", "rollover-body", "BLF_ERANGE", pack([IDA, pka, bytes(32), T0, T0 + 91 * 86400, bytes(64)]))
h("revocation-reason-4", "revocation-body", "BLF_ERANGE", pack([IDA, pka, T0, 4]))

with open(os.path.join(HERE, "hostile", "EXPECTED"), "w") as f:
    f.write("# file decoder expected-outcome (generated by make_corpus.py)\n")
    for name, decoder, expected in hostile:
        f.write("%s %s %s\n" % (name, decoder, expected))

# -- fuzz seeds: every dispute operation (SPEC 5.6), in a delta and a snapshot
P32 = bytes([192, 0, 2, 7, 32])
P6 = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 12 + [48])
DOPS = [[5, P4, b"", 2, "https://asct.example/d/1"], [5, P6, IDA, 5, ""],
        [6, P32, DID, 3, "https://lister.example/e"], [7, P4, bytes(16), 4, ""],
        [8, bytes([203, 0, 113, 0, 24])], lst(prefix=P32)]
write("delta", "dispute.body", pack([IDA, 1, 3, bytes(range(32)), T0, DOPS]))
write("snapshot", "dispute.body",
      pack([IDA, 1, 3, bytes(range(32)), T0, 0, 1, [o for o in DOPS if o[0] != 8]]))

# -- fuzz seeds: valid bodies and envelopes from the test vectors
for name, target in (("delta1", "delta"), ("delta2", "delta"), ("snapshot", "snapshot"),
                     ("heads", "heads"), ("catchup-req", "catchup_req"),
                     ("catchup-resp", "catchup_resp"), ("rollover", "rollover"),
                     ("revocation", "revocation")):
    env = vec(name)
    body = msgpack.unpackb(env, raw=True)[3]
    write(target, name + ".body", body)
    write("envelope", name + ".msg", env)
    if target == "rollover":
        write("rollover", name + ".msg", env)
