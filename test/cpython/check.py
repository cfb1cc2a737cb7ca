#!/usr/bin/python3
"""make check-cpython: CPython's own tests, plainly and under flaketrap run.

Runs a list of CPython test modules that exercise threads, processes,
signals and exit twice in the same run: plainly, and under `flaketrap run`
with FLAKETRAP_SLEEP=off and a log directory (leak logging on: the
default FLAKETRAP_LEAKS). Each module is its own regrtest invocation
(`python -m test -j1 --timeout T --junit-xml X MODULE`), so its outcome
is exact. Prints a side-by-side table ending with "N differ" and exits 1
when any module's outcome differs, or when the flaketrap side's logs are
not valid JSON Lines; then sums up what the logs hold (processes, leaked
threads and children, crashes: information, not failures).

An outcome is regrtest's result for the module (PASSED, FAILED, ENV
CHANGED, SKIPPED, RESOURCE DENIED, CRASHED, TIMEOUT, NO TESTS RUN, ...)
and, for a module that failed, regrtest's count of errors and failures
(failed subtests included) and the set of its failing test cases (from
the JUnit XML): all must be the same on both sides. A module whose sides
differ runs again, both sides (files MODULE.again.*): the same then, it is
reported as flaky (one of CPython's own flaky tests on a loaded machine)
and not counted; --no-rerun counts every difference at once.

The short form (the default, run by CI) runs the quick modules in full
and a few classes of the slow ones; --full runs every module in full.

--timers RULE is the check of virtual time (make check-cpython-timers):
the modules of event loops and timed waits (WARP_MODULES, every one in
full, regrtest's network resource on: test_socketserver serves on
localhost), the flaketrap side with FLAKETRAP_TIMERS=RULE (warp or idle)
and FLAKETRAP_SLEEP=off; each side's wall time is in the table.

--chaos-object loads libflaketrap-chaos.so first on the flaketrap side,
with chaos off: its wrappers must change nothing.

--knob NAME=VALUE changes the flaketrap side (FLAKETRAP_SLEEP=off unless
given; repeatable; FLAKETRAP_* variables of the caller's environment are
left out of both sides, and so is libflaketrap in its LD_PRELOAD), --fail-env-changed is passed to regrtest on both
sides: these run the configurations of test/cpython/FINDINGS.md, where
differences are the measurement (no second run with --knob, unless
--rerun).

Each side's output, JUnit XML and (flaketrap side) logs are kept in --out
(default build/cpython): OUT/plain/MODULE.out, OUT/flaketrap/MODULE.out,
OUT/flaketrap/log/MODULE/*.jsonl, and `flaketrap report` of all of them
in OUT/flaketrap/report.txt.

Exit status: 0 when every outcome is the same (flaky modules aside) and
the logs are valid;
1 when an outcome differs or a log is invalid; 125 for a usage error (a
bad option or knob, no CPython test suite).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "flaketrap")

# Module -> regrtest -m patterns of the short form (None: the whole module;
# LONG_ONLY: only in the long form). The short form fits a few minutes on 2
# busy cores; the slow modules keep the classes that make threads, processes
# and signals.
LONG_ONLY = "long form only"
MODULES = [
    ("test_threading", None),
    ("test_thread", None),
    ("test_subprocess", ["ProcessTestCase", "POSIXProcessTestCase",
                         "ContextManagerTests"]),
    ("test_concurrent_futures", ["ThreadPool*Test", "ProcessPoolFork*Test"]),
    ("test_multiprocessing_fork", ["WithProcessesTestProcess",
                                   "WithProcessesTestQueue",
                                   "WithProcessesTestPool",
                                   "WithThreadsTestProcess"]),
    ("test_multiprocessing_forkserver", LONG_ONLY),
    ("test_signal", None),
    ("test_os", None),
    ("test_wait4", None),
    ("test_fork1", None),
    ("test_faulthandler", None),
    ("test_atexit", None),
    ("test_asyncio.test_subprocess", None),
]

# The modules of --timers: asyncio's event loops, threads' timed waits,
# executors, queues, the scheduler, selectors and servers, each in full.
WARP_MODULES = [
    ("test_asyncio", None),
    ("test_threading", None),
    ("test_concurrent_futures", None),
    ("test_queue", None),
    ("test_sched", None),
    ("test_selectors", None),
    ("test_socketserver", None),
]

# regrtest's result line of a test file, in -j mode: "[1/1] test_os passed",
# "[1/1/1] test_os failed (2 errors) (1 min 3 sec) -- running: ...".
RESULT_LINE = re.compile(r"\[\s*\d+/\d+(?:/\d+)?\] (\S+) (.*)$")
# The files of a module's second run, when its sides differed.
AGAIN = ".again"
# The duration regrtest adds to a result line of 30 s or more.
DURATION = re.compile(r" \((?:[\d.]+ (?:hour|min|sec|ms) ?)+\)$")
# Most specific first: "failed (env changed)" is also "failed".
OUTCOMES = [
    ("passed", "PASSED"),
    ("failed (env changed)", "ENV CHANGED"),
    ("failed", "FAILED"),
    ("skipped (resource denied)", "RESOURCE DENIED"),
    ("skipped", "SKIPPED"),
    ("crashed", "CRASHED"),
    ("timed out", "TIMEOUT"),
    ("ran no tests", "NO TESTS RUN"),
    ("interrupted", "INTERRUPTED"),
]


# The regrtests running, and whether to start more.
RUNNING = set()
RUNNING_LOCK = threading.Lock()
STOPPING = False


def die(msg, status=125):
    print("check-cpython: %s" % msg, file=sys.stderr)
    sys.exit(status)


def knob_option(spec):
    """FLAKETRAP_WAITPID_DELAY=100ms -> (name, value, --waitpid-delay=100ms)"""
    name, eq, value = spec.partition("=")
    if not eq or not name.startswith("FLAKETRAP_") or name == "FLAKETRAP_":
        die("--knob %r: expected FLAKETRAP_NAME=VALUE" % spec)
    if name in ("FLAKETRAP_LOG", "FLAKETRAP_LIB", "FLAKETRAP_JEMALLOC"):
        die("--knob %s: not a knob this script lets change" % name)
    option = name[len("FLAKETRAP_"):].lower().replace("_", "-")
    return name, value, "--%s=%s" % (option, value)


def plain_environment():
    """The caller's environment without any flaketrap in it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FLAKETRAP_")}
    preload = [p for p in env.get("LD_PRELOAD", "").replace(":", " ").split()
               if "libflaketrap" not in os.path.basename(p)]
    if preload:
        env["LD_PRELOAD"] = " ".join(preload)
    else:
        env.pop("LD_PRELOAD", None)
    return env


class Side:
    """One way of running the modules: plain, or under flaketrap run."""

    def __init__(self, name, out, prefix):
        self.name = name
        self.dir = os.path.join(out, name)
        self.prefix = prefix    # argv before `python -m test ...`
        self.results = {}


class Result:
    def __init__(self, module):
        self.module = module
        self.outcome = None     # OUTCOMES' second column, or an error text
        self.detail = ""        # regrtest's own words
        self.cases = {}         # case name -> completed/error/failure/...
        self.status = None
        self.seconds = 0.0

    def failing(self):
        return sorted(c for c, r in self.cases.items()
                      if r in ("error", "failure"))

    def skipped(self):
        return sorted(c for c, r in self.cases.items() if r == "skipped")

    def counts(self):
        """regrtest's count of errors and failures: "1 error, 16 failures"
        (it counts the failed subtests the JUnit XML leaves out)."""
        m = re.match(r"failed \(([^)]*(?:error|failure)[^)]*)\)", self.detail)
        return m.group(1) if m else ""

    def cell(self):
        text = self.outcome
        run = sum(1 for r in self.cases.values() if r != "skipped")
        if self.cases:
            text += " (%d run, %d skipped" % (run, len(self.skipped()))
            if self.failing():
                text += ", %d failing" % len(self.failing())
            text += ")"
        elif self.detail:
            text += " [%s]" % DURATION.sub("", self.detail)
        return text

    def key(self):
        """What must be the same on both sides."""
        return (self.outcome, self.counts(), tuple(self.failing()))


def classify(text):
    for prefix, outcome in OUTCOMES:
        if text.startswith(prefix):
            return outcome
    return None


def read_cases(path):
    cases = {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return cases
    for case in root.iter("testcase"):
        name = case.get("name")
        if not name:
            continue
        result = "completed"
        for tag in ("error", "failure", "skipped"):
            if case.find(tag) is not None:
                result = tag
        if case.find("outcome") is not None:
            result = "unexpected success"
        cases[name] = result
    return cases


def run_module(side, module, patterns, args, env, name):
    """Run one regrtest invocation; never longer than the outer guard.
    name: what its files are called (the module, or MODULE.again)."""
    res = Result(module)
    out_path = os.path.join(side.dir, name + ".out")
    xml_path = os.path.join(side.dir, name + ".xml")
    work = os.path.join(side.dir, "work", name)
    os.makedirs(work, exist_ok=True)
    argv = list(side.prefix(name)) + [
        args.python, "-m", "test", "-j1", "--timeout", str(args.timeout),
        "--junit-xml", xml_path]
    if args.fail_env_changed:
        argv.append("--fail-env-changed")
    # test_socketserver serves on localhost: regrtest calls it network.
    if args.timers:
        argv += ["-u", "network"]
    for pat in patterns or ():
        argv += ["-m", pat]
    argv.append(module)
    # regrtest kills a worker after 1.5 times --timeout; this guard is for
    # a regrtest (or a flaketrap run) that hangs itself.
    guard = args.timeout * 2 + 120
    start = time.monotonic()
    with open(out_path, "w") as out:
        out.write("$ %s\n" % " ".join(argv))
        out.flush()
        with RUNNING_LOCK:
            if STOPPING:
                return None
            # A session of its own: no test sees our terminal.
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    cwd=work, env=env, start_new_session=True)
            RUNNING.add(proc.pid)
        try:
            res.status = proc.wait(timeout=guard)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            proc.wait()
            res.outcome = "HUNG (killed after %d s)" % guard
        finally:
            with RUNNING_LOCK:
                RUNNING.discard(proc.pid)
    res.seconds = time.monotonic() - start
    with open(out_path, errors="replace") as f:
        lines = f.read().splitlines()
    for line in lines:
        m = RESULT_LINE.search(line)
        if m and m.group(1) == module:
            text = m.group(2).split(" -- running:")[0]
            res.detail = text
            res.outcome = res.outcome or classify(text)
    if res.outcome is None:
        last = [ln for ln in lines if ln.startswith("Tests result: ")]
        res.outcome = "NO RESULT (exit %s%s)" % (
            res.status, ", " + last[-1] if last else "")
    res.cases = read_cases(xml_path)
    side.results[name] = res
    return res


class Stop(Exception):
    """SIGINT, SIGTERM or SIGHUP: the run stops, its regrtests too."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def stop_on_signal(signum, frame):
    raise Stop(signum)


def children(pid):
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(k) for k in f.read().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return kids


def kill_tree(root):
    """SIGKILL root and every descendant. Not by process group: regrtest
    puts each worker in a session of its own. Stopped first, top down,
    until no new one appears, so none forks or escapes meanwhile."""
    stopped = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in stopped:
            continue
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            continue
        stopped.add(pid)
        todo += children(pid)
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop_running():
    global STOPPING
    with RUNNING_LOCK:
        STOPPING = True
        for pid in RUNNING:
            kill_tree(pid)


def run_all(sides, modules, args, env, suffix=""):
    """Each module's sides run side by side, args.jobs at a time."""
    tasks = [(side, mod, pats) for mod, pats in modules for side in sides]
    lock = threading.Lock()
    done = [0]

    def worker():
        while True:
            with lock:
                if not tasks:
                    return
                side, mod, pats = tasks.pop(0)
            res = run_module(side, mod, pats, args, env, mod + suffix)
            if res is None:
                return
            with lock:
                done[0] += 1
                print("[%d/%d] %-30s %-10s %s (%.0f s)" % (
                    done[0], len(modules) * len(sides), mod + suffix,
                    side.name, res.outcome, res.seconds), flush=True)

    threads = [threading.Thread(target=worker, daemon=True)
               for _ in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def differing(plain, under, modules):
    return [(mod, pats) for mod, pats in modules
            if plain.results[mod].key() != under.results[mod].key()]


def print_table(plain, under, modules, timed=False):
    """A module whose sides differed and were the same when run again
    (MODULE.again) is flaky, not counted; one that differed twice is.
    timed: each side's wall time too."""
    rows = [("module", "plain", under.name, "differ?")]
    if timed:
        rows[0] += ("plain s", under.name + " s")
    differ = 0
    flaky = []
    for mod, _ in modules:
        a, b = plain.results[mod], under.results[mod]
        verdict = ""
        if a.key() != b.key():
            again = (plain.results.get(mod + AGAIN),
                     under.results.get(mod + AGAIN))
            if None not in again and again[0].key() == again[1].key():
                verdict = "flaky"
                flaky.append((mod, again[0]))
            else:
                verdict = "DIFFER"
                differ += 1
        rows.append((mod, a.cell(), b.cell(), verdict))
        if timed:
            rows[-1] += ("%.0f" % a.seconds, "%.0f" % b.seconds)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for mod, _ in modules:
        a, b = plain.results[mod], under.results[mod]
        if not a.cases or not b.cases:
            continue    # a side that crashed wrote no XML: nothing to list
        for what, x, y in (("failing", a.failing(), b.failing()),
                           ("skipped", a.skipped(), b.skipped())):
            only_a = sorted(set(x) - set(y))
            only_b = sorted(set(y) - set(x))
            if only_a:
                print("  %s: %s only plainly: %s" % (mod, what,
                                                     ", ".join(only_a)))
            if only_b:
                print("  %s: %s only under %s: %s" % (
                    mod, what, under.name, ", ".join(only_b)))
    for mod, res in flaky:
        print("  %s: the sides differed, then were the same when run again "
              "(%s on both): a flaky test, not counted" % (mod, res.cell()))
    print("%d differ" % differ + (", %d flaky" % len(flaky) if flaky else ""))
    return differ


def summarize_logs(log_root, modules):
    """Checks every log line is a JSON record; counts what they hold."""
    print()
    print("flaketrap side's logs (%s):" % log_root)
    rows = [("module", "processes", "leaked threads", "leaked children",
             "crashes")]
    kinds = ("leaked_thread", "leaked_child", "crash")
    bad = []
    no_start = []
    totals = [0] * 4
    for mod, _ in modules:
        d = os.path.join(log_root, mod)
        counts = dict.fromkeys(kinds, 0)
        pids = set()    # as flaketrap report counts: an exec is no new one
        names = sorted(os.listdir(d)) if os.path.isdir(d) else []
        for name in names:
            if not name.endswith(".jsonl"):
                continue
            path = os.path.join(d, name)
            with open(path, encoding="utf-8", errors="strict") as f:
                try:
                    lines = f.read().split("\n")
                except UnicodeDecodeError as e:
                    bad.append("%s: %s" % (path, e))
                    continue
            if lines[-1] != "":
                bad.append("%s: a last line with no newline" % path)
            started = False
            for n, line in enumerate(lines[:-1], 1):
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    bad.append("%s:%d: not JSON: %s" % (path, n, e))
                    continue
                if not isinstance(rec, dict) or "event" not in rec:
                    bad.append("%s:%d: not a record" % (path, n))
                    continue
                pids.add(rec.get("pid"))
                started = started or rec["event"] == "start"
                if rec["event"] in counts:
                    counts[rec["event"]] += 1
            if not started:
                no_start.append(path)
        row = [len(pids)] + [counts[k] for k in kinds]
        totals = [t + c for t, c in zip(totals, row)]
        rows.append((mod,) + tuple(str(c) for c in row))
    rows.append(("total",) + tuple(str(c) for c in totals))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(c.rjust(w) if i and j else c.ljust(w)
                        for j, (c, w) in enumerate(zip(row, widths))).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    # Not counted as invalid: a process killed while the library writes its
    # first record leaves an empty file (by SIGKILL, say), or one with only
    # its exit record (test/cpython/FINDINGS.md).
    if no_start:
        print("%d log file(s) with no start record, empty or with an exit "
              "record alone (processes killed while the library wrote their "
              "first record):" % len(no_start))
        for path in no_start[:5]:
            print("  %s" % path)
    for b in bad[:20]:
        print("invalid log: %s" % b)
    if bad:
        print("%d invalid log lines or files" % len(bad))
    else:
        print("every log line is a JSON record")
    return not bad


def write_report(log_root, path):
    with open(path, "w") as f:
        r = subprocess.run([TOOL, "report", log_root], stdout=f,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    summary = [ln for ln in lines if ln.startswith("flaketrap:")]
    print("flaketrap report %s (exit %d): %s" % (
        log_root, r.returncode, path))
    for ln in summary[:3]:
        print("  " + ln)
    return r.returncode == 0


def parse_args():
    p = argparse.ArgumentParser(
        prog="test/cpython/check.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("--full", action="store_true",
                   help="every module in full (the long form)")
    p.add_argument("--knob", action="append", default=[],
                   metavar="FLAKETRAP_NAME=VALUE",
                   help="a knob of the flaketrap side (repeatable)")
    p.add_argument("--timers", choices=("warp", "idle"),
                   help="the check of virtual time: WARP_MODULES in full, "
                   "the flaketrap side with FLAKETRAP_TIMERS=RULE")
    p.add_argument("--chaos-object", action="store_true",
                   help="load libflaketrap-chaos.so first on the flaketrap "
                   "side, chaos off (FLAKETRAP_CHAOS unset): its wrappers "
                   "must pass every call through unchanged")
    p.add_argument("--fail-env-changed", action="store_true",
                   help="passed to regrtest on both sides")
    p.add_argument("--rerun", action=argparse.BooleanOptionalAction,
                   help="run a module whose sides differ once more; if they "
                        "are the same then, the module is flaky and does "
                        "not count (default: on without --knob, off with)")
    p.add_argument("--only", action="append", default=[], metavar="MODULE",
                   help="only this module (repeatable)")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="the CPython to test (default %(default)s)")
    p.add_argument("--timeout", type=int, default=None,
                   help="regrtest's --timeout per module, in seconds "
                        "(default 600, 1800 with --full)")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="regrtest invocations at a time (default 2: a "
                        "module's two sides together)")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "cpython"),
                   help="where outputs and logs go (default %(default)s); "
                        "its plain/ and flaketrap/ are replaced")
    args = p.parse_args()
    if args.timeout is None:
        args.timeout = 1800 if args.full else 600
    if args.rerun is None:
        args.rerun = not args.knob or bool(args.timers)
    if args.timeout <= 0 or args.jobs <= 0:
        die("--timeout and --jobs must be positive")
    return args


def main():
    args = parse_args()
    # Caught here, so every test starts with these at SIG_DFL: a shell
    # starts a background job with SIGINT ignored, and regrtest's
    # interrupt_main tests (test_threading) then fail on both sides.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if signum == signal.SIGINT or \
                signal.getsignal(signum) != signal.SIG_IGN:    # nohup
            signal.signal(signum, stop_on_signal)
    try:
        check(args)
    except Stop as e:
        stop_running()
        print("check-cpython: stopped by signal %d; the regrtests running "
              "were killed" % e.signum, file=sys.stderr)
        sys.exit(128 + e.signum)


def check(args):
    knobs = {"FLAKETRAP_SLEEP": ("off", "--sleep=off")}
    for spec in args.knob:
        name, value, option = knob_option(spec)
        knobs[name] = (value, option)
    if args.timers:
        knobs["FLAKETRAP_TIMERS"] = (args.timers, "--timers=" + args.timers)
    options = [o for _, o in knobs.values()]
    listed = WARP_MODULES if args.timers else MODULES
    modules = [(m, None if args.full else pats) for m, pats in listed
               if (not args.only or m in args.only)
               and (args.full or pats is not LONG_ONLY)]
    unknown = set(args.only) - {m for m, _ in listed}
    if unknown:
        die("--only: not in the list: %s" % ", ".join(sorted(unknown)))
    if not os.access(TOOL, os.X_OK):
        die("%s missing: run make first" % TOOL)
    env = plain_environment()
    probe = subprocess.run([args.python, "-c", "import test.libregrtest"],
                           env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if probe.returncode != 0:
        die("%s has no test suite (Debian: apt-get install "
            "libpython3.11-testsuite)" % args.python)
    # A bad knob stops here, with the library's reason (and its "did you
    # mean" for a typo), not once per module.
    probe_env = dict(env, **{k: v for k, (v, _) in knobs.items()})
    probe = subprocess.run([TOOL, "run", "--", "true"], env=probe_env,
                           stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           universal_newlines=True)
    if probe.returncode != 0:
        die(probe.stderr.strip() or "flaketrap run %s failed"
            % " ".join(options))

    out = os.path.abspath(args.out)
    plain = Side("plain", out, lambda mod: ())
    under = Side("flaketrap", out, None)
    log_root = os.path.join(under.dir, "log")
    # libflaketrap-chaos.so loaded before the rest, its chaos off: every
    # lock, read and write of CPython through its pass-through wrappers.
    chaos_object = ["sh", "-c", 'LD_PRELOAD="$0:$LD_PRELOAD" exec "$@"',
                    os.path.join(ROOT, "preload", "libflaketrap-chaos.so")]
    under.prefix = lambda mod: [TOOL, "run"] + options + [
        "--log=" + os.path.join(log_root, mod), "--"] + (
            chaos_object if args.chaos_object else [])
    for side in (plain, under):
        try:
            shutil.rmtree(side.dir)
        except FileNotFoundError:
            pass
        except OSError as e:
            die("cannot empty %s (a process of an earlier run still "
                "writing there?): %s" % (side.dir, e))
        os.makedirs(side.dir)

    config = " ".join("%s=%s" % (k, v) for k, (v, _) in knobs.items())
    print("check-cpython: %s, %d module(s) (%s form), regrtest -j1 --timeout "
          "%d%s; plain and under flaketrap run with %s, %d at a time" % (
              args.python, len(modules), "long" if args.full else "short",
              args.timeout,
              " --fail-env-changed" if args.fail_env_changed else "",
              config, args.jobs), flush=True)
    start = time.monotonic()
    run_all([plain, under], modules, args, env)
    again = differing(plain, under, modules) if args.rerun else []
    if again:
        print("check-cpython: %s differed: running %s again" % (
            ", ".join(m for m, _ in again),
            "it" if len(again) == 1 else "them"), flush=True)
        run_all([plain, under], again, args, env, AGAIN)
    elapsed = time.monotonic() - start
    print()
    differ = print_table(plain, under, modules, timed=bool(args.timers))
    valid = summarize_logs(log_root, modules +
                           [(m + AGAIN, p) for m, p in again])
    valid = write_report(log_root, os.path.join(under.dir, "report.txt")) \
        and valid
    print("outputs in %s; %.0f s in all" % (out, elapsed))
    sys.exit(1 if differ or not valid else 0)


if __name__ == "__main__":
    main()
