#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The speed of the library, as ratios to the same work without it.

usage: bench/run.py [--reps N] [--more-reps N] [--heavy-reps N]
                    [--only TEXT] [--tool FLAKETRAP] LIB BINDIR

libflaketrap-warp.so is taken from beside LIB: the clock and timed-wait
rows run once with the library alone (warp off: the target) and once
with both objects and FLAKETRAP_TIMERS=warp (shown, no target). So is
libflaketrap-chaos.so: the mutex and pipe rows run once with the library
alone (chaos off, the object not loaded: the target) and once with both
and FLAKETRAP_CHAOS=on (shown, no target: the holds are its point).

Each benchmark program times its own work (CLOCK_MONOTONIC, start-up
excluded) and prints nanoseconds. Every measurement is made in this run
with and without LD_PRELOAD=LIB, N times each (default 5), alternating, and
the medians are compared. A row whose runs of one side differ by more
than a quarter (other work shared the machine) gets --more-reps more runs
each way (default 6), and its medians are of all of them: more runs, not
other rules, where the machine is noisy. `flaketrap loop` is timed from outside against
xargs -P starting the same runs of true under the library. The library
runs with its default knobs
(FLAKETRAP_LOG unset unless said: leak tracking and 16-frame creation
backtraces on), except the sleep-family rows (FLAKETRAP_SLEEP=off: the cost
of a wrapper that changes nothing). A target missed is a WARN, not a
failure: timings belong here, never in make check. Exit status 1 only when
a program fails.

The sleep-heavy program (10,000 x usleep(1000), some 10 s natively) runs
natively, under the library (FLAKETRAP_SLEEP at its default, 1ns) and
under libfaketime (faketime -f '+0 x1000', the peer), timed from outside:
libfaketime fakes the program's own clock. Its native side is slow, so it
has its own, smaller count of runs (--heavy-reps, default 3).
"""

import argparse
import atexit
import glob
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

THREADS = 100000
FORKS = 5000
EXIT_THREADS = 1000
EXIT_CHILDREN = 100
STARTS = 1000
CLOCK_READS = 10000000
TIMED_WAITS = 1000000
# A futex wait whose deadline is past still costs some 20 us here.
PAST_WAITS = 50000
MUTEX_ROUNDS = 1000000
PIPE_ROUNDS = 200000
SHRUNK_SLEEPS = 200000
LOOP_RUNS = 2000
PYTHON = "/usr/bin/python3"
PY_STARTS = 100
PY_THREADS = 2000
PY_SLEEPS = 20000
# Prints its own time in ns, as every bench program does.
PY_TIMED = ("import threading, time\n"
            "n, mode = %d, %r\n"
            "t = time.monotonic_ns()\n"
            "for _ in range(n):\n"
            "    if mode == 'threads':\n"
            "        th = threading.Thread(target=int); th.start(); th.join()\n"
            "    else:\n"
            "        time.sleep(0.001)\n"
            "print(time.monotonic_ns() - t)\n")
# A zero sleep still costs the kernel's timer slack (50 us) natively.
TIMER_SLEEPS = 5000
SELECT_SLEEPS = 200000
HEAVY_SLEEPS = 10000
HEAVY_NS = 1000000
FAKETIME = ["faketime", "-f", "+0 x1000"]
LOOP_JOBS = 2
# The Python hook: start-ups, and tests that each start a thread.
PY_STARTS = 50
PY_TESTS = 2000
# Runs of one side that differ by more than this factor (or, against an
# absolute target, by more than this share of it) are noise.
NOISY = 1.25
NOISY_SHARE = 0.2


def base_env():
    """The caller's environment without the library or any of its knobs."""
    return {k: v for k, v in os.environ.items()
            if k != "LD_PRELOAD" and not k.startswith("FLAKETRAP_")}


# Minor page faults of the last run_ns (its process and the children it
# waited for, start-up included): a fork's cost on a VM is mostly these.
last_faults = 0


def run_ns(argv, env):
    global last_faults
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    last_faults = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt \
        - before
    if p.returncode != 0 or not p.stdout.strip().isdigit():
        sys.stderr.write("bench: %s failed (status %d)\n%s%s" %
                         (" ".join(argv), p.returncode, p.stdout, p.stderr))
        sys.exit(1)
    return int(p.stdout)


class Bench:
    """One row: a program run plainly and under the library."""

    def __init__(self, name, plain, with_lib, target=None, absolute=None,
                 per=None, logdir=False, faults=False):
        self.name = name
        self.plain = plain          # () -> argv, env
        self.with_lib = with_lib    # (logdir or None) -> argv, env
        self.target = target        # ratio bound
        self.absolute = absolute    # bound on with - plain, in ns
        self.per = per              # (count, unit) for the per-item cost
        self.logdir = logdir
        self.samples = ([], [])
        self.faults = ([], []) if faults else None
        self.note = ""

    def noisy(self, side):
        """Whether the runs of one side differ too much to be trusted."""
        if self.absolute is not None:
            return max(side) - min(side) > self.absolute * NOISY_SHARE
        return max(side) > NOISY * min(side)

    def measure_with(self):
        if not self.logdir:
            return run_ns(*self.with_lib(None))
        d = tempfile.mkdtemp(prefix="ft-bench-")
        try:
            ns = run_ns(*self.with_lib(d))
            self.note = log_note(d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        return ns

    def run(self, reps, more=0):
        for i in range(reps):
            # Alternate who goes first: a drift in the machine's load
            # then weighs on both sides alike.
            for side in ((0, 1) if i % 2 == 0 else (1, 0)):
                self.samples[side].append(
                    self.measure_with() if side else run_ns(*self.plain()))
                if self.faults:
                    self.faults[side].append(last_faults)
        if more and any(self.noisy(side) for side in self.samples):
            self.run(more)


def log_note(d):
    """What the exit scan wrote: a check that it did its whole job."""
    leaks = stacks = children = sites = 0
    for path in glob.glob(os.path.join(d, "*.jsonl")):
        with open(path) as f:
            for line in f:
                if '"event":"leaked_thread"' in line:
                    leaks += 1
                    stacks += '"stack":[' in line
                children += '"event":"leaked_child"' in line
                if '"event":"sleep_sites"' in line:
                    sites += line.count('"id":')
    if sites:
        return "log: %d sleep sites" % sites
    return ("log: %d leaked_thread records, %d with a current stack; %d "
            "leaked_child records" % (leaks, stacks, children))


class HeavyBench:
    """The sleep-heavy program three ways, timed from outside by spawn:
    natively, under the library, under libfaketime. Two rows: the
    library's speed-up over native and over libfaketime."""

    def __init__(self, spawn, lib, argv, env):
        self.name = "usleep(%dms) x%d" % (HEAVY_NS // 1000000, HEAVY_SLEEPS)
        # spawn execs without a PATH search.
        faketime = shutil.which(FAKETIME[0])
        self.sides = {
            "native": [spawn, "start", "1"] + argv,
            "flaketrap": [spawn, "-e", "LD_PRELOAD=" + lib, "start",
                          "1"] + argv,
            "faketime": [spawn, "start", "1", faketime or ""] +
                        FAKETIME[1:] + argv,
        }
        self.env = env
        self.samples = {k: [] for k in self.sides}
        self.missing = faketime is None
        if self.missing:
            del self.sides["faketime"]
            del self.samples["faketime"]

    def measure(self, side):
        # The program prints its own (for libfaketime, faked) time first;
        # spawn's line, the real one, is last.
        argv = self.sides[side]
        p = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        last = p.stdout.split()[-1:] or [""]
        if p.returncode != 0 or not last[0].isdigit():
            sys.stderr.write("bench: %s failed (status %d)\n%s%s" % (
                " ".join(argv), p.returncode, p.stdout, p.stderr))
            sys.exit(1)
        return int(last[0])

    def run(self, reps):
        order = list(self.sides)
        for i in range(reps):
            # Each side goes first once in three runs.
            for side in order[i % len(order):] + order[:i % len(order)]:
                self.samples[side].append(self.measure(side))

    def noisy(self, side):
        return max(side) > NOISY * min(side)


class LoopBench:
    """flaketrap loop against xargs -P: the same runs of true, timed from
    outside (wall clock), both with the library and a log directory."""

    def __init__(self, tool, lib, env):
        self.name = "loop -n %d -j %d true" % (LOOP_RUNS, LOOP_JOBS)
        self.tool = tool
        self.lib = lib
        self.env = env
        self.samples = ([], [])
        self.note = ""
        self.target = 0.95  # throughput of loop / throughput of xargs

    def noisy(self, side):
        return max(side) > NOISY * min(side)

    def xargs(self):
        d = tempfile.mkdtemp(prefix="ft-bench-")
        env = dict(self.env, LD_PRELOAD=self.lib, FLAKETRAP_LOG=d)
        seq = "\n".join(str(i) for i in range(LOOP_RUNS)) + "\n"
        try:
            t = time.monotonic_ns()
            p = subprocess.run(["xargs", "-P", str(LOOP_JOBS), "-n", "1",
                                "/bin/true"], input=seq, text=True, env=env)
            t = time.monotonic_ns() - t
        finally:
            shutil.rmtree(d, ignore_errors=True)
        if p.returncode != 0:
            sys.exit("bench: xargs failed (status %d)" % p.returncode)
        return t

    def loop(self):
        d = tempfile.mkdtemp(prefix="ft-bench-")
        try:
            t = time.monotonic_ns()
            p = subprocess.run([self.tool, "loop", "-n", str(LOOP_RUNS),
                                "-j", str(LOOP_JOBS), "--out", d, "--",
                                "/bin/true"], env=self.env,
                               stdout=subprocess.DEVNULL)
            t = time.monotonic_ns() - t
        finally:
            shutil.rmtree(d, ignore_errors=True)
        if p.returncode != 0:
            sys.exit("bench: flaketrap loop failed (status %d)" %
                     p.returncode)
        return t

    def run(self, reps):
        for i in range(reps):
            if i % 2 == 0:
                self.samples[0].append(self.xargs())
                self.samples[1].append(self.loop())
            else:
                self.samples[1].append(self.loop())
                self.samples[0].append(self.xargs())


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def fmt_time(ns):
    if ns >= 1e9:
        return "%.3f s" % (ns / 1e9)
    return "%.1f ms" % (ns / 1e6)


def main():
    ap = argparse.ArgumentParser(description="flaketrap benchmarks")
    ap.add_argument("--reps", type=int, default=5,
                    help="runs each way (default 5)")
    ap.add_argument("--more-reps", type=int, default=6,
                    help="more runs each way of a row whose runs differ "
                    "too much (default 6; 0: none)")
    ap.add_argument("--heavy-reps", type=int, default=3,
                    help="runs each way of the sleep-heavy program, some "
                    "10 s each natively (default 3)")
    ap.add_argument("--only", metavar="TEXT",
                    help="only the benchmarks whose name holds TEXT")
    ap.add_argument("--tool", help="the flaketrap command (default: "
                    "tools/flaketrap beside the library's preload/)")
    ap.add_argument("lib", help="the library, libflaketrap.so")
    ap.add_argument("bindir", help="where the bench programs are")
    args = ap.parse_args()
    if args.reps < 1 or args.heavy_reps < 1 or args.more_reps < 0:
        ap.error("--reps and --heavy-reps must be at least 1, --more-reps "
                 "at least 0")
    reps = args.reps
    lib = os.path.abspath(args.lib)
    tool = os.path.abspath(args.tool or os.path.join(
        os.path.dirname(lib), "..", "tools", "flaketrap"))
    bindir = os.path.abspath(args.bindir)
    env = base_env()
    preloaded = dict(env, LD_PRELOAD=lib)

    def prog(name):
        return os.path.join(bindir, name)

    def direct(argv, knobs=None):
        with_knobs = dict(preloaded, **(knobs or {}))
        return (lambda: (argv, env)), (lambda d: (argv, with_knobs))

    def sleep_row(fn, count):
        return Bench("%s(0) x%d, SLEEP=off" % (fn, count),
                     *direct([prog("sleeps"), fn, str(count)],
                             {"FLAKETRAP_SLEEP": "off"}),
                     target=1.05, per=(count, "call"))

    warp_lib = os.path.join(os.path.dirname(lib), "libflaketrap-warp.so")
    warped = dict(env, LD_PRELOAD=warp_lib + ":" + lib,
                  FLAKETRAP_TIMERS="warp")

    def with_warp(argv):
        return (lambda: (argv, env)), (lambda d: (argv, warped))

    chaos_lib = os.path.join(os.path.dirname(lib), "libflaketrap-chaos.so")
    # One seed: the same holds in every run (a thread's first starvation
    # may last 2 s, which would make the rows mostly noise).
    chaotic = dict(env, LD_PRELOAD=chaos_lib + ":" + lib,
                   FLAKETRAP_CHAOS="on", FLAKETRAP_SEED="1")

    def chaos_rows(mode, count, what, per):
        # The library alone must not touch these calls (the target); with
        # chaos on they pay a draw each and the holds (shown, no target).
        argv = [prog("locks"), mode, str(count)]
        return [
            Bench("%s x%d" % (what, count), *direct(argv),
                  target=1.05, per=(count, per)),
            Bench("%s x%d, chaos" % (what, count),
                  lambda: (argv, env), lambda d: (argv, chaotic),
                  per=(count, per)),
        ]

    def clock_rows(mode, count, what):
        argv = [prog("clocks"), mode, str(count)]
        return [
            Bench("%s x%d" % (what, count), *direct(argv),
                  target=1.05, per=(count, "call")),
            Bench("%s x%d, warp" % (what, count), *with_warp(argv),
                  per=(count, "call")),
        ]

    def spawned(mode_argv, logged=False):
        # spawn itself never runs under the library: only its child does.
        def with_lib(d):
            sets = ["-e", "LD_PRELOAD=" + lib]
            if logged:
                sets += ["-e", "FLAKETRAP_LOG=" + d]
            return [prog("spawn")] + sets + mode_argv, env
        return (lambda: ([prog("spawn")] + mode_argv, env)), with_lib

    def sleep_rows():
        # Both sides under the library, every sleep shrunk to nothing:
        # the cost of sleep sites against the same run without them.
        argv = [prog("sleep-sites"), str(SHRUNK_SLEEPS)]

        def with_env(**knobs):
            return lambda d: (argv, dict(preloaded, **{
                k: v.replace("{}", d or "") for k, v in knobs.items()}))
        rows = [("log (sites counted)", dict(FLAKETRAP_LOG="{}"), True),
                ("a glob pattern", dict(FLAKETRAP_SLEEP_SKIP="nothing_*"),
                 False),
                ("a glob naming the sites",
                 dict(FLAKETRAP_SLEEP_ONLY="site_*"), False),
                ("a site id pattern",
                 dict(FLAKETRAP_SLEEP_SKIP="nothing+0x1"), False)]
        return [Bench("shrunk usleep x%d, %s vs none" % (SHRUNK_SLEEPS, what),
                      lambda: (argv, preloaded), with_env(**knobs),
                      per=(SHRUNK_SLEEPS, "sleep"), logdir=logdir)
                for what, knobs, logdir in rows]

    def python_frames_rows():
        # Both sides under the library: Python frames on (the default)
        # against FLAKETRAP_PYTHON=off, the cost of the frames alone.
        if not os.access(PYTHON, os.X_OK):
            return []
        start = ["start", str(PY_STARTS), PYTHON, "-c", "pass"]

        def started(knobs):
            sets = ["-e", "LD_PRELOAD=" + lib]
            for k, v in knobs.items():
                sets += ["-e", "%s=%s" % (k, v)]
            return [prog("spawn")] + sets + start, env

        def timed(mode, count, knobs):
            argv = [PYTHON, "-c", PY_TIMED % (count, mode)]
            return lambda d: (argv, dict(preloaded, **{
                k: v.replace("{}", d or "") for k, v in knobs.items()}))
        off = {"FLAKETRAP_PYTHON": "off"}
        off_log = tempfile.mkdtemp(prefix="ft-bench-")
        atexit.register(shutil.rmtree, off_log, ignore_errors=True)
        logged = {"FLAKETRAP_LOG": "{}"}
        return [
            Bench("python3 -c pass x%d, python frames vs off" % PY_STARTS,
                  lambda: started(off), lambda d: started({}),
                  per=(PY_STARTS, "process")),
            # Both sides log: frames are taken only then.
            Bench("python3 Thread start+join x%d, log, frames vs off"
                  % PY_THREADS,
                  lambda: timed("threads", PY_THREADS, dict(off, **logged))(
                      off_log),
                  timed("threads", PY_THREADS, logged),
                  per=(PY_THREADS, "thread"), logdir=True),
            # Shrunk to 1ns (the default): time.sleep waits for an
            # absolute deadline, and a real wait would hide the frames'
            # cost in itself.
            Bench("python3 time.sleep(1ms) shrunk x%d, log, frames vs off"
                  % PY_SLEEPS,
                  lambda: timed("sleep", PY_SLEEPS, dict(off, **logged))(
                      off_log),
                  timed("sleep", PY_SLEEPS, logged),
                  per=(PY_SLEEPS, "sleep"), logdir=True),
        ]

    exit_argv = ["exit", prog("exit-threads"), str(EXIT_THREADS),
                 str(EXIT_CHILDREN)]
    exit_name = "exit, %d threads+%d children" % (EXIT_THREADS,
                                                  EXIT_CHILDREN)
    # Both sides under the library; one with the Python hook on
    # PYTHONPATH, as flaketrap run puts it (compiled by make all).
    hook = os.path.join(os.path.dirname(lib), "python")

    def python_hook_rows():
        def spawn_py(argv, hooked):
            sets = ["-e", "LD_PRELOAD=" + lib]
            if hooked:
                sets += ["-e", "PYTHONPATH=" + hook]
            return [prog("spawn")] + sets + argv, env
        start = ["start", str(PY_STARTS), "/usr/bin/python3", "-c", "pass"]
        tests = ["start", "1", "/usr/bin/python3", os.path.join(
            os.path.dirname(os.path.abspath(__file__)),
            "py-threads-tests.py"), str(PY_TESTS)]
        return [
            Bench("python3 -c pass x%d, hook" % PY_STARTS,
                  lambda: spawn_py(start, False),
                  lambda d: spawn_py(start, True),
                  target=1.05, per=(PY_STARTS, "process")),
            Bench("python: %d tests+threads, hook" % PY_TESTS,
                  lambda: spawn_py(tests, False),
                  lambda d: spawn_py(tests, True),
                  per=(PY_TESTS, "test")),
        ]

    benches = [
        Bench("load: /bin/true x%d" % STARTS,
              *spawned(["start", str(STARTS), "/bin/true"]),
              target=1.3, per=(STARTS, "process")),
    ] + [sleep_row(fn, TIMER_SLEEPS)
         for fn in ("nanosleep", "usleep", "clock_nanosleep")] + [
        sleep_row("select", SELECT_SLEEPS),
        Bench("pthread_create+join x%d" % THREADS,
              *direct([prog("threads"), str(THREADS)]),
              target=1.05, per=(THREADS, "thread"), faults=True),
        Bench("fork+waitpid x%d" % FORKS,
              *direct([prog("forks"), str(FORKS)]),
              target=1.10, per=(FORKS, "fork"), faults=True),
        Bench(exit_name + ", log", *spawned(exit_argv, logged=True),
              target=2.0, logdir=True),
        Bench(exit_name + ", stderr", *spawned(exit_argv), target=2.0),
        Bench(exit_name + " all ended, log",
              *spawned(exit_argv + ["clean"], logged=True), absolute=1e6,
              logdir=True),
    ] + clock_rows("gettime", CLOCK_READS, "clock_gettime") \
      + clock_rows("poll", TIMED_WAITS, "poll, ready, 1 s") \
      + clock_rows("cond", PAST_WAITS, "cond_timedwait, past") \
      + chaos_rows("mutex", MUTEX_ROUNDS, "mutex lock+unlock, 2 threads",
                   "pair") \
      + chaos_rows("pipe", PIPE_ROUNDS, "pipe write+read", "round trip") \
      + sleep_rows() + python_frames_rows() + python_hook_rows()
    loop_bench = LoopBench(tool, lib, env)
    heavy = HeavyBench(prog("spawn"), lib,
                       [prog("sleeps"), "usleep", str(HEAVY_SLEEPS),
                        str(HEAVY_NS)], env)

    if args.only:
        benches = [b for b in benches if args.only in b.name]
        if args.only not in loop_bench.name:
            loop_bench = None
        if args.only not in heavy.name:
            heavy = None
        if not benches and not loop_bench and not heavy:
            ap.error("no benchmark name holds %r" % args.only)
    start_load = load()
    sys.stderr.write("flaketrap bench: %d benchmarks, %d runs each way "
                     "(5 take about two minutes, the sleep-heavy program "
                     "%d runs of some 10 s)\n" % (
                         len(benches) + bool(loop_bench), reps,
                         args.heavy_reps if heavy else 0))
    for b in benches:
        b.run(reps, args.more_reps)
    if loop_bench:
        loop_bench.run(reps)
    if heavy:
        heavy.run(args.heavy_reps)
    # Other work on the machine shows in the load and in the samples.
    print("flaketrap bench: %s, medians of %d runs each way (%d for a "
          "row marked +, whose first runs were noisy; the sleep-heavy "
          "program: %d); %d CPUs, load %s at start, %s at end" %
          (lib, reps, reps + args.more_reps,
           args.heavy_reps if heavy else 0, os.cpu_count(), start_load,
           load()))

    # The verdict goes by the medians; the minima are shown beside them,
    # since on a shared machine noise only ever adds time.
    row = "%-38s %10s %10s %11s %11s %9s  %s"
    print(row % ("benchmark", "plain", "with lib", "ratio/diff", "(by min)",
                 "target", "result"))
    notes = []
    noisy = False
    for b in benches:
        plain = statistics.median(b.samples[0])
        with_lib = statistics.median(b.samples[1])
        lo = (min(b.samples[0]), min(b.samples[1]))
        if b.absolute is not None:
            diff = with_lib - plain
            measure = "%+.1f ms" % (diff / 1e6)
            by_min = "%+.1f ms" % ((lo[1] - lo[0]) / 1e6)
            target = "< %.0f ms" % (b.absolute / 1e6)
            result = "PASS" if diff < b.absolute else "WARN"
        else:
            ratio = with_lib / plain
            measure = "%.3f" % ratio
            by_min = "%.3f" % (lo[1] / lo[0])
            target = "<= %.2f" % b.target if b.target else "-"
            result = ("PASS" if ratio <= b.target else "WARN") \
                if b.target else "info"
        if any(b.noisy(side) for side in b.samples):
            result += " noisy"
            noisy = True
        if len(b.samples[0]) > reps:
            result += " +"
        print(row % (b.name, fmt_time(plain), fmt_time(with_lib), measure,
                     by_min, target, result))
        if b.faults:
            count, unit = b.per
            per_unit = [statistics.median(side) / count for side in b.faults]
            print(row % ("  page faults per " + unit,
                         "%.1f" % per_unit[0], "%.1f" % per_unit[1],
                         "%+.1f" % (per_unit[1] - per_unit[0]), "-", "-",
                         "info"))
        if b.per:
            count, unit = b.per
            notes.append("%s: %.1f us per %s plainly, %+.1f us with the "
                         "library" % (b.name, plain / count / 1e3, unit,
                                      (with_lib - plain) / count / 1e3))
        if b.note:
            notes.append("%s: %s" % (b.name, b.note))
        notes.append("%s: samples (ms) plain %s, with lib %s" % (
            b.name, " ".join("%.1f" % (s / 1e6) for s in b.samples[0]),
            " ".join("%.1f" % (s / 1e6) for s in b.samples[1])))
    noisy |= heavy_rows(heavy, row, notes)
    b = loop_bench
    if not b:
        return finish(notes, noisy)
    xargs_ns = statistics.median(b.samples[0])
    loop_ns = statistics.median(b.samples[1])
    ratio = xargs_ns / loop_ns
    result = "PASS" if ratio >= b.target else "WARN"
    if any(b.noisy(side) for side in b.samples):
        result += " noisy"
        noisy = True
    print(row % (b.name, fmt_time(xargs_ns), fmt_time(loop_ns),
                 "%.3f" % ratio,
                 "%.3f" % (min(b.samples[0]) / min(b.samples[1])),
                 ">= %.2f" % b.target, result))
    notes.append("%s: runs/s with xargs -P %d %.0f, with flaketrap loop "
                 "%.0f; the ratio is loop's throughput to xargs's (the "
                 "plain column is xargs)" % (
                     b.name, LOOP_JOBS, LOOP_RUNS / (xargs_ns / 1e9),
                     LOOP_RUNS / (loop_ns / 1e9)))
    notes.append("%s: samples (ms) xargs %s, loop %s" % (
        b.name, " ".join("%.1f" % (s / 1e6) for s in b.samples[0]),
        " ".join("%.1f" % (s / 1e6) for s in b.samples[1])))
    return finish(notes, noisy)


def heavy_rows(b, row, notes):
    """The sleep-heavy rows: speed-ups (plain time / time with the
    library). Returns whether a side was noisy."""
    if not b:
        return False
    noisy = False
    lib = b.samples["flaketrap"]
    peers = [("native", 100.0)]
    if b.missing:
        notes.append("%s: faketime not installed (make deps): no row "
                     "against libfaketime" % b.name)
    else:
        peers.append(("faketime", 5.0))
    for peer, target in peers:
        other = b.samples[peer]
        speedup = statistics.median(other) / statistics.median(lib)
        result = "PASS" if speedup >= target else "WARN"
        if b.noisy(other) or b.noisy(lib):
            result += " noisy"
            noisy = True
        print(row % ("%s vs %s" % (b.name, peer if peer == "native" else
                                   "faketime x1000"),
                     fmt_time(statistics.median(other)),
                     fmt_time(statistics.median(lib)), "%.1f" % speedup,
                     "%.1f" % (min(other) / min(lib)), ">= %.0f" % target,
                     result))
    for side, samples in b.samples.items():
        notes.append("%s: samples (ms) %s %s" % (
            b.name, side, " ".join("%.1f" % (s / 1e6) for s in samples)))
    if not b.missing:
        notes.append("%s: libfaketime x1000 is %.1f times as fast as "
                     "native; the rows' ratios are speed-ups (the plain "
                     "column is native or libfaketime)" % (
                         b.name, statistics.median(b.samples["native"]) /
                         statistics.median(b.samples["faketime"])))
    return noisy


def finish(notes, noisy):
    if noisy:
        print("noisy: the runs of one side differ by more than %d%% (by "
              "more than %d%% of an absolute target): other work shared the "
              "machine; the verdict may be wrong either way" %
              (round((NOISY - 1) * 100), round(NOISY_SHARE * 100)))
    print()
    for n in notes:
        print("  " + n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
