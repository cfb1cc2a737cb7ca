#!/bin/sh
# Contracts: invalid arguments fail exactly as without the library, errno
# is untouched on success, in every mode.
. "$(dirname "$0")/lib.sh"

test_expect_success 'reference run without the library' '
	$GUARD "$HELPERS/errno-probe" >plain &&
	grep -q "nanosleep nsec=-1 .*ret=-1 errno=Invalid argument" plain
'

for mode in 1ns off x2 1ms..2ms; do
	test_expect_success "same returns and errno with FLAKETRAP_SLEEP=$mode" '
		FLAKETRAP_SLEEP=$mode preload "$HELPERS/errno-probe" >got &&
		diff -u plain got
	'
done

test_expect_success 'same returns and errno with a log and signal handling' '
	FLAKETRAP_LOG=log preload "$HELPERS/errno-probe" >got &&
	diff -u plain got
'

# A pattern looks up the names of the sleep's frames: dladdr, and the
# .symtab of a file that may be gone (open fails with ENOENT).
for pat in "SLEEP_ONLY=nothing_*" "SLEEP_SKIP=nothing_*" "SLEEP_ONLY=main" \
	   "SLEEP_SKIP=main" "SLEEP_ONLY=gone+0x1"; do
	test_expect_success "same returns and errno with FLAKETRAP_$pat, the program's file gone" '
		cp "$HELPERS/errno-probe" gone &&
		preload FLAKETRAP_$pat FLAKETRAP_LOG=log-pat ./gone --unlink-self >got &&
		test ! -e gone &&
		diff -u plain got
	'
done

test_done
