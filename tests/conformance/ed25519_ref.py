"""ed25519_ref.py - Ed25519 arithmetic and the SPEC 3.2 verification rules,
in plain Python (slow, clear, no secrets: for test generation and checking).

verify() applies the rules exactly as SPEC 3.2 states them, which are the
rules of libsodium 1.0.18's crypto_sign_verify_detached; run.py checks that
it agrees with PyNaCl (libsodium) on every signature of the suite.  The
helpers forge the signatures that a lax RFC 8032 verifier would accept.
"""
import hashlib

Q = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, Q - 2, Q) % Q
SQRT_M1 = pow(2, (Q - 1) // 4, Q)

# The encodings of small-order points, compared with the top bit of byte 31
# cleared (SPEC 3.2): y = 0, 1, the two order-8 y values, p - 1, p, p + 1.
SMALL_ORDER = [bytes.fromhex(h) for h in (
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
)]


def _inv(x):
    return pow(x, Q - 2, Q)


def add(P, R):
    x1, y1, z1, t1 = P
    x2, y2, z2, t2 = R
    a = (y1 - x1) * (y2 - x2) % Q
    b = (y1 + x1) * (y2 + x2) % Q
    c = 2 * t1 * t2 * D % Q
    d = 2 * z1 * z2 % Q
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % Q, g * h % Q, f * g % Q, e * h % Q)


def mul(k, P):
    R = (0, 1, 1, 0)
    while k > 0:
        if k & 1:
            R = add(R, P)
        P = add(P, P)
        k >>= 1
    return R


def encode(P):
    x, y, z, _ = P
    zi = _inv(z)
    x, y = x * zi % Q, y * zi % Q
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def recover_x(y, sign):
    """x for y with the given low bit, or None if y is not on the curve."""
    if y >= Q:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1) % Q
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (Q + 3) // 8, Q)
    if (x * x - x2) % Q != 0:
        x = x * SQRT_M1 % Q
    if (x * x - x2) % Q != 0:
        return None
    if (x & 1) != sign:
        x = Q - x
    return x


def decode(s, reduce_y=False):
    """Point of an encoding; with reduce_y, y >= p is taken mod p (lax)."""
    y = int.from_bytes(s, "little") & ((1 << 255) - 1)
    sign = s[31] >> 7
    if reduce_y:
        y %= Q
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % Q)


B = decode((4 * _inv(5) % Q).to_bytes(32, "little"))


def small_order(s):
    t = s[:31] + bytes([s[31] & 0x7F])
    return t in SMALL_ORDER


def canonical_y(s):
    return (int.from_bytes(s, "little") & ((1 << 255) - 1)) < Q


def h_scalar(R, A, msg):
    return int.from_bytes(hashlib.sha512(R + A + msg).digest(), "little") % L


def verify(sig, msg, pk):
    """SPEC 3.2, rule by rule.  True when the signature holds."""
    if len(sig) != 64 or len(pk) != 32:
        return False
    R, S = sig[:32], int.from_bytes(sig[32:], "little")
    if S >= L:                                   # rule 1: canonical S
        return False
    if small_order(R):                           # rule 2: R not small order
        return False
    if not canonical_y(pk) or small_order(pk):   # rules 3 and 4
        return False
    A = decode(pk)
    if A is None:                                # rule 5: A on the curve
        return False
    h = h_scalar(R, pk, msg)
    neg_a = (Q - A[0], A[1], 1, (Q - A[3]) % Q)
    check = add(mul(S, B), mul(h, neg_a))        # [S]B - [h]A
    return encode(check) == R                    # rule 6: byte comparison


def lax_verify(sig, msg, pk, cofactored=False):
    """A plain RFC 8032 verifier with only the S < L check of SPEC 1.0,
    decoding leniently: the kind of verifier the 1.1 rules rule out."""
    R, S = sig[:32], int.from_bytes(sig[32:], "little") % L
    A, Rp = decode(pk, reduce_y=True), decode(R, reduce_y=True)
    if A is None or Rp is None:
        return False
    h = h_scalar(R, pk, msg)
    lhs, rhs = mul(S, B), add(Rp, mul(h, A))
    if cofactored:
        lhs, rhs = mul(8, lhs), mul(8, rhs)
    return encode(lhs) == encode(rhs)


def order8_point():
    return decode(SMALL_ORDER[2])


def sign_with_scalar(a, pk, msg, r, R=None):
    """S = r + h a for a chosen nonce point R (default [r]B)."""
    if R is None:
        R = encode(mul(r, B))
    h = h_scalar(R, pk, msg)
    return R + ((r + h * a) % L).to_bytes(32, "little")


def seed_scalar(seed):
    """The clamped secret scalar of an RFC 8032 seed."""
    hd = hashlib.sha512(seed).digest()
    a = bytearray(hd[:32])
    a[0] &= 248
    a[31] &= 127
    a[31] |= 64
    return int.from_bytes(bytes(a), "little")
