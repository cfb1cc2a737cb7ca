#!/usr/bin/python3
"""Our tests under our own tool: are they flaky?

Usage: test/check-stable.py [--runs N] [--jobs J] [--load L] [--out DIR]
                            [FILE...]

Runs every test file of the suite (test/t*.sh and the unit tests; or the
FILEs given) N times under `flaketrap loop --load L`, J runs at a time,
with every sleep shrunk to 1 ns and small random delays at every point
flaketrap can delay (fork, waitpid with WNOHANG, thread start, exit) in
each process that has the library: prove, the test scripts' shells and
their subshells, the unit tests. Prints one line per file and a total, and
exits 1 when any run of any file failed or hung, 0 when none did. A
failing run is kept in OUT/<file>/ with its output and a reproduce.sh.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "flaketrap")

# Small, so that a run costs little more than without them, yet every
# fork, reap, thread and exit of the harness draws one from its seed.
DELAYS = [
    "--fork-delay=0..2ms",
    "--fork-delay-parent=0..2ms",
    "--waitpid-delay=0..2ms",
    "--thread-delay=0..1ms",
    "--exit-delay=0..2ms",
]
# Well past the slowest file on a loaded machine: a hung run is caught,
# its stacks logged, and counted as a failure, never waited on for ever.
TIMEOUT = "1200s"


def suite_files():
    tests = sorted(glob.glob(os.path.join(ROOT, "test", "t[0-9]*.sh")))
    units = sorted(glob.glob(os.path.join(ROOT, "build", "test", "unit",
                                          "u-*")))
    return tests + units


# What a failing run's output is told of at the end: the failed tests of
# prove's verbose output with their diagnostics, and the end of stderr.
MAX_TOLD = 3
MAX_LINES = 60


def failed_tests(stdout):
    """The "not ok" lines of TAP output and the "#" lines after each."""
    told, inside = [], False
    for line in stdout.splitlines():
        if line.startswith("not ok"):
            inside = True
        elif not line.startswith("#"):
            inside = False
        if inside:
            told.append(line)
    return told


def tell_failure(name, failure):
    def read(part):
        try:
            with open(os.path.join(failure["dir"], part), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError as e:
            return "(%s: %s)\n" % (part, e.strerror)

    print("check-stable: %s, run %d (seed %s): %s" % (
        name, failure["run"], failure["seed"], failure["result"]))
    stdout = read("stdout")
    lines = failed_tests(stdout)
    if not lines:
        lines = ["(no failed test in its output; the end of it:)"] + \
            stdout.splitlines()[-10:]
    lines += ["(the end of its stderr:)"] + read("stderr").splitlines()[-10:]
    for line in lines[:MAX_LINES]:
        print("    " + line)
    if len(lines) > MAX_LINES:
        print("    (%d more lines in %s)" % (len(lines) - MAX_LINES,
                                            failure["dir"]))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20, metavar="N",
                    help="runs of each file (default: 20)")
    ap.add_argument("--jobs", type=int, default=2, metavar="J",
                    help="runs at a time (default: 2)")
    ap.add_argument("--load", type=int, default=2, metavar="L",
                    help="CPU burners beside the runs (default: 2)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "stable"),
                    help="where failing runs are kept "
                    "(default: build/stable)")
    ap.add_argument("files", nargs="*", metavar="FILE",
                    help="test files (default: the whole suite)")
    args = ap.parse_args()
    if args.runs < 1 or args.jobs < 1 or args.load < 0:
        ap.error("--runs and --jobs must be at least 1, --load at least 0")
    files = args.files or suite_files()
    if not files:
        ap.error("no test file found (run `make test-programs` first)")
    for f in files:
        if not os.access(f, os.X_OK):
            ap.error("%s: not an executable test file" % f)

    print("check-stable: %d files, %d runs each, %d at a time, load %d, "
          "sleeps 1ns, delays %s" % (len(files), args.runs, args.jobs,
                                     args.load, " ".join(DELAYS)))
    width = max(len(os.path.relpath(f, ROOT)) for f in files)
    total_runs = total_failed = 0
    failed_runs = []
    started = time.monotonic()
    for f in files:
        name = os.path.relpath(f, ROOT)
        out = os.path.join(args.out, name.replace("/", "_"))
        load = ["--load", str(args.load)] if args.load else []
        cmd = ([TOOL, "loop", "-n", str(args.runs), "-j", str(args.jobs),
                "--timeout", TIMEOUT, "--out", out, "--json"] + load +
               DELAYS + ["--", "prove", "-v", f])
        t0 = time.monotonic()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, check=False)
        try:
            summary = json.loads(proc.stdout)
        except ValueError:
            sys.stdout.flush()
            sys.stderr.write(proc.stderr)
            sys.stderr.write("%s: flaketrap loop exited %d without a summary\n"
                             % (name, proc.returncode))
            return 1
        total_runs += summary["runs"]
        total_failed += summary["failed"]
        line = "%-*s %3d runs %3d failed %3d timed out %6.0fs" % (
            width, name, summary["runs"], summary["failed"],
            summary["timed_out"], time.monotonic() - t0)
        print(line, flush=True)
        for failure in summary["failures"]:
            print("    run %d (seed %s): %s; kept in %s" % (
                failure["run"], failure["seed"], failure["result"],
                failure["dir"]), flush=True)
            failed_runs.append((name, failure))
    print("check-stable: %d runs, %d failed, in %.0fs" % (
        total_runs, total_failed, time.monotonic() - started))
    # Last, so that a CI log that keeps only its end still says what
    # failed: a failing run's directory is gone with the CI machine.
    for name, failure in failed_runs[:MAX_TOLD]:
        tell_failure(name, failure)
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
