#!/bin/sh
# The fuzz targets' inputs, replayed without libFuzzer: the seed corpora
# (test/fuzz/config, test/fuzz/log, the logs of test/data, test/fuzz/writer)
# and every input a fuzzer once failed on run through the same checks as
# under `make fuzz`
# (the targets abort on a broken invariant; SANITIZE=address,undefined
# makes memory errors fail here too).
. "$(dirname "$0")/lib.sh"

REPLAY=$ROOT/build/test/fuzz
FUZZ=$ROOT/test/fuzz

test_expect_success 'knob parser: every seed and past finding' '
	"$REPLAY/replay-config" "$FUZZ"/config/* >out &&
	n=$(ls "$FUZZ"/config | wc -l) &&
	test "$(grep -c "^ok " out)" = "$n" &&
	tail -n 1 out | grep -qx "1\.\.$n"
'

test_expect_success 'knob parser: a line for each knob of config.def, with its default' '
	awk -F"\"" "/^FT_KNOB\\(/ { print \$2 \"=\" \$4 }" \
		"$ROOT/preload/config.def" >defaults &&
	test "$(wc -l <defaults)" -ge 19 &&
	"$REPLAY/replay-config" defaults >out &&
	grep -qx "ok 1 - defaults" out
'

test_expect_success 'log reader: every seed, past finding and test log' '
	"$REPLAY/replay-log" "$FUZZ"/log/* $(find "$ROOT/test/data" -name "*.jsonl") \
		>out 2>err &&
	n=$(($(ls "$FUZZ"/log | wc -l) + $(find "$ROOT/test/data" -name "*.jsonl" | wc -l))) &&
	test "$(grep -c "^ok " out)" = "$n" &&
	# The bad lines are told, with the name the buffer was given.
	grep -q "^fuzz-log: run/prog.42.jsonl:[0-9]*: invalid JSON" err
'

test_expect_success 'JSON string writer: every seed and past finding' '
	"$REPLAY/replay-writer" "$FUZZ"/writer/* >out &&
	n=$(ls "$FUZZ"/writer | wc -l) &&
	test "$n" -ge 4 &&
	test "$(grep -c "^ok " out)" = "$n" &&
	tail -n 1 out | grep -qx "1\.\.$n"
'

test_done
