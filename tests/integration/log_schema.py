#!/usr/bin/env python3
"""log_schema.py: validates log-topic events against docs/log-topic.schema.json.

Reads JSON lines (files given, or stdin); prints each event that does not
validate with why, and a last line "N valid, N invalid". Exit status 1 when
any is invalid (or, with --min N, when fewer than N events were read).

The validation is Debian's python3-jsonschema (Draft 2020-12), a
well-kept implementation of the standard, so the schema in docs/ means what
any operator's tool would make of it: we do not write a validator of our own.
"""
import json
import os
import sys

import jsonschema

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def main(argv):
    minimum = 0
    if len(argv) > 1 and argv[0] == "--min":
        minimum = int(argv[1])
        argv = argv[2:]
    schema = json.load(open(os.path.join(ROOT, "docs", "log-topic.schema.json")))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    ok = bad = 0
    streams = [open(a) for a in argv] or [sys.stdin]
    for f in streams:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                bad += 1
                print("not JSON (%s): %s" % (e, line[:300]))
                continue
            errors = sorted(validator.iter_errors(ev), key=lambda e: list(e.path))
            if errors:
                bad += 1
                # oneOf hides the reason: show the errors against the event's own kind
                kind = ev.get("kind") if isinstance(ev, dict) else None
                sub = schema["$defs"].get(kind) if kind in ("run", "step", "record") else None
                why = []
                if sub is not None:
                    sv = cls(dict(sub, **{"$defs": schema["$defs"]}))
                    why = ["%s: %s" % ("/".join(map(str, e.path)) or "(event)", e.message) for e in sv.iter_errors(ev)]
                print("invalid: %s\n  %s" % (line[:400], "\n  ".join(why or [errors[0].message])))
            else:
                ok += 1
    print("%d valid, %d invalid" % (ok, bad))
    return 1 if bad or ok + bad < minimum else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
