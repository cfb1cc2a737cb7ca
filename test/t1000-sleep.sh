#!/bin/sh
# The sleep family shrinks: hour-long sleeps return (under a hang guard),
# and the counters account for every call.
. "$(dirname "$0")/lib.sh"

HOUR=3600000000000

test_expect_success 'a C program calling each wrapped sleep for an hour returns' '
	FLAKETRAP_LOG=all preload "$HELPERS/sleeper" 3600
'

test_expect_success 'the log accounts for each of the 14 calls' '
	test "$(logq all "total(\"sleeps_seen\"), total(\"sleeps_changed\")")" = "(14, 14)" &&
	test "$(logq all "total(\"slept_ns\")")" = 14 &&
	test "$(logq all "total(\"requested_ns\") > 12 * $HOUR + 2 * $HOUR // 2")" = True &&
	test "$(logq all "total(\"requested_ns\") <= 14 * $HOUR")" = True
'

for call in sleep usleep nanosleep clock_nanosleep_realtime \
	    clock_nanosleep_monotonic clock_nanosleep_boottime \
	    clock_nanosleep_tai clock_nanosleep_abs_monotonic \
	    clock_nanosleep_abs_realtime thrd_sleep select pselect poll ppoll; do
	test_expect_success "$call of an hour is seen and changed once" '
		FLAKETRAP_LOG=$call preload "$HELPERS/sleeper" 3600 $call &&
		test "$(logq $call "total(\"sleeps_seen\"), total(\"sleeps_changed\")")" = "(1, 1)"
	'
done

test_expect_success 'coreutils sleep 3600 returns' '
	FLAKETRAP_LOG=coreutils preload sleep 3600 &&
	test "$(logq coreutils "total(\"sleeps_changed\") >= 1")" = True &&
	test "$(logq coreutils "total(\"requested_ns\") >= $HOUR")" = True
'

test_expect_success 'python time.sleep(3600) returns (TIMER_ABSTIME)' '
	FLAKETRAP_LOG=py preload "$PYTHON" -c "import time; time.sleep(3600)" &&
	test "$(logq py "total(\"sleeps_changed\") >= 1")" = True &&
	test "$(logq py "total(\"requested_ns\") > $HOUR // 2")" = True
'

test_expect_success 'FLAKETRAP_SLEEP=off sees every call and changes none' '
	FLAKETRAP_SLEEP=off FLAKETRAP_LOG=off preload "$HELPERS/nap" 5 1000 &&
	FLAKETRAP_SLEEP=off FLAKETRAP_LOG=off preload "$PYTHON" -c "
import time
for _ in range(3): time.sleep(0.001)" &&
	test "$(logq off "total(\"sleeps_seen\"), total(\"sleeps_changed\")")" = "(8, 0)" &&
	test "$(logq off "total(\"slept_ns\") == total(\"requested_ns\") >= 5000")" = True
'

test_expect_success 'x2 doubles the requested time' '
	FLAKETRAP_SLEEP=x2 FLAKETRAP_LOG=x2 preload "$HELPERS/nap" 3 1000000 &&
	test "$(logq x2 "total(\"requested_ns\"), total(\"slept_ns\"), total(\"sleeps_changed\")")" = "(3000000, 6000000, 3)" &&
	FLAKETRAP_SLEEP=x2 FLAKETRAP_LOG=x2-py preload "$PYTHON" -c "
import time
for _ in range(3): time.sleep(0.001)" &&
	test "$(logq x2-py "total(\"sleeps_seen\"), total(\"slept_ns\") == 2 * total(\"requested_ns\")")" = "(3, True)"
'

test_expect_success 'a fixed duration replaces each request' '
	FLAKETRAP_SLEEP=2us FLAKETRAP_LOG=fixed preload "$HELPERS/sleeper" 3600 nanosleep &&
	test "$(logq fixed "total(\"slept_ns\")")" = 2000
'

test_expect_success 'FLAKETRAP_SLEEP_MIN leaves shorter sleeps alone' '
	FLAKETRAP_SLEEP_MIN=1s FLAKETRAP_LOG=min preload "$PYTHON" -c "
import time
time.sleep(0.001); time.sleep(0.002); time.sleep(3600)" &&
	test "$(logq min "total(\"sleeps_seen\"), total(\"sleeps_changed\")")" = "(3, 1)"
'

test_expect_success 'each wrapper really sleeps the lengthened time' '
	FLAKETRAP_SLEEP=50ms preload "$HELPERS/stretcher" 50000000 &&
	FLAKETRAP_SLEEP=x1.5 preload "$HELPERS/stretcher" 1500000000 sleep
'

test_expect_success 'a zero sleep is never lengthened' '
	FLAKETRAP_SLEEP=1s FLAKETRAP_LOG=zero preload "$PYTHON" -c "
import time
time.sleep(0)" &&
	test "$(logq zero "total(\"sleeps_changed\")")" = 0
'

# 200 sleeps of 100 us, each changed with probability 0.5 to 1us..1ms.
many_sleeps () {
	FLAKETRAP_SEED=$1 FLAKETRAP_SLEEP=1us..1ms FLAKETRAP_SLEEP_PROB=0.5 \
	FLAKETRAP_LOG=$2 preload "$HELPERS/nap" 200 100000
}

test_expect_success 'same seed, same choices; another seed, other choices' '
	many_sleeps 12345 seed-a && many_sleeps 12345 seed-b &&
	many_sleeps 54321 seed-c &&
	a=$(logq seed-a "total(\"sleeps_changed\"), total(\"slept_ns\")") &&
	b=$(logq seed-b "total(\"sleeps_changed\"), total(\"slept_ns\")") &&
	c=$(logq seed-c "total(\"sleeps_changed\"), total(\"slept_ns\")") &&
	test -n "$a" && test "$a" = "$b" && test "$a" != "$c" &&
	test "$(logq seed-a "0 < total(\"sleeps_changed\") < 200")" = True
'

test_expect_success 'the seed in use is logged, given or drawn' '
	test "$(logq seed-a "starts[0][\"seed\"] == \"12345\" == starts[0][\"config\"][\"seed\"]")" = True &&
	FLAKETRAP_LOG=drawn preload true &&
	logq drawn "int(starts[0][\"seed\"])"
'

test_done
