#!/bin/sh
# check.sh BUILD - the test vectors: the C encoder reproduces tests/vectors/
# byte for byte (test_vectors), and an independent implementation (Python
# msgpack + PyNaCl, Debian packages) re-derives them and finds them in SPEC.md;
# then that implementation runs the conformance suite (SPEC 10.3).
set -eu
build=$1
"$build/tests/test_vectors" >/dev/null
# Debian's interpreter: python3-msgpack and python3-nacl are installed for it.
/usr/bin/python3 tests/vectors/verify.py
/usr/bin/python3 tests/conformance/run.py
