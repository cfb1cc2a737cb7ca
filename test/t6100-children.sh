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

# preload/fork-path.ld gathers what a fork child runs and reads on a few
# pages: each name it lists must be a symbol of the library inside the
# output section the script makes (a name renamed or inlined drops out).
test_expect_success 'the fork child path lies where fork-path.ld puts it' '
	readelf -SW "$LIB" >sections &&
	nm "$LIB" >symbols &&
	for part in text bss; do
		sed -n "s/.*\*[^(]*(\.$part\.\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p" \
			"$ROOT/preload/fork-path.ld" >names.$part &&
		test -s names.$part &&
		set -- $(sed -n "s/.*\] \.$part\.ft_fork_path *[A-Z]* *//p" \
			sections) &&
		lo=$((0x$1)) && hi=$((0x$1 + 0x$3)) &&
		test $hi -gt $lo &&
		while read -r name; do
			at=$(awk -v n="$name" "\$3 == n { print \$1; exit }" \
				symbols) &&
			test -n "$at" && test $((0x$at)) -ge $lo &&
			test $((0x$at)) -lt $hi ||
			{ echo "$name: not in .$part.ft_fork_path"; return 1; }
		done <names.$part || return 1
	done
'

test_done
