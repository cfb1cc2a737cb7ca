#!/bin/sh
# The delay knobs (WAITPID, EXIT, EXIT_DELAY_LATE, THREAD, FORK, FORK_PARENT),
# their seeded draws and junk mode. Asserted: where each delay falls and how
# often (the exit record's counters), and outcomes that cannot vary; a
# delay's length only ever as a minimum.
. "$(dirname "$0")/lib.sh"

# delay DIR KIND: how many delays of KIND the processes logged in DIR had.
delay () {
	logq "$1" "delays(\"$2\")"
}

test_expect_success 'reaper: the WNOHANG poll is delayed, and only it' '
	preload FLAKETRAP_LOG=reap FLAKETRAP_WAITPID_DELAY=200ms \
		"$FIXTURES/reaper" >out; rc=$? &&
	{ test $rc = 0 || test $rc = 1; } &&
	test "$(delay reap waitpid)" = 1 &&
	test "$(logq reap "main_exit[\"counters\"][\"delays\"][\"waitpid\"]")" = \
		"{'\''count'\'': 1, '\''ns'\'': 200000000}" &&
	test "$(logq reap "main_exit[\"counters\"][\"delays\"][\"total_ns\"]")" = 200000000
'

test_expect_success 'reaper: no delay without the knob' '
	preload FLAKETRAP_LOG=plain "$FIXTURES/reaper" >out; rc=$? &&
	{ test $rc = 0 || test $rc = 1; } &&
	test "$(logq plain "sum(r[\"counters\"][\"delays\"][\"total_ns\"] for r in exits)")" = 0
'

test_expect_success 'waitpid, wait3, wait4, waitid with WNOHANG: delayed, same results' '
	"$HELPERS/nohang" >plain.out &&
	preload FLAKETRAP_LOG=nohang FLAKETRAP_WAITPID_DELAY=50ms \
		"$HELPERS/nohang" >delayed.out &&
	cmp plain.out delayed.out &&
	test "$(delay nohang waitpid)" = 4 &&
	test "$(logq nohang "main_exit[\"time_ns\"] - starts[0][\"time_ns\"] >= 4 * 50000000")" = True
'

test_expect_success 'a signal during the delay runs its handler, and the call still ends as it would' '
	preload FLAKETRAP_LOG=alarm FLAKETRAP_WAITPID_DELAY=300ms \
		"$HELPERS/nohang" alarm >out &&
	grep -x "waitpid -1 ECHILD" out && grep -x "alarms 1" out &&
	test "$(logq alarm "main_exit[\"time_ns\"] - starts[0][\"time_ns\"] >= 4 * 300000000")" = True
'

# stamps HOW DIR: run exit-stamps ending by HOW with both exit delays,
# logging to DIR; prints "MAIN HANDLER EXIT_RECORD" times.
stamps () {
	preload FLAKETRAP_LOG=$2 FLAKETRAP_EXIT_DELAY=200ms \
		FLAKETRAP_EXIT_DELAY_LATE=300ms "$HELPERS/exit-stamps" $1 >$2.out &&
	echo "$(sed -n "s/^main //p" $2.out) $(sed -n "s/^handler //p" $2.out)" \
		"$(logq $2 "main_exit[\"time_ns\"]")"
}

for how in return exit quick_exit; do
	test_expect_success "$how: the exit delay before the handlers, the late one after" '
		set -- $(stamps '$how' '$how') &&
		test $(($2 - $1)) -ge 200000000 &&
		test $(($3 - $2)) -ge 300000000 &&
		test "$(delay '$how' exit) $(delay '$how' exit_late)" = "1 1"
	'
done

test_expect_success 'the late delay alone (no log, no leak scan) still comes after the handlers' '
	for how in exit quick_exit; do
		preload FLAKETRAP_LEAKS=off FLAKETRAP_EXIT_DELAY_LATE=300ms \
			"$HELPERS/exit-stamps" $how >alone-$how.out &&
		end=$(date +%s%N) &&
		handler=$(sed -n "s/^handler //p" alone-$how.out) &&
		test -n "$handler" && test $((end - handler)) -ge 300000000 ||
		return 1
	done
'

test_expect_success '_exit: the late delay only' '
	set -- $(stamps _exit _exit) &&
	test $# = 2 && test $(($2 - $1)) -ge 300000000 &&
	test "$(delay _exit exit) $(delay _exit exit_late)" = "0 1"
'

test_expect_success 'no exit delay for a death by signal' '
	test_expect_code 143 preload FLAKETRAP_LOG=term FLAKETRAP_EXIT_DELAY=1s \
		FLAKETRAP_EXIT_DELAY_LATE=1s "$HELPERS/raiser" term &&
	test "$(logq term "main_exit[\"counters\"][\"delays\"][\"total_ns\"]")" = 0
'

ALL_DELAYS="FLAKETRAP_THREAD_DELAY=1ms..3ms FLAKETRAP_FORK_DELAY=1ms..2ms
	FLAKETRAP_FORK_DELAY_PARENT=1ms..2ms FLAKETRAP_EXIT_DELAY=1ms..2ms
	FLAKETRAP_EXIT_DELAY_LATE=1ms..2ms FLAKETRAP_WAITPID_DELAY=1ms..2ms"

test_expect_success 'each delay point is crossed as often as the program crosses it' '
	preload FLAKETRAP_LOG=tree $ALL_DELAYS "$FIXTURES/delays" &&
	for want in waitpid:2 exit:3 exit_late:3 thread:8 fork_child:2 \
		    fork_parent:2; do
		test "$(delay tree ${want%:*})" = ${want#*:} || return 1
	done
'

test_expect_success 'threads the registry does not track are delayed too' '
	preload FLAKETRAP_LOG=untracked FLAKETRAP_LEAKS=off \
		FLAKETRAP_THREAD_DELAY=1ms "$FIXTURES/delays" &&
	test "$(delay untracked thread)" = 8
'

test_expect_success 'the same seed makes the same delays, in every process and thread' '
	preload FLAKETRAP_LOG=seed1 FLAKETRAP_SEED=42 $ALL_DELAYS "$FIXTURES/delays" &&
	preload FLAKETRAP_LOG=seed2 FLAKETRAP_SEED=42 $ALL_DELAYS "$FIXTURES/delays" &&
	preload FLAKETRAP_LOG=seed3 FLAKETRAP_SEED=43 $ALL_DELAYS "$FIXTURES/delays" &&
	logq seed1 "delay_profile()" >p1 && logq seed2 "delay_profile()" >p2 &&
	logq seed3 "delay_profile()" >p3 &&
	cmp p1 p2 && ! cmp -s p1 p3 &&
	test "$(logq seed1 "sorted(set(r[\"seed\"] for r in starts))")" = "['\''42'\'']"
'

test_expect_success 'each thread has its own stream: the order threads draw in changes nothing' '
	for order in ab ba; do
		STREAMS_ORDER=$order preload FLAKETRAP_LOG=streams-$order \
			FLAKETRAP_SEED=7 FLAKETRAP_WAITPID_DELAY=1ms..50ms \
			FLAKETRAP_FORK_DELAY_PARENT=1ms..50ms "$HELPERS/streams" &&
		logq streams-$order "delay_profile()" >p-$order || return 1
	done &&
	test "$(delay streams-ab waitpid) $(delay streams-ab fork_parent)" = "3 1" &&
	cmp p-ab p-ba
'

test_expect_success 'flaketrap run: the delay options, the same seed in every process' '
	$GUARD "$FLAKETRAP" run --log=opt --thread-delay=1ms --fork-delay=1ms \
		--fork-delay-parent=1ms --exit-delay=1ms --exit-delay-late=1ms \
		--waitpid-delay=1ms -- "$FIXTURES/delays" &&
	test "$(logq opt "len(set(r[\"seed\"] for r in starts))")" = 1 &&
	test "$(delay opt thread) $(delay opt fork_child)" = "8 2"
'

test_expect_success 'Python: one exit delay in every process that exits, a daemon thread leaked' '
	$GUARD "$FLAKETRAP" run --log=mp --exit-delay=10ms -- \
		"$PYTHON" "$TEST_DIRECTORY/fixtures/mp-exit.py" &&
	logq mp "[(r[\"how\"], r[\"counters\"][\"delays\"][\"exit\"][\"count\"]) for r in exits]" >hows &&
	test "$(logq mp "sum(1 for r in exits if r[\"how\"] in (\"exit\", \"return\") and r[\"counters\"][\"delays\"][\"exit\"][\"count\"] == 1)")" -ge 3 &&
	test "$(logq mp "[r for r in exits if r[\"counters\"][\"delays\"][\"exit\"][\"count\"] != (r[\"how\"] in (\"exit\", \"return\"))]")" = "[]" &&
	test "$(logq mp "[(r[\"pid\"] == root, r[\"state\"]) for r in of(\"leaked_thread\")]")" = \
		"[(True, '\''running'\'')]"
'

test_expect_success 'junk: a use after free at exit crashes, 20 runs out of 20' '
	i=0 &&
	while test $i -lt 20; do
		test_expect_code 139 $GUARD "$FLAKETRAP" run --junk --log=uaf \
			--exit-delay-late=5s..10s -- "$FIXTURES/exit-uaf" \
			>/dev/null 2>&1 || return 1
		i=$((i + 1))
	done &&
	test "$(logq uaf "len(of(\"crash\"))")" = 20 &&
	test "$(logq uaf "all(r[\"exiting\"] and \"use_shared_object_forever\" in syms(r[\"backtrace\"]) for r in of(\"crash\"))")" = True
'

test_expect_success 'loop --junk: every run crashes, and reproduce.sh crashes again' '
	test_expect_code 1 $GUARD "$FLAKETRAP" loop -n 3 -j 1 --junk \
		--exit-delay-late=5s..10s --out=runs -- "$FIXTURES/exit-uaf" >out 2>&1 &&
	grep "3 runs in" out | grep -F "3 failed (SIGSEGV: 3)" &&
	set -- runs/run-1.* && grep -F "run '\''--junk'\''" "$1/reproduce.sh" &&
	test_expect_code 139 $GUARD "$1/reproduce.sh" >/dev/null 2>&1
'

test_expect_success 'without --junk the allocator and MALLOC_CONF are left alone' '
	$GUARD "$FLAKETRAP" run -- sh -c "grep -c jemalloc /proc/\$\$/maps; echo \"\${MALLOC_CONF-unset} \$LD_PRELOAD\"" >out &&
	test "$(sed -n 1p out)" = 0 && grep -x "unset $LIB" out
'

test_expect_success '--junk: jemalloc in, junk:true added to the user settings' '
	$GUARD "$FLAKETRAP" run --junk -- sh -c "grep -c libjemalloc /proc/\$\$/maps >/dev/null && echo \$MALLOC_CONF" >out &&
	grep -x "junk:true" out &&
	MALLOC_CONF=narenas:2 $GUARD "$FLAKETRAP" run --junk -- sh -c "echo \$MALLOC_CONF" >out &&
	grep -x "narenas:2,junk:true" out &&
	MALLOC_CONF=junk:true,narenas:2 $GUARD "$FLAKETRAP" run --junk -- sh -c "echo \$MALLOC_CONF" >out &&
	grep -x "junk:true,narenas:2" out
'

test_expect_success '--junk with --timers=warp: warp, the library, then jemalloc' '
	LD_PRELOAD=/lib/x86_64-linux-gnu/libc.so.6 $GUARD "$FLAKETRAP" run --junk \
		--timers=warp -- sh -c "echo \$LD_PRELOAD" >out &&
	sed "s|[^:]*/||g" out >names &&
	echo "libflaketrap-warp.so:libflaketrap.so:libjemalloc.so.2:libc.so.6" >want &&
	cmp want names
'

test_expect_success '--junk: a conflicting MALLOC_CONF or a missing jemalloc is an error' '
	MALLOC_CONF=narenas:2,junk:free test_expect_code 125 \
		"$FLAKETRAP" run --junk -- /bin/true 2>err &&
	grep -F "junk:free conflicts with --junk" err &&
	FLAKETRAP_JEMALLOC=/nowhere/libjemalloc.so.2 test_expect_code 125 \
		"$FLAKETRAP" run --junk -- /bin/true 2>err &&
	grep -F "FLAKETRAP_JEMALLOC=/nowhere" err &&
	echo "not a library" >fake.so.2 &&
	FLAKETRAP_JEMALLOC=$PWD/fake.so.2 test_expect_code 125 \
		"$FLAKETRAP" run --junk -- /bin/true 2>err &&
	grep -F "fake.so.2 (needed by --junk): not an ELF shared object" err &&
	FLAKETRAP_JEMALLOC=$PWD test_expect_code 125 \
		"$FLAKETRAP" run --junk -- /bin/true 2>err &&
	grep -F "(needed by --junk): not a regular file" err
'

test_done
