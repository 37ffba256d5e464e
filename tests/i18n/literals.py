#!/usr/bin/python3
"""literals.py [FILE...] - fail when an output call of blfed or blfedd
passes a bare English literal as its format.

Every message for humans goes through gettext (agent/i18n/i18n.h): a
format written as a plain "..." in printf, fprintf, snprintf, ctl_buf_printf,
fputs or puts is either machine output (JSON, file formats, metrics) or a
message somebody forgot to wrap in _().  The first kind is recognised (JSON
and punctuation-only formats) or listed in literals.allow; anything else is
reported with its file and line, so that a new untranslated message fails
`make check`.  cli_err, fail, log_msg, keys_seterr and nlog translate their
format themselves and are not checked here (xgettext extracts them); an
error description from blf_strerror must go through _() too.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CALLS = {  # function: index of the format argument
    "printf": 0, "fprintf": 1, "snprintf": 2, "ctl_buf_printf": 1, "fputs": 0, "puts": 0,
}
CALL_RE = re.compile(r"\b(" + "|".join(CALLS) + r")\s*\(")
# Calls whose format xgettext extracts (the Makefile's keywords): a macro
# pasted into the literal would make the msgid differ from the runtime text.
KEYWORDS = {"_": 0, "N_": 0, "cli_err": 1, "fail": 2, "log_msg": 1, "keys_seterr": 2,
            "nlog": 2, "ngettext": 0, "bad": 3, "blf_i18n_log": 0, "set_msg": 2}
KW_RE = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(KEYWORDS) + r")\s*\(")
LIT_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
WORD_RE = re.compile(r"[A-Za-z]{2,}")


def strip_comments(s):
    """Blank out comments, keeping line numbers and string literals."""
    out, i, n = [], 0, len(s)
    while i < n:
        if s.startswith("/*", i):
            j = s.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", s[i:j]))
            i = j
        elif s.startswith("//", i):
            j = s.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif s[i] == '"':
            m = LIT_RE.match(s, i)
            j = m.end() if m else i + 1
            out.append(s[i:j])
            i = j
        elif s[i] == "'":
            m = re.match(r"'(?:[^'\\\n]|\\.)*'", s[i:])
            j = i + (m.end() if m else 1)
            out.append(s[i:j])
            i = j
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def args_of(s, i):
    """Split the argument list starting after '(' at i: [(start, end)], end index."""
    depth, start, args, j = 0, i, [], i
    while j < len(s):
        c = s[j]
        if c == '"' or c == "'":
            m = (LIT_RE if c == '"' else re.compile(r"'(?:[^'\\\n]|\\.)*'")).match(s, j)
            j = m.end() if m else j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append((start, j))
                return args, j
            depth -= 1
        elif c == "," and depth == 0:
            args.append((start, j))
            start = j + 1
        j += 1
    return args, j


def machine(text):
    """JSON, file names, identifiers and the program's name: not a message.
    A message has two words and a blank between words."""
    t = text.lstrip()
    if t.startswith(("{", "[", "]", ",\\\"", "}", "\\\"")) or '\\":' in t:
        return True
    t = re.sub(r"%[-+ #0-9.*$]*(?:ll|l|z|h|hh|j|t)?[a-zA-Z]", " ", text)
    t = re.sub(r"\bblfedd?\b", "", t)
    if re.search(r"[A-Za-z]{2,}:\s*(?:\\n)?$", t):
        return False  # a heading: "peers:\n"
    return len(re.findall(r"[A-Za-z]{2,}", t)) < 2 or " " not in t.strip()


def main(argv):
    allow = set()
    with open(os.path.join(HERE, "literals.allow"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                allow.add(line)
    files = argv[1:] or sorted(
        os.path.join(d, f) for d in ("agent/cli", "agent/blfedd", "agent/i18n")
        for f in os.listdir(os.path.join(TOP, d)) if f.endswith(".c"))
    bad = 0
    if len(argv) <= 1:
        files += sorted(os.path.join("keys", f) for f in os.listdir(os.path.join(TOP, "keys"))
                        if f.endswith(".c"))
        files += ["agent/net/net.c", "agent/export/manifest.c"]
    for path in files:
        full = path if os.path.isabs(path) else os.path.join(TOP, path)
        rel = os.path.relpath(full, TOP)
        s = strip_comments(open(full, encoding="utf-8").read())
        for m in KW_RE.finditer(s):
            args, _ = args_of(s, m.end())
            k = KEYWORDS[m.group(1)]
            if len(args) <= k:
                continue
            a = s[args[k][0]:args[k][1]].strip()
            if LIT_RE.search(a) and not re.fullmatch(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', a) \
                    and re.fullmatch(r'(?:"(?:[^"\\\n]|\\.)*"|[A-Z_][A-Z0-9_]*|\s)+', a):
                line = s.count("\n", 0, m.start()) + 1
                print("%s:%d: a macro inside a translated literal: %s" % (rel, line, a))
                bad += 1
        if not rel.startswith(("agent/cli/", "agent/blfedd/", "agent/i18n/")):
            continue
        for m in re.finditer(r"blf_strerror\s*\(", s):
            before = s[max(0, m.start() - 16):m.start()].replace(" ", "")
            if not before.endswith(("_(", "blf_i18n_log(")):
                line = s.count("\n", 0, m.start()) + 1
                print("%s:%d: blf_strerror shown untranslated: wrap it in _()" % (rel, line))
                bad += 1
        for m in CALL_RE.finditer(s):
            args, _ = args_of(s, m.end())
            k = CALLS[m.group(1)]
            if len(args) <= k:
                continue
            a = s[args[k][0]:args[k][1]].strip()
            lits = LIT_RE.findall(a)
            if not lits or not re.fullmatch(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', a):
                continue  # _(), a variable, or a conditional: not a bare literal
            text = "".join(lits)
            if machine(text) or rel in allow or "%s: %s" % (rel, text) in allow:
                continue
            line = s.count("\n", 0, m.start()) + 1
            print("%s:%d: untranslated message: \"%s\"" % (rel, line, text))
            bad += 1
    if bad:
        print("literals: %d message(s) without _(): wrap them (agent/i18n/i18n.h), or list "
              "machine output in tests/i18n/literals.allow" % bad)
        return 1
    print("literals: every message is translatable")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
