#!/bin/sh
# FLAKETRAP_TIMERS=warp and idle: the virtual clock of libflaketrap-warp.so.
# Every check holds whatever the load: hour-long waits return (under the
# hang guard), the clocks say the hour passed, the counters say the clock
# jumped. Nothing here waits for real on a timer it then measures.
. "$(dirname "$0")/lib.sh"

WARP=$ROOT/preload/libflaketrap-warp.so
HOUR=3600000000000

# warp [NAME=VALUE]... CMD...: CMD with both libraries, the rule warp on.
warp () {
	$GUARD env LD_PRELOAD="$WARP:$LIB" FLAKETRAP_TIMERS=warp "$@"
}

# idle [NAME=VALUE]... CMD...: the same under the rule idle.
idle () {
	$GUARD env LD_PRELOAD="$WARP:$LIB" FLAKETRAP_TIMERS=idle "$@"
}

test_expect_success 'the warp object exports each wrapper at libc'"'"'s versions' '
	"$TEST_DIRECTORY/check-exports-object.sh" "$WARP" \
		"$ROOT/preload/warp/exports.map" "$LIB" clock_nanosleep \
		nanosleep poll ppoll pselect select sleep thrd_sleep usleep \
		pthread_timedjoin_np pthread_clockjoin_np
'

test_expect_success 'the library alone wraps no clock and no timed wait' '
	nm -D --defined-only "$LIB" | awk "{print \$3}" >exports &&
	for f in clock_gettime gettimeofday time timespec_get epoll_wait \
		 epoll_pwait epoll_pwait2 pthread_cond_timedwait \
		 pthread_cond_clockwait sem_timedwait sem_clockwait \
		 pthread_mutex_timedlock pthread_mutex_clocklock cnd_timedwait \
		 mtx_timedlock pthread_rwlock_timedrdlock timerfd_settime; do
		! grep -q "^$f\(@\|$\)" exports || return 1
	done
'

test_expect_success 'FLAKETRAP_TIMERS=warp without the warp object: 125' '
	test_expect_code 125 env FLAKETRAP_TIMERS=warp LD_PRELOAD="$LIB" \
		"$PYTHON" -c "print(\"main ran\")" >out 2>err &&
	test ! -s out && test "$(wc -l <err)" = 1 &&
	grep -F "FLAKETRAP_TIMERS=warp: libflaketrap-warp.so is not loaded" err
'

test_expect_success 'the warp object after the library: 125' '
	test_expect_code 125 env FLAKETRAP_TIMERS=warp \
		LD_PRELOAD="$LIB:$WARP" /bin/true 2>err &&
	grep -F "libflaketrap-warp.so must come before libflaketrap.so" err
'

test_expect_success 'FLAKETRAP_TIMERS and FLAKETRAP_TIMER_GRACE reject bad values' '
	for v in "" on WARP 1; do
		test_expect_code 125 env FLAKETRAP_TIMERS="$v" \
			LD_PRELOAD="$LIB" /bin/true 2>err &&
		grep -F "expected off, warp or idle" err &&
		test_expect_code 125 "$FLAKETRAP" run --timers="$v" /bin/true || return 1
	done &&
	test_expect_code 125 env FLAKETRAP_TIMER_GRACE=1 LD_PRELOAD="$LIB" \
		/bin/true 2>err && grep -F "expected DUR" err
'

# The virtual time the root process saw pass: what the jumps added plus
# the real time between its start and exit records (both real clocks).
VIRTUAL="main_exit[\"counters\"][\"warped_ns\"] + main_exit[\"time_ns\"] - [s for s in starts if s[\"pid\"] == root][0][\"time_ns\"]"

# Under warp, an event loop's waits and the sleeps; under idle, every timed
# wait of a process whose other threads are blocked.
for case in warp:descriptors warp:sleeps warp:clocks warp:fork warp:exec \
	idle:descriptors idle:deadlines idle:mutex idle:more idle:fork; do
	rule=${case%%:*} case=${case#*:}
	test_expect_success "each wait of an hour returns at its deadline: $case ($rule)" '
		$rule FLAKETRAP_LOG=$rule-$case "$HELPERS/warp" $case &&
		test "$(logq $rule-$case "main_exit[\"counters\"][\"waits_warped\"] > 0")" = True &&
		test "$(logq $rule-$case "$VIRTUAL >= $HOUR")" = True
	'
done

test_expect_success 'under warp, short waits on conditions wait for real' '
	warp FLAKETRAP_LOG=real "$FIXTURES/timed-waits" short-waits >out &&
	grep -x "short waits: 5 timed out" out &&
	test "$(logq real "total(\"waits_real\") >= 5, total(\"waits_warped\")")" = "(True, 0)"
'

test_expect_success 'a watchdog beside a thread that works does not fire (warp)' '
	warp FLAKETRAP_LOG=quiet-warp "$FIXTURES/timed-waits" watchdog >out &&
	grep -x "watchdog: quiet" out &&
	test "$(logq quiet-warp "total(\"waits_warped\")")" = 0
'

test_expect_success 'a watchdog beside a thread that works does not fire (idle)' '
	idle FLAKETRAP_LOG=quiet "$FIXTURES/timed-waits" watchdog >out &&
	grep -x "watchdog: quiet" out &&
	test "$(logq quiet "total(\"waits_warped\")")" = 0
'

test_expect_success 'two waiters wake in the order of their deadlines (idle)' '
	idle FLAKETRAP_LOG=order "$FIXTURES/timed-waits" order >out &&
	sed -n "s/^\(1s\|10s\): woke \([12]\) at \([0-9.]*\)$/\1 \2 \3/p" out >woke &&
	test "$(cut -d" " -f1-2 woke | tr "\n" " ")" = "1s 1 10s 2 " &&
	awk "\$1 == \"1s\" && (\$3 < 1 || \$3 >= 10) { exit 1 }
	     \$1 == \"10s\" && \$3 < 10 { exit 1 }" woke &&
	test "$(logq order "total(\"waits_warped\")")" = 2
'

test_expect_success 'a parent waiting on a working child does not jump (idle)' '
	idle FLAKETRAP_LOG=parent "$FIXTURES/timed-waits" parent >out &&
	grep "^parent: the child answered at" out
'

test_expect_success 'one clock for the run: a parent waits for its sleeping child (idle)' '
	$GUARD "$FLAKETRAP" run --timers=idle --sleep=off --log=child-sleeps \
		-- "$FIXTURES/timed-waits" child-sleeps >out &&
	grep "^parent: the child answered at" out &&
	test "$(logq child-sleeps "total(\"waits_warped\") >= 1")" = True
'

test_expect_success 'no jump passes a poll of no descriptor that sleeps for real (warp)' '
	$GUARD "$FLAKETRAP" run --timers=warp --sleep=off \
		-- "$FIXTURES/timed-waits" child-polls >out ||
		{ cat out; return 1; }
	grep "^parent: the child answered at" out
'

test_expect_success 'each run of loop has its own clock (idle)' '
	$GUARD "$FLAKETRAP" loop -n 4 -j 2 --timers=idle --sleep=off \
		-- "$FIXTURES/timed-waits" child-sleeps >out 2>&1 &&
	grep -F "4 passed" out
'

for rule in warp idle; do
	test_expect_success "SIGALRM armed before a longer wait ends it with EINTR ($rule)" '
		$rule "$FIXTURES/timed-waits" alarm >out || { cat out; return 1; }
	'
	test_expect_success "... and so beside a thread that blocks every signal ($rule)" '
		$rule "$FIXTURES/timed-waits" alarm-watchdog >out ||
			{ cat out; return 1; }
	'
done

# The child's alarm is the earliest deadline of the run; the parent's wait
# is due before the child's: the child must still look and fire it.
# Without the jump the kernel fires it a real second later, with the same
# output: the counter tells them apart.
test_expect_success 'a child'"'"'s alarm fires in virtual time beside its waiting parent (idle)' '
	$GUARD "$FLAKETRAP" run --timers=idle --sleep=off --log=child-alarm \
		-- "$FIXTURES/timed-waits" child-alarm >out ||
		{ cat out; return 1; }
	grep "^alarm: poll of 60000 ms: -1 (Interrupted system call), 1 signal" out &&
	grep "^parent: the child answered at" out &&
	test "$(logq child-alarm "total(\"waits_warped\")")" = 1
'

test_expect_success 'an alarm fired for real before a wait lets no jump pass an earlier deadline (idle)' '
	$GUARD "$FLAKETRAP" run --timers=idle --sleep=off \
		-- "$FIXTURES/timed-waits" stale-alarm >out ||
		{ cat out; return 1; }
	grep "^stale alarm: the parent.s poll returned 0 at" out &&
	! grep "child.s poll ended early" out
'

test_expect_success 'a hang beside a watchdog is reported in virtual time (idle)' '
	test_expect_code 4 idle FLAKETRAP_LOG=stuck \
		"$FIXTURES/timed-waits" stuck >out &&
	grep "^hang guard: no progress in 60 s" out &&
	test "$(logq stuck "total(\"waits_warped\")")" = 1
'

test_expect_success 'ready descriptors are returned, and the clock stays' '
	warp FLAKETRAP_LOG=ready "$HELPERS/warp" ready &&
	test "$(logq ready "total(\"waits_warped\"), total(\"warped_ns\")")" = "(0, 0)"
'

test_expect_success 'what arrives within the grace ends the wait normally' '
	warp FLAKETRAP_TIMER_GRACE=1000s FLAKETRAP_LOG=grace \
		"$HELPERS/warp" within-grace &&
	test "$(logq grace "total(\"waits_warped\")")" = 0
'

test_expect_success 'a signal ends a warped wait with EINTR' '
	warp FLAKETRAP_LOG=eintr "$HELPERS/warp" eintr &&
	test "$(logq eintr "total(\"waits_warped\")")" = 0
'

test_expect_success 'an interrupted sleep moves the clock by what it slept' '
	warp FLAKETRAP_SLEEP=off "$HELPERS/warp" sleep-eintr
'

test_expect_success 'an interrupted shortened sleep moves the clock by its share' '
	warp FLAKETRAP_SLEEP=x0.001 "$HELPERS/warp" sleep-eintr-scaled
'

test_expect_success 'a wait for ever is not warped, and the clocks go on' '
	warp FLAKETRAP_TIMER_GRACE=0 FLAKETRAP_LOG=forever-c "$HELPERS/warp" forever &&
	$GUARD "$FLAKETRAP" run --timers=warp --log=forever -- "$PYTHON" -c "
import threading, time
lock = threading.Lock()
lock.acquire()
threading.Thread(target=lock.release).start()
assert lock.acquire(timeout=threading.TIMEOUT_MAX)
t = time.monotonic(); w = time.time()
time.sleep(3600)
assert time.monotonic() - t >= 3600 and time.time() - w >= 3600"
'

test_expect_success 'monotonic time never goes back across threads' '
	warp FLAKETRAP_TIMER_GRACE=0 FLAKETRAP_TIMER_GUARD=10000s \
		FLAKETRAP_LOG=threads "$HELPERS/warp" threads &&
	test "$(logq threads "total(\"waits_warped\") == 2000")" = True
'

test_expect_success 'the sleep family still goes through FLAKETRAP_SLEEP' '
	warp FLAKETRAP_LOG=sleeps2 "$HELPERS/sleeper" 3600 &&
	test "$(logq sleeps2 "total(\"sleeps_seen\"), total(\"sleeps_changed\")")" = "(14, 14)" &&
	test "$(logq sleeps2 "total(\"warped_ns\") >= 12 * $HOUR")" = True
'

test_expect_success 'a sleep slept in full is not counted as warped' '
	warp FLAKETRAP_SLEEP=off FLAKETRAP_LOG=full \
		"$PYTHON" -c "import time; time.sleep(0.001); print(\"slept\")" >out &&
	grep -x slept out &&
	test "$(logq full "total(\"waits_warped\"), total(\"warped_ns\")")" = "(0, 0)"
'

test_expect_success 'without warp, the counters are 0 and waits wait' '
	$GUARD env LD_PRELOAD="$WARP:$LIB" FLAKETRAP_LOG=off "$HELPERS/warp" ready &&
	preload FLAKETRAP_LOG=off "$HELPERS/warp" ready &&
	"$HELPERS/warp" ready &&
	$GUARD env LD_PRELOAD="$WARP:$LIB" FLAKETRAP_LOG=off "$PYTHON" -c "
import asyncio, time
t = time.monotonic()
asyncio.run(asyncio.sleep(0.05))
assert time.monotonic() - t >= 0.05" &&
	test "$(logq off "total(\"waits_warped\"), total(\"warped_ns\")")" = "(0, 0)"
'

test_expect_success 'alarm and setitimer work as the warp object'"'"'s first calls' '
	$GUARD env LD_PRELOAD="$WARP:$LIB" "$HELPERS/warp" alarm-first &&
	warp "$HELPERS/warp" alarm-first
'

test_expect_success 'two copies of the library behind the warp count once' '
	mkdir copy && cp "$LIB" copy/libflaketrap.so &&
	warp FLAKETRAP_LOG=copies \
		LD_PRELOAD="$WARP:$LIB:$PWD/copy/libflaketrap.so" \
		"$HELPERS/sleeper" 3600 nanosleep &&
	test "$(logq copies "len(starts), total(\"sleeps_seen\"), total(\"waits_warped\")")" = "(1, 1, 1)"
'

test_expect_success 'flaketrap run --timers=warp puts the warp object first' '
	"$FLAKETRAP" run --timers=warp -- sh -c "echo \$LD_PRELOAD" >out &&
	test "$(cat out)" = "$WARP:$LIB" &&
	LD_PRELOAD="$WARP:/x/libother.so" "$FLAKETRAP" run -- sh -c "echo \$LD_PRELOAD" >out &&
	test "$(cat out)" = "$LIB:/x/libother.so" &&
	FLAKETRAP_TIMERS=warp "$FLAKETRAP" run -- sh -c "echo \$LD_PRELOAD" >out &&
	test "$(cat out)" = "$WARP:$LIB"
'

test_expect_success 'flaketrap run --timers=warp without the warp object: 125' '
	mkdir alone && cp "$LIB" alone/ &&
	test_expect_code 125 env FLAKETRAP_LIB="$PWD/alone/libflaketrap.so" \
		"$FLAKETRAP" run --timers=warp /bin/true 2>err &&
	grep -F "libflaketrap-warp.so (needed by --timers=warp)" err
'

# run_warp DIR CMD...: flaketrap run --timers=warp, logging into DIR.
run_warp () {
	dir=$1
	shift
	$GUARD "$FLAKETRAP" run --timers=warp --log="$dir" -- "$@"
}

run_idle () {
	dir=$1
	shift
	$GUARD "$FLAKETRAP" run --timers=idle --log="$dir" -- "$@"
}

for rule in warp idle; do
	test_expect_success "python asyncio.sleep(3600) returns; time.monotonic agrees ($rule)" '
		run_$rule asleep-$rule "$PYTHON" -c "
import asyncio, time
t = time.monotonic()
asyncio.run(asyncio.sleep(3600))
assert time.monotonic() - t >= 3600, time.monotonic() - t" &&
		test "$(logq asleep-$rule "main_exit[\"counters\"][\"waits_warped\"] >= 1")" = True &&
		test "$(logq asleep-$rule "$VIRTUAL >= $HOUR")" = True
	'
done

test_expect_success 'flaketrap loop --timers=warp: every run warps' '
	$GUARD "$FLAKETRAP" loop -n 2 -j 1 --timers=warp --log=looped -- \
		"$PYTHON" -c "
import asyncio, time
t = time.monotonic()
asyncio.run(asyncio.sleep(3600))
assert time.monotonic() - t >= 3600, time.monotonic() - t" >out 2>&1 &&
	grep -F "2 passed" out &&
	for run in looped/run-*; do
		test "$(logq $run "main_exit[\"counters\"][\"waits_warped\"] >= 1")" = True ||
			return 1
	done &&
	test $(ls -d looped/run-* | wc -l) = 2
'

test_expect_success 'the asyncio race fixture: the loop'"'"'s waits warp' '
	{ run_warp race "$PYTHON" "$TEST_DIRECTORY/fixtures/asyncio-race.py" 3600 || :; } &&
	test "$(logq race "main_exit[\"counters\"][\"waits_warped\"] >= 1")" = True &&
	test "$(logq race "$VIRTUAL >= $HOUR")" = True
'

test_expect_success 'python faulthandler reports a hang at once (idle)' '
	test_expect_code 1 $GUARD "$FLAKETRAP" run --timers=idle --sleep=off \
		--log=faulthandler -- "$PYTHON" -c "
import faulthandler, threading
faulthandler.dump_traceback_later(120, exit=True)
threading.Event().wait()" 2>err &&
	grep -F "Timeout (0:02:00)!" err
'

test_expect_success 'python time.sleep and threading waits of an hour return (idle)' '
	run_idle pysync "$PYTHON" -c "
import threading, time
t = time.monotonic(); w = time.time()
time.sleep(3600)
assert not threading.Event().wait(3600)
c = threading.Condition()
with c:
    assert not c.wait(3600)
assert time.monotonic() - t >= 3 * 3600
assert time.time() - w >= 3 * 3600" &&
	test "$(logq pysync "main_exit[\"counters\"][\"waits_warped\"] >= 3")" = True
'

test_done
