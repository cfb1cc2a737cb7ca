#!/bin/sh
# Python call sites and sleep wrappers: a sleep the interpreter makes is
# sited at its Python line (function, file, line), in the log, report,
# the patterns and bisect --sleeps; a thread, a child and a crash of a
# Python program carry their Python frames; FLAKETRAP_SLEEP_WRAPPERS sites
# a sleep helper's sleeps at its callers (C and Python). The fixtures fail
# exactly when the sleep of wait_for_worker is shrunk (see their comments).
. "$(dirname "$0")/lib.sh"

mkdir tmp
TMPDIR=$PWD/tmp
export TMPDIR

PYFIX=$ROOT/test/fixtures/sleep-sites.py
guilty=$(grep -n 'time.sleep(0.1)' "$PYFIX" | cut -d: -f1)
pace=$(grep -n 'time.sleep(0.05)' "$PYFIX" | cut -d: -f1)
CFIX=$FIXTURES/sleep-wrapper
CSRC=$ROOT/test/fixtures/sleep-wrapper.c
c_guilty=$(grep -n 'msleep(100);' "$CSRC" | cut -d: -f1)
c_pace=$(grep -n 'msleep(1);' "$CSRC" | cut -d: -f1)

# sites DIR: "id:function:seen:changed" of each site, busiest first.
sites () {
	logq "$1" '" ".join("%s:%s:%d:%d" % (s["id"], s["python"][0]["function"] if "python" in s else (s["backtrace"][0].get("symbol") if s["backtrace"] else None), s["seen"], s["changed"]) for r in of("sleep_sites") for s in r["sites"])'
}

test_expect_success 'the Python fixture passes without the library, fails with every sleep shrunk' '
	$GUARD "$PYTHON" "$PYFIX" >out && grep -q "^PASS" out &&
	test_expect_code 1 preload FLAKETRAP_LOG=all "$PYTHON" "$PYFIX" >out &&
	grep -q "^FAIL" out
'

test_expect_success 'two Python sites, id FILE:LINE, with their innermost Python frames' '
	test "$(sites all)" = "sleep-sites.py:$pace:pace:3:3 sleep-sites.py:$guilty:wait_for_worker:1:1" &&
	test "$(logq all "[(f[\"function\"], f[\"file\"] == \"$PYFIX\", f[\"line\"]) for f in of(\"sleep_sites\")[0][\"sites\"][1][\"python\"]][:2]")" = "[('"'"'wait_for_worker'"'"', True, $guilty), ('"'"'main'"'"', True, $((guilty + 7)))]" &&
	test "$(logq all "max(len(s[\"python\"]) for s in of(\"sleep_sites\")[0][\"sites\"]) <= 4")" = True &&
	test "$(logq all "all(\"_PyEval_EvalFrameDefault\" in syms(s[\"backtrace\"]) for s in of(\"sleep_sites\")[0][\"sites\"])")" = True
'

test_expect_success 'the site ids are the same from run to run' '
	preload FLAKETRAP_SLEEP=off FLAKETRAP_LOG=again "$PYTHON" "$PYFIX" >out &&
	test "$(logq again "[s[\"id\"] for s in of(\"sleep_sites\")[0][\"sites\"]]")" = "$(logq all "[s[\"id\"] for s in of(\"sleep_sites\")[0][\"sites\"]]")"
'

test_expect_success 'patterns name a Python function, a file, a FILE:LINE site' '
	preload FLAKETRAP_SLEEP_SKIP=wait_for_worker FLAKETRAP_LOG=skip "$PYTHON" "$PYFIX" >out &&
	grep -q "^PASS" out &&
	test "$(sites skip)" = "sleep-sites.py:$pace:pace:3:3 sleep-sites.py:$guilty:wait_for_worker:1:0" &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY=sleep-sites.py:$guilty "$PYTHON" "$PYFIX" >out &&
	preload FLAKETRAP_SLEEP_ONLY=sleep-sites.py:$pace FLAKETRAP_LOG=line "$PYTHON" "$PYFIX" >out &&
	test "$(sites line)" = "sleep-sites.py:$pace:pace:3:3 sleep-sites.py:$guilty:wait_for_worker:1:0" &&
	preload FLAKETRAP_SLEEP_ONLY="pac?" "$PYTHON" "$PYFIX" >out &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY="sleep-s*.py" "$PYTHON" "$PYFIX" >out &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY="*/fixtures/sleep-sites.py:$guilty" "$PYTHON" "$PYFIX" >out &&
	preload FLAKETRAP_SLEEP_ONLY="fixtures/sleep-sites.py:$guilty" "$PYTHON" "$PYFIX" >out &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY=main "$PYTHON" "$PYFIX" >out
'

test_expect_success 'bad Python patterns and knobs stop the process with 125' '
	for v in "x.py:0" ":12" "x.py:012" "x.py:1234567890" "[x.py:1"; do
		test_expect_code 125 preload FLAKETRAP_SLEEP_ONLY="$v" /bin/true 2>err &&
		grep -q "FLAKETRAP_SLEEP_ONLY" err || return 1
	done &&
	test_expect_code 125 preload FLAKETRAP_PYTHON=maybe /bin/true 2>err &&
	grep -q FLAKETRAP_PYTHON err &&
	test_expect_code 125 preload FLAKETRAP_SLEEP_WRAPPERS= /bin/true 2>err &&
	test_expect_code 125 preload FLAKETRAP_SLEEP_WRAPPERS="a,,b" /bin/true 2>err &&
	grep -q FLAKETRAP_SLEEP_WRAPPERS err
'

test_expect_success 'report prints each Python site as function at file:line' '
	"$FLAKETRAP" report all >out &&
	grep -q "^  pace at $PYFIX:$pace (sleep-sites.py:$pace): seen 3, changed 3;" out &&
	grep -q "^  wait_for_worker at $PYFIX:$guilty (sleep-sites.py:$guilty): seen 1, changed 1;" out &&
	"$FLAKETRAP" report --json all >doc.json &&
	"$PYTHON" -c "import json
s = json.load(open(\"doc.json\"))[\"sleep_sites\"][0][\"sites\"]
assert [(x[\"id\"], x[\"python\"][0][\"function\"]) for x in s] == [(\"sleep-sites.py:$pace\", \"pace\"), (\"sleep-sites.py:$guilty\", \"wait_for_worker\")], s
"
'

test_expect_success 'bisect --sleeps names the Python function and line used as synchronization, not the other' '
	for seed in 1 2; do
		$GUARD "$FLAKETRAP" bisect --sleeps --seed=$seed -o found -- "$PYTHON" "$PYFIX" >out 2>err &&
		test "$(wc -l <out)" = 1 &&
		grep -q "^wait_for_worker at $PYFIX:$guilty (sleep-sites.py:$guilty): this sleep is used as synchronization$" out &&
		! grep -q pace out &&
		grep -q "^flaketrap bisect: 2 sleep sites whose sleeps were changed$" err &&
		test "$(cat found)" = "sleep-sites.py:$guilty" ||
		return 1
	done
'

test_expect_success 'FLAKETRAP_PYTHON=off: the C site of the interpreter, one for both' '
	preload FLAKETRAP_PYTHON=off FLAKETRAP_SLEEP=off FLAKETRAP_LOG=off "$PYTHON" "$PYFIX" >out &&
	test "$(logq off "[(\"python\" in s, s[\"seen\"]) for s in of(\"sleep_sites\")[0][\"sites\"]]")" = "[(False, 4)]"
'

cat >wrapped.py <<'PY'
import time
def nap():
    time.sleep(0.05)
def first():
    nap()
def second():
    nap()
first(); second(); second()
PY

test_expect_success 'a Python sleep helper named in FLAKETRAP_SLEEP_WRAPPERS: its callers are the sites' '
	preload FLAKETRAP_LOG=pyw0 "$PYTHON" wrapped.py &&
	test "$(sites pyw0)" = "wrapped.py:3:nap:3:3" &&
	preload FLAKETRAP_SLEEP_WRAPPERS=nap FLAKETRAP_LOG=pyw "$PYTHON" wrapped.py &&
	test "$(sites pyw)" = "wrapped.py:7:second:2:2 wrapped.py:5:first:1:1" &&
	preload FLAKETRAP_SLEEP_WRAPPERS="n*" FLAKETRAP_SLEEP_SKIP=wrapped.py:5 FLAKETRAP_LOG=pyw-skip "$PYTHON" wrapped.py &&
	test "$(sites pyw-skip)" = "wrapped.py:7:second:2:2 wrapped.py:5:first:1:0"
'

test_expect_success 'the C wrapper fixture: one site in msleep without the knob, its two callers with it' '
	$GUARD "$CFIX" >out && grep -q "^PASS" out &&
	test_expect_code 1 preload FLAKETRAP_LOG=cw0 "$CFIX" >out &&
	test "$(logq cw0 "[syms(s[\"backtrace\"])[0] for s in of(\"sleep_sites\")[0][\"sites\"]]")" = "['"'"'msleep'"'"']" &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_WRAPPERS=msleep FLAKETRAP_LOG=cw "$CFIX" >out &&
	test "$(logq cw "[(syms(s[\"backtrace\"])[:2], s[\"seen\"]) for s in of(\"sleep_sites\")[0][\"sites\"]]")" = "[(['"'"'pace'"'"', '"'"'main'"'"'], 3), (['"'"'wait_for_worker'"'"', '"'"'main'"'"'], 1)]" &&
	test "$(logq cw "all(s[\"id\"] == \"sleep-wrapper+\" + s[\"backtrace\"][0][\"offset\"] for s in of(\"sleep_sites\")[0][\"sites\"])")" = True &&
	preload FLAKETRAP_SLEEP_WRAPPERS=msleep FLAKETRAP_SLEEP_SKIP=wait_for_worker "$CFIX" >out &&
	grep -q "^PASS" out &&
	preload FLAKETRAP_SLEEP_WRAPPERS=msleep FLAKETRAP_SLEEP_ONLY=pace "$CFIX" >out &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_WRAPPERS="ms*" FLAKETRAP_SLEEP_ONLY=wait_for_worker "$CFIX" >out
'

test_expect_success 'bisect --sleeps through the wrapper names the guilty caller and its line' '
	FLAKETRAP_SLEEP_WRAPPERS=msleep $GUARD "$FLAKETRAP" bisect --sleeps -- "$CFIX" >out 2>err &&
	test "$(wc -l <out)" = 1 &&
	grep -q "^wait_for_worker+0x[0-9a-f]* at $CSRC:$c_guilty (sleep-wrapper+0x[0-9a-f]*): this sleep is used as synchronization$" out &&
	$GUARD "$FLAKETRAP" bisect --sleeps --sleep-wrappers=msleep -- "$CFIX" >out2 2>err &&
	test "$(cat out2)" = "$(cat out)" &&
	$GUARD "$FLAKETRAP" bisect --sleeps -- "$CFIX" >out 2>err &&
	grep -q "^msleep+0x[0-9a-f]* at $CSRC:[0-9]* (sleep-wrapper+0x[0-9a-f]*): this sleep" out
'

cat >made.py <<'PY'
import os, subprocess, sys, threading
stop = threading.Event()
def start_pinger():
    threading.Thread(target=stop.wait, daemon=True).start()
def spawn_reader():
    # cat ends when this process does: its stdin closes
    return subprocess.Popen(["cat"], stdin=subprocess.PIPE)
def fork_waiter(r):
    pid = os.fork()
    if pid == 0:
        os.read(r, 1)
        os._exit(0)
start_pinger()
reader = spawn_reader()
r, w = os.pipe()
fork_waiter(r)
os.close(r)
sys.stdout.flush()
os._exit(0)
PY

test_expect_success 'a thread and children made in Python: their Python lines in the log and report' '
	preload FLAKETRAP_LOG=made "$PYTHON" made.py &&
	test "$(logq made "sorted((r[\"event\"], r.get(\"origin\"), [(f[\"function\"], f[\"line\"]) for f in r[\"python\"] if f[\"file\"] == \"$PWD/made.py\"]) for r in recs if r[\"event\"].startswith(\"leaked\"))")" = "[('"'"'leaked_child'"'"', '"'"'fork'"'"', [('"'"'fork_waiter'"'"', 9), ('"'"'<module>'"'"', 16)]), ('"'"'leaked_child'"'"', '"'"'vfork'"'"', [('"'"'spawn_reader'"'"', 7), ('"'"'<module>'"'"', 14)]), ('"'"'leaked_thread'"'"', '"'"'pthread_create'"'"', [('"'"'start_pinger'"'"', 4), ('"'"'<module>'"'"', 13)])]" &&
	"$FLAKETRAP" report made >out &&
	grep -q "^    #1 start_pinger at $PWD/made.py:4$" out &&
	grep -q "^    #2 spawn_reader at $PWD/made.py:7$" out &&
	grep -q "^    #0 fork_waiter at $PWD/made.py:9$" out
'

cat >crash.py <<'PY'
import ctypes
def read_null():
    return ctypes.string_at(0)
read_null()
PY

test_expect_success 'a crash in Python: the Python line in the log and report' '
	test_expect_code 139 preload FLAKETRAP_LOG=crash "$PYTHON" crash.py 2>err &&
	test "$(logq crash "[(f[\"function\"], f[\"line\"]) for r in of(\"crash\") for f in r[\"python\"] if f[\"file\"] == \"$PWD/crash.py\"]")" = "[('"'"'read_null'"'"', 3), ('"'"'<module>'"'"', 4)]" &&
	"$FLAKETRAP" report crash >out &&
	grep -q "^    #1 read_null at $PWD/crash.py:3$" out
'

test_expect_success 'a program that is no Python: no python key anywhere' '
	test_expect_code 1 preload FLAKETRAP_LOG=c "$FIXTURES/sleep-sites" >out &&
	test "$(logq c "any(\"python\" in r or any(\"python\" in s for s in r.get(\"sites\", [])) for r in recs)")" = False
'

test_done
