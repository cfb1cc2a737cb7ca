#!/bin/sh
# The flaketrap command: help, version, run, exit statuses, finding the
# library, LD_PRELOAD handling, nested runs.
. "$(dirname "$0")/lib.sh"

test_expect_success 'each help lists each option once' '
	for c in run loop bisect report children; do
		"$FLAKETRAP" $c --help >help.$c &&
		grep -o "^  -[-a-zA-Z0-9, ]*" help.$c | sort | uniq -d >dup.$c &&
		test ! -s dup.$c || { echo "$c: twice:"; cat dup.$c; return 1; }
	done
'

test_expect_success 'every help fits in 80 columns' '
	for c in "" run loop bisect report children; do
		"$FLAKETRAP" $c --help >out &&
		awk -v c="$c" "length > 80 { print c \": \" \$0; bad = 1 }
			END { exit bad }" out || return 1
	done
'

test_expect_success '--help and --version' '
	"$FLAKETRAP" --help >out && grep -q "^Usage: flaketrap" out &&
	"$FLAKETRAP" --version >out && grep -q "^flaketrap [0-9]" out &&
	"$FLAKETRAP" run --version >out2 && cmp out out2
'

test_expect_success '--version names the library each command would preload' '
	"$FLAKETRAP" --version >out &&
	lib=$(sed -n "s/^library: //p" out) &&
	test "$lib" = "$(cd "$ROOT/preload" && pwd -P)/libflaketrap.so" &&
	for c in run loop bisect report children; do
		"$FLAKETRAP" $c --version >out.$c && cmp out out.$c || return 1
	done &&
	FLAKETRAP_LIB=$PWD/nowhere.so "$FLAKETRAP" --version >out 2>err &&
	grep -qx "library: not found" out &&
	grep -q "FLAKETRAP_LIB=$PWD/nowhere.so" err
'

test_expect_success 'bisect: --log naming a file is refused (125) before CMD runs' '
	printf "not a log\\n" >afile &&
	test_expect_code 125 "$FLAKETRAP" bisect --sleeps --log=afile -- \
		sh -c "echo ran >ran" 2>err &&
	test ! -e ran &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^flaketrap bisect: --log=afile: Not a directory" err &&
	test "$(cat afile)" = "not a log"
'

test_expect_success 'run --help lists one option per knob, and exit statuses' '
	"$FLAKETRAP" run --help >out &&
	for opt in --sleep= --sleep-min= --sleep-prob= --seed= --log=; do
		grep -q -- "^  $opt" out || return 1
	done &&
	grep -q "127 when CMD is not found" out
'

test_expect_success 'usage errors exit 125' '
	test_expect_code 125 "$FLAKETRAP" 2>err &&
	test_expect_code 125 "$FLAKETRAP" frobnicate 2>err &&
	grep -q "unknown command" err &&
	test_expect_code 125 "$FLAKETRAP" run 2>err &&
	grep -q "no command given" err &&
	test_expect_code 125 "$FLAKETRAP" run --slep=1 true 2>err &&
	grep -q "unrecognized option" err &&
	test_expect_code 125 "$FLAKETRAP" run --sleep 2>err
'

test_expect_success 'a long option must be written whole' '
	test_expect_code 125 "$FLAKETRAP" run --sleep-mi=1ms -- sh -c "echo ran" >out 2>err &&
	test ! -s out &&
	grep -q "^flaketrap run: option .--sleep-mi. is short for .--sleep-min.: write it whole" err &&
	test_expect_code 125 "$FLAKETRAP" loop --until -n 1 -- true 2>err &&
	grep -q "^flaketrap loop: option .--until. is short for .--until-fail." err &&
	test_expect_code 125 "$FLAKETRAP" report --js x 2>err &&
	grep -q "^flaketrap report: option .--js. is short for .--json." err &&
	"$FLAKETRAP" run --sleep-min 1ms -- true
'

test_expect_success 'loop: --until-fail and --keep-going together are refused' '
	test_expect_code 125 "$FLAKETRAP" loop --until-fail --keep-going -- true 2>err &&
	grep -q "^flaketrap loop: --until-fail and --keep-going contradict" err &&
	"$FLAKETRAP" loop --until-fail --until-fail -n 1 -- true >out
'

test_expect_success 'the command status passes through' '
	$GUARD "$FLAKETRAP" run -- true &&
	test_expect_code 3 $GUARD "$FLAKETRAP" run -- sh -c "exit 3" &&
	test_expect_code 1 $GUARD "$FLAKETRAP" run false
'

test_expect_success 'not found is 127, cannot run is 126' '
	test_expect_code 127 "$FLAKETRAP" run -- ./no-such-command 2>err &&
	grep -q "no-such-command: No such file" err &&
	echo "not a program" >plain.txt && chmod -x plain.txt &&
	test_expect_code 126 "$FLAKETRAP" run -- ./plain.txt 2>err
'

test_expect_success 'death by signal N is 128+N' '
	test_expect_code 143 $GUARD "$FLAKETRAP" run -- sh -c "kill -TERM \$\$" &&
	test_expect_code 137 $GUARD "$FLAKETRAP" run -- sh -c "kill -KILL \$\$"
'

test_expect_success 'flaketrap run -- sleep 3600 returns' '
	$GUARD "$FLAKETRAP" run --log=tool-log -- sleep 3600 &&
	test "$(logq tool-log "total(\"sleeps_changed\") >= 1")" = True
'

test_expect_success 'a relative --log is made absolute for every process' '
	mkdir sub &&
	$GUARD "$FLAKETRAP" run --log=rel -- sh -c "cd sub && sleep 1" &&
	test ! -d sub/rel &&
	test "$(logq rel "all(s[\"config\"][\"log\"] == \"$PWD/rel\" for s in starts)")" = True
'

test_expect_success 'options set the knobs and win over the environment' '
	FLAKETRAP_SLEEP=x2 $GUARD "$FLAKETRAP" run --sleep=off --log=opt -- \
		"$HELPERS/nap" 2 1000 &&
	test "$(logq opt "total(\"sleeps_seen\"), total(\"sleeps_changed\")")" = "(2, 0)" &&
	$GUARD "$FLAKETRAP" run --sleep=3us --seed=7 --sleep-prob=1 \
		--sleep-min=1ns --log=opt2 -- "$HELPERS/nap" 2 1000 &&
	test "$(logq opt2 "(total(\"slept_ns\"), starts[0][\"seed\"]) == (6000, \"7\")")" = True
'

test_expect_success 'a bad option value is refused before CMD runs' '
	test_expect_code 125 "$FLAKETRAP" run --sleep=5..1ms -- sh -c "echo ran" >out 2>err &&
	test ! -s out &&
	test "$(head -c 40 err)" = "flaketrap run: --sleep='"'"'5..1ms'"'"': missing" &&
	grep -qF "missing unit" err &&
	FLAKETRAP_SLEEP=5 test_expect_code 125 "$FLAKETRAP" run -- true 2>err &&
	grep -qF "FLAKETRAP_SLEEP='"'"'5'"'"'" err
'

test_expect_success 'other LD_PRELOAD entries are kept, after ours' '
	echo "int flaketrap_test_dummy(void) { return 0; }" >dummy.c &&
	cc -shared -fPIC -o dummy.so dummy.c &&
	LD_PRELOAD=$PWD/dummy.so $GUARD "$FLAKETRAP" run -- \
		sh -c "echo \$LD_PRELOAD" >out &&
	test "$(cat out)" = "$(readlink -f "$LIB"):$PWD/dummy.so"
'

test_expect_success 'nested runs load the library once; the inner settings win' '
	$GUARD "$FLAKETRAP" run --sleep=x2 -- "$FLAKETRAP" run --sleep=off \
		--log=nested -- sh -c "echo \$LD_PRELOAD >preload.txt; exec \"$HELPERS/nap\" 1 1000" &&
	test "$(tr ":" "\n" <preload.txt | grep -c libflaketrap)" = 1 &&
	test "$(logq nested "[e[\"counters\"][\"sleeps_changed\"] for e in exits if e[\"counters\"][\"sleeps_seen\"]]")" = "[0]"
'

test_expect_success 'FLAKETRAP_LIB overrides the library, and must exist' '
	mkdir other && cp "$LIB" other/libflaketrap.so &&
	FLAKETRAP_LIB=$PWD/other/libflaketrap.so $GUARD "$FLAKETRAP" run -- \
		sh -c "echo \$LD_PRELOAD" >out &&
	test "$(cat out)" = "$PWD/other/libflaketrap.so" &&
	test_expect_code 125 env FLAKETRAP_LIB=/nowhere/lib.so "$FLAKETRAP" run true 2>err &&
	grep -q "FLAKETRAP_LIB=/nowhere/lib.so" err
'

test_expect_success 'an installed layout finds its library' '
	mkdir -p inst/bin inst/lib/flaketrap &&
	cp "$FLAKETRAP" inst/bin/ && cp "$LIB" inst/lib/flaketrap/ &&
	$GUARD inst/bin/flaketrap run -- sh -c "echo \$LD_PRELOAD" >out &&
	test "$(cat out)" = "$PWD/inst/lib/flaketrap/libflaketrap.so"
'

test_expect_success 'SIGTERM to flaketrap reaches the command' '
	mkfifo ready block &&
	{ "$FLAKETRAP" run -- sh -c "trap \"exit 42\" TERM; echo up >ready; read x <block" & } &&
	pid=$! &&
	$GUARD sh -c "read line <ready" &&
	kill -TERM $pid &&
	{ wait $pid; status=$?; } &&
	test "$status" = 42;
	rc=$?
	# On failure, free whatever is still blocked on the FIFOs.
	kill -KILL $pid 2>/dev/null
	exec 3<>block 3>&-
	return $rc
'

test_expect_success 'one seed for the whole run, unless given' '
	$GUARD "$FLAKETRAP" run --log=tree -- sh -c "sleep 1; sleep 1" &&
	test "$(logq tree "len(starts) >= 3 and len(set(s[\"seed\"] for s in starts)) == 1")" = True
'

test_expect_success 'a library that ld.so would skip is refused' '
	mkdir "sp ace" && cp "$LIB" "sp ace/libflaketrap.so" &&
	for bad in "$PWD/sp ace/libflaketrap.so" /etc/passwd "$PWD"; do
		test_expect_code 125 env FLAKETRAP_LIB="$bad" "$FLAKETRAP" run true 2>err &&
		grep -q "FLAKETRAP_LIB=" err || return 1
	done
'

test_expect_success 'flaketrap checks the knobs itself, before running CMD' '
	test_expect_code 125 "$FLAKETRAP" run --sleep=bad -- ./no-such-command 2>err &&
	grep -q "^flaketrap run: --sleep=" err
'

test_expect_success 'the demo fixture fails under flaketrap, every run' '
	test_expect_code 1 $GUARD "$FLAKETRAP" run -- \
		"$FIXTURES/sleep-sync" 30000 60000 >out &&
	grep -q "^FAIL" out
'

test_expect_success 'docs/knobs.md documents every knob, as --help does' '
	names=$(sed -n "s/^FT_KNOB([a-z_]*, \"\([A-Z_]*\)\".*/\1/p" \
		"$ROOT/preload/config.def") &&
	test "$(echo $names | wc -w)" -ge 5 &&
	for name in $names; do
		grep -q "^| \[\`FLAKETRAP_$name\`\](#" "$ROOT/docs/knobs.md" || {
			echo "docs/knobs.md lacks FLAKETRAP_$name"; return 1; }
	done
'

test_done
