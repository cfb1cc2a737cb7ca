#!/bin/sh
# flaketrap children: the live descendants of a process as a tree, with
# state and command line; errors for a bad or missing PID.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a tree: pid, state, command line, indentation' '
	mkfifo ready hold &&
	{ "$HELPERS/tree" <hold >ready & } &&
	pid=$! &&
	exec 3>hold &&
	pids=$($GUARD head -n 1 ready) &&
	set -- $pids && b=$1 c=$2 d=$3 e=$4 &&
	"$FLAKETRAP" children $pid >out &&
	printf "%s\n" "$b sleeping cat -" "  $c running  $HELPERS/tree" \
		"$d stopped  $HELPERS/tree" "$e zombie   [tree]" >want &&
	diff -u want out &&
	"$FLAKETRAP" children $b >out &&
	test "$(cat out)" = "$c running  $HELPERS/tree" &&
	"$FLAKETRAP" children $e >out &&
	test ! -s out;
	rc=$?
	# Ending stdin takes the tree down, on failure too.
	exec 3>&-
	wait $pid && return $rc
'

test_expect_success 'the command itself is not listed' '
	sh -c "\"\$0\" children \$\$; true" "$FLAKETRAP" >out &&
	test ! -s out
'

test_expect_success 'a PID that does not exist: exit 1, named' '
	max=$(cat /proc/sys/kernel/pid_max) &&
	test_expect_code 1 "$FLAKETRAP" children $max 2>err &&
	test "$(cat err)" = "flaketrap children: no process $max"
'

test_expect_success 'usage errors exit 125' '
	test_expect_code 125 "$FLAKETRAP" children 2>err &&
	grep -q "no PID given" err &&
	for bad in abc 0 -5 12x " 7" +7 99999999999; do
		test_expect_code 125 "$FLAKETRAP" children "$bad" 2>err &&
		grep -q "is not a process id" err || return 1
	done &&
	test_expect_code 125 "$FLAKETRAP" children 1 2 2>err &&
	grep -q "one PID only" err &&
	"$FLAKETRAP" children --version | grep -q "^flaketrap [0-9]"
'

test_expect_success '--help' '
	"$FLAKETRAP" children --help >out &&
	grep -q "^Usage: flaketrap children PID" out &&
	grep -q "1 when PID does not exist" out &&
	"$FLAKETRAP" --help | grep -q "^  children "
'

test_done
