"""Query flaketrap JSON Lines logs in tests.

Usage: logq.py DIR EXPR
Reads every *.jsonl file in DIR, fails if any line is not one JSON object,
then prints the value of the Python expression EXPR, evaluated with:
  recs        every record, in file order
  exits       the `exit` records
  starts      the `start` records
  total(key)  the sum of counters[key] over the exit records
  of(event)   the records of that event (of("leaked_thread"))
  delays(kind) the delays of that kind injected, summed over exit records
  delay_profile() per process, its delays (kind, count, ns), sorted: the
              same for two runs that made the same random choices
  syms(frames) the symbol names of a list of frames (None where unknown)
  root        the pid of the process that started first
  main_exit   its exit record (None if it wrote none)
A last line with no newline is being written by a process that outlived
the one under test (a leaked child): it is left out, never half-read.
"""
import glob
import json
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    recs = []
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.endswith("\n"):
                    break
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    sys.exit("%s:%d: not JSON: %s" % (path, n, e))
                if not isinstance(rec, dict) or "event" not in rec:
                    sys.exit("%s:%d: not a record" % (path, n))
                rec["_file"] = os.path.basename(path)
                recs.append(rec)
    exits = [r for r in recs if r["event"] == "exit"]
    starts = [r for r in recs if r["event"] == "start"]

    def total(key):
        return sum(r["counters"][key] for r in exits)

    def of(event):
        return [r for r in recs if r["event"] == event]

    def delays(kind):
        return sum(r["counters"]["delays"][kind]["count"] for r in exits)

    def delay_profile():
        return sorted(tuple((k, v["count"], v["ns"])
                            for k, v in sorted(r["counters"]["delays"].items())
                            if k != "total_ns") for r in exits)

    def syms(frames):
        return [f.get("symbol") for f in frames]

    # Not "whose parent wrote no log": a fork child writes its start when
    # it first logs, maybe after its parent ended and it was reparented.
    root = min(starts, key=lambda r: r["time_ns"])["pid"] if starts else None
    main_exit = next((r for r in exits if r["pid"] == root), None)

    print(eval(sys.argv[2], {"recs": recs, "exits": exits,
                             "starts": starts, "total": total, "of": of,
                             "syms": syms, "root": root,
                             "delays": delays,
                             "delay_profile": delay_profile,
                             "main_exit": main_exit}))


main()
