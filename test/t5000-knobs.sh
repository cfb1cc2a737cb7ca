#!/bin/sh
# Bad knob values stop the process before main: exit 125 and one line on
# stderr naming the variable, the value and the expected form.
. "$(dirname "$0")/lib.sh"

# bad VAR VALUE EXPECTED: the library and the tool both refuse it.
bad () {
	test_expect_code 125 env "$1=$2" LD_PRELOAD="$LIB" /bin/true 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -F "$1=" err && grep -F "$3" err &&
	test_expect_code 125 env "$1=$2" "$FLAKETRAP" run /bin/true 2>err2 &&
	cmp err err2
}

test_expect_success 'FLAKETRAP_SLEEP rejects bad values' '
	for v in "" " 1ms" -1ms 1e999 1.5.5ms 5 5m NaN 5..1ms 5ms..1ms x x-1 \
		 x2000000 x1000000.5 OFF 99999999999999999999s; do
		bad FLAKETRAP_SLEEP "$v" "expected DUR, A..B, xF or off" || return 1
	done
'

test_expect_success 'FLAKETRAP_SLEEP_MIN rejects bad values' '
	for v in "" -1s 1 1x 1..2ms off; do
		bad FLAKETRAP_SLEEP_MIN "$v" "expected DUR" || return 1
	done
'

test_expect_success 'FLAKETRAP_SLEEP_PROB rejects bad values' '
	for v in "" 2 -0.1 1.01 50% nan 0.5.5; do
		bad FLAKETRAP_SLEEP_PROB "$v" "expected a number from 0 to 1" || return 1
	done
'

test_expect_success 'FLAKETRAP_SEED rejects bad values' '
	for v in "" -1 0x10 18446744073709551616 abc "1 "; do
		bad FLAKETRAP_SEED "$v" "expected an integer" || return 1
	done
'

test_expect_success 'FLAKETRAP_SLEEP_ONLY and FLAKETRAP_SLEEP_SKIP reject bad patterns' '
	for k in SLEEP_ONLY SLEEP_SKIP; do
		for v in "" , ",a" "a," "a,,b" "a b" "[abc" "[]" "abc\\" +0x10 \
			 mod+0x mod+0xZZ mod+0x12g mod+0x12345678901234567; do
			bad "FLAKETRAP_$k" "$v" "expected PAT[,PAT...]" || return 1
		done
	done
'

test_expect_success 'every delay knob rejects bad values' '
	for k in WAITPID_DELAY EXIT_DELAY EXIT_DELAY_LATE THREAD_DELAY \
		 FORK_DELAY FORK_DELAY_PARENT; do
		for v in "" 5 -1ms x2 5ms..1ms 1ms.. ..1ms on OFF 1..2; do
			bad "FLAKETRAP_$k" "$v" "expected DUR, A..B or off" ||
				return 1
		done
	done
'

test_expect_success 'FLAKETRAP_LOG rejects an empty value and an impossible directory' '
	bad FLAKETRAP_LOG "" "expected a directory path" &&
	test_expect_code 125 env FLAKETRAP_LOG=/proc/nope LD_PRELOAD="$LIB" /bin/true 2>err &&
	grep -F "FLAKETRAP_LOG=" err && grep -F "/proc/nope" err &&
	grep -F "cannot create the directory" err &&
	: >a-file &&
	test_expect_code 125 env FLAKETRAP_LOG=a-file LD_PRELOAD="$LIB" /bin/true 2>err &&
	grep -F "/a-file" err &&
	grep -F ": cannot create the directory: Not a directory" err
'

test_expect_success 'an unknown FLAKETRAP_ name is a typo, with a suggestion' '
	test_expect_code 125 env FLAKETRAP_SLEP=1ns LD_PRELOAD="$LIB" /bin/true 2>err &&
	grep -F "unknown variable FLAKETRAP_SLEP=" err &&
	grep -F "did you mean FLAKETRAP_SLEEP?" err &&
	test_expect_code 125 env FLAKETRAP_SLEEP_PORB=1 LD_PRELOAD="$LIB" /bin/true 2>err &&
	grep -F "did you mean FLAKETRAP_SLEEP_PROB?" err
'

test_expect_success 'the error comes before main, in every process' '
	test_expect_code 125 env FLAKETRAP_SLEEP=bad LD_PRELOAD="$LIB" \
		"$PYTHON" -c "print(\"main ran\")" >out 2>err &&
	test ! -s out
'

test_expect_success 'FLAKETRAP_LIB is ours, not a typo' '
	FLAKETRAP_LIB=/nowhere preload /bin/true
'

test_expect_success 'FLAKETRAP_LOG creates every missing parent' '
	preload FLAKETRAP_LOG=deep/er/log /bin/true &&
	test "$(logq deep/er/log "len(starts)")" = 1
'

test_expect_success 'good values are accepted' '
	FLAKETRAP_SLEEP=0.5s FLAKETRAP_SLEEP_MIN=0 FLAKETRAP_SLEEP_PROB=0.25 \
		FLAKETRAP_SEED=18446744073709551615 preload /bin/true &&
	FLAKETRAP_SLEEP=x0.01 preload /bin/true &&
	FLAKETRAP_SLEEP=1us..2s preload /bin/true &&
	FLAKETRAP_WAITPID_DELAY=1ms FLAKETRAP_EXIT_DELAY=0..1ms \
		FLAKETRAP_EXIT_DELAY_LATE=0 FLAKETRAP_THREAD_DELAY=off \
		FLAKETRAP_FORK_DELAY=1ns..1us FLAKETRAP_FORK_DELAY_PARENT=0.5ms \
		preload /bin/true &&
	FLAKETRAP_SLEEP_ONLY="test_*,libuv.so*,/usr/lib/*/libc.so.6+0x1f2e,[!a-z]x" \
		FLAKETRAP_SLEEP_SKIP="a\\*b,libstdc++.so.6" preload /bin/true
'

test_done
