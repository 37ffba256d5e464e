#!/usr/bin/python3
"""spec_blocks.py - write tests/vectors/*.hex and *.hash into SPEC.md
section 10, between the vectors:begin and vectors:end markers, and
tests/vectors/ed25519.txt between the ed25519:begin and ed25519:end ones.

Run after `build/tests/test_vectors --write` when the format changes on
purpose; verify.py then checks that SPEC.md and the files agree.
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "SPEC.md")
ORDER = ["delta1", "delta2", "heads", "catchup-req", "catchup-resp",
         "snapshot", "rollover", "revocation", "snapshot-req", "dispute1", "answer1"]

out = []
for name in ORDER:
    for ext in ("hex", "hash"):
        with open(os.path.join(HERE, "%s.%s" % (name, ext))) as f:
            body = f.read()
        out.append("```\n# vector %s.%s\n%s```\n" % (name, ext, body))
with open(SPEC) as f:
    spec = f.read()
new = re.sub(r"<!-- vectors:begin -->.*<!-- vectors:end -->",
             lambda m: "<!-- vectors:begin -->\n" + "\n".join(out) + "<!-- vectors:end -->",
             spec, flags=re.S)
with open(os.path.join(HERE, "ed25519.txt")) as f:
    ed = f.read()
new = re.sub(r"<!-- ed25519:begin -->.*<!-- ed25519:end -->",
             lambda m: "<!-- ed25519:begin -->\n```\n" + ed + "```\n<!-- ed25519:end -->",
             new, flags=re.S)
with open(SPEC, "w") as f:
    f.write(new)
