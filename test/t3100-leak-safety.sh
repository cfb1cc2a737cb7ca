#!/bin/sh
# The leak tracking under stress and its invisibility: fork storms from many
# threads, hundreds of processes logging at once, clean programs unchanged
# byte for byte, the program's heap untouched.
. "$(dirname "$0")/lib.sh"

# 16,000 forks and more: some 70 s on 2 cores, several times that under
# check-stable's load, still well inside the hang guard.
test_expect_success 'fork storm: 8 threads x 1000 rounds, forks everywhere, no false leak' '
	preload FLAKETRAP_LOG=storm "$HELPERS/storm" 8 1000 >out &&
	test "$(cat out)" = "storm done" &&
	test "$(logq storm "len(exits) == len(starts) and [e for e in exits if e[\"leaks\"] != {\"children\": 0, \"threads\": 0}]")" = "[]" &&
	test "$(logq storm "len(starts)")" -gt 16000
'

test_expect_success 'fork storm without a log: nothing on stderr' '
	preload "$HELPERS/storm" 4 200 >out 2>err &&
	test "$(cat out)" = "storm done" &&
	test ! -s err
'

test_expect_success '300 processes logging at once: every line parses, none lost' '
	preload FLAKETRAP_LOG=crowd FLAKETRAP_STACK_TIMEOUT=300s "$HELPERS/crowd" 300 >out &&
	test "$(cat out)" = "300 ended well" &&
	test "$(logq crowd "len(starts), len(exits), len(of(\"leaked_thread\"))")" = "(301, 301, 300)" &&
	test "$(logq crowd "len(set(r[\"_file\"] for r in recs))")" = 301 &&
	test "$(logq crowd "all(\"blocked_in_crowd_thread\" in syms(t[\"stack\"]) for t in of(\"leaked_thread\"))")" = True
'

test_expect_success 'pthread_t reused at once after a join: no false leak, no crash' '
	preload FLAKETRAP_LOG=joins "$HELPERS/churn" joins 20000 &&
	test "$(logq joins "of(\"leaked_thread\")")" = "[]"
'

test_expect_success 'errno is the real call'"'"'s, under contention too' '
	preload "$HELPERS/churn" errno 20000 >out &&
	test "$(cat out)" = "errno changed: create 0 join 0 start 0"
'

test_expect_success 'a SIGCHLD handler reaping while its thread forks: no deadlock' '
	preload FLAKETRAP_LOG=chld "$HELPERS/churn" sigchld 5000 >out &&
	test "$(cat out)" = "reaped 5000" &&
	test "$(logq chld "[e[\"leaks\"] for e in exits if e[\"pid\"] == root]")" = "[{'"'"'children'"'"': 0, '"'"'threads'"'"': 0}]"
'

# POSIX lets a signal handler fork; our fork must not then call dlopen or
# malloc, which the handler may have interrupted (glibc: "malloc():
# mismatching next->prev_size", 1 run in 4 before). 60 processes each way,
# 20 forks from the handler in each, while main mallocs.
sigfork_runs () {
	i=0
	while test $i -lt "${SIGFORK_RUNS:-60}"; do
		preload "$@" >out 2>err || return 1
		test "$(cat out)" = "forked 20" || return 1
		i=$((i + 1))
	done
}

test_expect_success 'fork in a signal handler that interrupts malloc: no abort, no hang' '
	sigfork_runs FLAKETRAP_SLEEP=off "$HELPERS/sigfork" sigaction 20 &&
	sigfork_runs FLAKETRAP_SLEEP=off FLAKETRAP_LOG=sigfork "$HELPERS/sigfork" sigaction 20
'

test_expect_success 'fork in a handler set with sigset: no abort, no hang' '
	sigfork_runs FLAKETRAP_SLEEP=off "$HELPERS/sigfork" sigset 20
'

# Fork takes unw_backtrace's cached walk while no handler is set; a handler
# set later, by any name of signal(), switches it to the signal-safe one.
test_expect_success 'fork in handlers set after a first fork, by each name of signal(): no abort, no hang' '
	for how in sigaction sigset sysv_signal bsd_signal; do
		SIGFORK_RUNS=20 sigfork_runs FLAKETRAP_SLEEP=off \
			"$HELPERS/sigfork" $how-late 20 ||
		return 1
	done
'

test_expect_success 'a child forked in a signal handler has its creation backtrace' '
	rm -rf sigfork &&
	preload FLAKETRAP_SLEEP=off FLAKETRAP_LOG=sigfork "$HELPERS/sigfork" sigaction 3 >out &&
	test "$(logq sigfork "[syms(c[\"backtrace\"])[0] for c in of(\"leaked_child\")]")" = "['"'"'on_alarm'"'"']"
'

# same_as_plain CMD...: stdout, stderr and exit status with the library
# (sleeps unchanged, leak logging on) are exactly those without it.
same_as_plain () {
	$GUARD "$@" >plain.out 2>plain.err
	plain=$?
	preload FLAKETRAP_SLEEP=off FLAKETRAP_LOG=same "$@" >lib.out 2>lib.err
	lib=$?
	test "$plain" = "$lib" && cmp plain.out lib.out && cmp plain.err lib.err
}

test_expect_success 'clean programs: same output, same status' '
	same_as_plain sh -c "echo out; echo err >&2; exit 3" &&
	same_as_plain ls -la "$TEST_DIRECTORY" &&
	same_as_plain "$PYTHON" -c "import subprocess, threading, sys; t = threading.Thread(target=print, args=(1,)); t.start(); t.join(); print(subprocess.run([\"echo\", \"hi\"], capture_output=True).stdout); sys.exit(4)" &&
	same_as_plain "$HELPERS/storm" 2 20 &&
	same_as_plain "$FIXTURES/leaky" reaped &&
	same_as_plain false &&
	test "$(logq same "of(\"leaked_child\") + of(\"leaked_thread\")")" = "[]"
'

test_expect_success 'the program heap: the same with the library as without' '
	"$HELPERS/heapcheck" >plain &&
	preload "$HELPERS/heapcheck" >lib &&
	preload FLAKETRAP_LOG=heap "$HELPERS/heapcheck" >lib-log &&
	cmp plain lib && cmp plain lib-log
'

test_done
