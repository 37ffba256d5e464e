#!/usr/bin/python3
"""verify.py - re-derive every SPEC.md test vector independently.

Uses Python's msgpack and PyNaCl (libsodium through another binding, and an
independent msgpack encoder) and nothing of blfed's C code:

 1. derives keys A, B, C from their seeds and checks keys.txt;
 2. encodes each vector message from the plain description below, signs it
    as SPEC 3.3 says and checks the bytes against tests/vectors/NAME.hex and
    the message hash against NAME.hash;
 3. decodes the C-produced envelopes and verifies their signatures;
 4. checks that SPEC.md quotes exactly these bytes;
 5. checks PyNaCl's verdict on each Ed25519 vector of SPEC 10.2.

Exit 0 when all hold, 1 otherwise, with one line per failure.
"""
import hashlib
import ipaddress
import os
import re
import sys

import msgpack
from nacl.signing import SigningKey, VerifyKey

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
T0 = 1767225600
DAY = 86400
TYPES = {"delta": 1, "heads": 2, "catchup-req": 3, "catchup-resp": 4,
         "snapshot": 5, "rollover": 6, "revocation": 7, "snapshot-req": 8}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def seed(first):
    return bytes((first + i) & 0xFF for i in range(32))


def keyid(pk):
    return hashlib.blake2b(b"BLFED-KEYID\x00" + pk, digest_size=16).digest()


def prefix(text):
    net = ipaddress.ip_network(text, strict=True)
    return net.network_address.packed + bytes([net.prefixlen])


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def signing_input(mtype, signer, body):
    return b"BLFED-SIG\x00" + bytes([1, mtype]) + signer + body


def seal(mtype, body_obj, sk):
    signer = keyid(bytes(sk.verify_key))
    body = pack(body_obj)
    inp = signing_input(mtype, signer, body)
    sig = sk.sign(inp).signature
    env = pack([1, mtype, signer, body, sig])
    return env, hashlib.blake2b(inp, digest_size=32).digest()


def read_hex(name):
    with open(os.path.join(HERE, name)) as f:
        return bytes.fromhex("".join(f.read().split()))


def main():
    ska, skb, skc = SigningKey(seed(0x00)), SigningKey(seed(0x20)), SigningKey(seed(0x40))
    pka, pkb, pkc = (bytes(k.verify_key) for k in (ska, skb, skc))
    ida = keyid(pka)

    # 1. keys
    want = ""
    for name, first, pk in (("A", 0x00, pka), ("B", 0x20, pkb), ("C", 0x40, pkc)):
        want += "%s seed=%02x..%02x pk=%s keyid=%s\n" % (
            name, first, first + 31, pk.hex(), keyid(pk).hex())
    with open(os.path.join(HERE, "keys.txt")) as f:
        if f.read() != want:
            fail("keys.txt differs from keys derived with PyNaCl")

    # 2. messages, described plainly (SPEC 10)
    vectors = {}
    d1_ops = [
        [1, prefix("198.51.100.7/32"), 1, T0 + 7 * DAY, "ticket 4711"],
        [1, prefix("2001:db8:1::/48"), 3, T0 + 30 * DAY, ""],
        [2, prefix("203.0.113.0/24")],
        [3, prefix("192.0.2.128/25"), "customer verified clean"],
        [4, prefix("2001:db8:ff::/48")],
    ]
    d1, h1 = seal(1, [ida, 1, 1, bytes(32), T0, d1_ops], ska)
    vectors["delta1"] = (d1, h1)
    d2, h2 = seal(1, [ida, 1, 2, h1, T0 + 60, [[2, prefix("198.51.100.7/32")]]], ska)
    vectors["delta2"] = (d2, h2)
    vectors["heads"] = seal(2, [T0 + 120, [[ida, 1, 2, h2]]], skb)
    vectors["catchup-req"] = seal(3, [ida, 1, 0, 100], skb)
    vectors["catchup-resp"] = seal(4, [ida, 1, 0, 0, False, [d1, d2]], ska)
    vectors["snapshot"] = seal(5, [ida, 1, 2, h2, T0 + 180, 0, 1, [d1_ops[1], d1_ops[3]]], ska)
    ro_created, ro_until = T0 + DAY, T0 + 8 * DAY
    counter_input = (b"BLFED-ROLLOVER\x00" + ida + pka + pkc +
                     ro_created.to_bytes(8, "big") + ro_until.to_bytes(8, "big"))
    counter = skc.sign(counter_input).signature
    vectors["rollover"] = seal(6, [ida, pka, pkc, ro_created, ro_until, counter], ska)
    vectors["revocation"] = seal(7, [ida, pka, T0 + 8 * DAY, 2], ska)
    vectors["snapshot-req"] = seal(8, [ida, 1, 2, 0], skb)
    # 1.2 (SPEC 5.6): B disputes A's listings, A upholds for one address
    idb = keyid(pkb)
    dop = [5, prefix("198.51.100.0/24"), ida, 2, "https://asct.example/d/1"]
    vectors["dispute1"] = seal(1, [idb, 1, 1, bytes(32), T0 + 240,
                                   [dop, [8, prefix("203.0.113.0/24")]]], skb)
    did = hashlib.blake2b(b"BLFED-DISPUTE\x00" + idb + pack(dop), digest_size=16).digest()
    vectors["answer1"] = seal(1, [ida, 1, 3, h2, T0 + 300, [
        [6, prefix("198.51.100.7/32"), did, 3, "https://lister.example/e/7"],
        [1, prefix("198.51.100.7/32"), 1, T0 + 7 * DAY, "ticket 4711"]]], ska)

    keys_by_id = {keyid(pk): pk for pk in (pka, pkb, pkc)}
    for name, (env, h) in vectors.items():
        have = read_hex(name + ".hex")
        if have != env:
            fail("%s: C encoding differs from the independent encoding" % name)
        if read_hex(name + ".hash") != h:
            fail("%s: message hash differs" % name)
        # 3. decode the C bytes and verify the signature independently
        try:
            f = msgpack.unpackb(have, raw=True)
        except ValueError as e:
            fail("%s: C bytes do not decode: %s" % (name, e))
            continue
        if not isinstance(f, list) or len(f) != 5 or f[0] != 1:
            fail("%s: envelope layout" % name)
            continue
        vk = VerifyKey(keys_by_id[f[2]])
        try:
            vk.verify(signing_input(f[1], f[2], f[3]), f[4])
        except Exception as e:  # nacl.exceptions.BadSignatureError
            fail("%s: signature does not verify: %s" % (name, e))
    # the rollover counter-signature, independently
    try:
        VerifyKey(pkc).verify(counter_input, counter)
    except Exception as e:
        fail("rollover counter-signature: %s" % e)

    # 4. SPEC.md quotes the same bytes
    with open(os.path.join(TOP, "SPEC.md")) as f:
        spec = f.read()
    blocks = dict(re.findall(r"```\n# vector ([a-z0-9-]+\.(?:hex|hash))\n([0-9a-f\n]+)```", spec))
    for name in list(vectors) + ["keys"]:
        for ext in ("hex", "hash"):
            if name == "keys":
                continue
            fn = "%s.%s" % (name, ext)
            if fn not in blocks:
                fail("SPEC.md does not quote %s" % fn)
            elif bytes.fromhex("".join(blocks[fn].split())) != read_hex(fn):
                fail("SPEC.md's %s differs from tests/vectors/%s" % (fn, fn))
    if want.strip() not in spec:
        fail("SPEC.md does not quote keys.txt")
    # the dispute id example of SPEC 5.6
    if ("    op  " + pack(dop).hex() + "\n") not in spec or ("    id  " + did.hex() + "\n") not in spec:
        fail("SPEC.md 5.6 does not quote the dispute and its id")

    # 5. the Ed25519 vectors of SPEC 10.2: PyNaCl (libsodium) gives the
    #    recorded verdict for each, and SPEC.md quotes the same lines
    with open(os.path.join(HERE, "ed25519.txt")) as f:
        edlines = f.read()
    for line in edlines.splitlines():
        if line.startswith("#"):
            continue
        name, pk, msg, sig, verdict = line.split()
        try:
            VerifyKey(bytes.fromhex(pk)).verify(bytes.fromhex(msg), bytes.fromhex(sig))
            got = "valid"
        except Exception:  # BadSignatureError, or a key PyNaCl will not load
            got = "invalid"
        if got != verdict:
            fail("ed25519 %s: PyNaCl says %s, the vector %s" % (name, got, verdict))
        vectors["ed25519 " + name] = None
    m = re.search(r"<!-- ed25519:begin -->\n```\n(.*?)```\n<!-- ed25519:end -->", spec, re.S)
    if m is None or m.group(1) != edlines:
        fail("SPEC.md does not quote tests/vectors/ed25519.txt")

    # 6. the export manifest signature (SPEC "Export manifest")
    check_manifest(spec)

    bad = {m.split(":")[0] for m in failures}
    print("vectors: %d passed, %d failed" % (len(set(vectors) - bad), len(bad)))
    return 1 if failures else 0


def check_manifest(spec):
    """MANIFEST.sig = Ed25519(key A, "BLFED-MANIFEST" 0x00 || MANIFEST)."""
    with open(os.path.join(HERE, "manifest.txt"), "rb") as f:
        man = f.read()
    with open(os.path.join(HERE, "manifest.sig")) as f:
        line = f.read()
    ska = SigningKey(seed(0x00))
    pka = bytes(ska.verify_key)
    want = "blfed-manifest-sig 1 %s %s\n" % (
        keyid(pka).hex(), ska.sign(b"BLFED-MANIFEST\x00" + man).signature.hex())
    if line != want:
        fail("manifest.sig: differs from the independent signature")
    try:
        VerifyKey(pka).verify(b"BLFED-MANIFEST\x00" + man,
                              bytes.fromhex(line.split()[3]))
    except Exception as e:  # nacl.exceptions.BadSignatureError
        fail("manifest.sig: does not verify: %s" % e)
    # the listed file's SHA-256 is that of its stated content
    if hashlib.sha256(b"198.51.100.7/32\n").hexdigest() not in man.decode():
        fail("manifest.txt: SHA-256 of plain-ip4.s00")
    if man.decode() not in spec or line not in spec:
        fail("manifest: SPEC.md does not quote manifest.txt and manifest.sig")


if __name__ == "__main__":
    sys.exit(main())
