#!/bin/sh
# The library beside the other tools that watch a program: valgrind's
# memcheck (with our suppression file), and programs built with gcc's
# AddressSanitizer or ThreadSanitizer, whose runtimes make threads of their
# own and check their place among the loaded libraries. Each part is
# skipped, with the reason, where its tool is missing.
. "$(dirname "$0")/lib.sh"

SUPP=$ROOT/preload/flaketrap.supp
COEXIST=$FIXTURES/coexist
LEAKY=$FIXTURES/leaky
FLAKETRAP_STACK_TIMEOUT=300s
export FLAKETRAP_STACK_TIMEOUT

if command -v valgrind >/dev/null 2>&1; then
	test_set_prereq VALGRIND
else
	test_missing_prereq VALGRIND "valgrind is not installed (make deps)"
fi

# The fixture built with gcc's AddressSanitizer (LeakSanitizer on, as by
# default), where the runtime is installed and works on this machine.
if cc -fsanitize=address -g -pthread -o coexist-asan \
	"$TEST_DIRECTORY/fixtures/coexist.c" >asan.err 2>&1 &&
   ./coexist-asan >asan.out 2>>asan.err &&
   test "$(cat asan.out)" = "coexist done"; then
	test_set_prereq ASAN
	ASAN_RUNTIME=$(cc -print-file-name=libasan.so)
else
	test_missing_prereq ASAN "cc -fsanitize=address: $(tail -n 1 asan.err)"
fi
unset ASAN_OPTIONS

# q DIR EXPR: logq, and the result must be True (else the first records).
q () {
	got=$(logq "$1" "$2") || return 1
	[ "$got" = True ] || { echo "$2: $got"; logq "$1" "recs[:20]"; return 1; }
}

# memcheck LOGDIR CMD...: CMD under valgrind's memcheck with the library
# in it (valgrind passes its environment on to the program, LD_PRELOAD
# included; the knobs must be there too: valgrind follows no exec, so
# `valgrind env VAR=.. CMD` would check env and run CMD plainly) and its
# log in LOGDIR; any error is exit status 99.
memcheck () {
	dir=$1
	shift
	$GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$dir" valgrind -q \
		--error-exitcode=99 --suppressions="$SUPP" "$@"
}

test_expect_success VALGRIND 'memcheck: threads and a fork child under the library, no error' '
	memcheck vg "$COEXIST" >out &&
	test "$(cat out)" = "coexist done" &&
	q vg "[r[\"argv\"] for r in starts if r[\"_file\"].startswith(\"coexist.\")] == [[\"$COEXIST\"]] * 2" &&
	q vg "[e[\"leaks\"] for e in exits] == [{\"children\": 0, \"threads\": 0}] * 2"
'

test_expect_success VALGRIND 'memcheck: the exit scan and a running thread'"'"'s stack, no error' '
	memcheck vgleak "$LEAKY" thread-running &&
	q vgleak "[(t[\"state\"], t[\"origin\"]) for t in of(\"leaked_thread\")] == [(\"running\", \"pthread_create\")]" &&
	q vgleak "\"block_in_distinct_worker\" in syms(of(\"leaked_thread\")[0][\"stack\"])"
'

# A creation backtrace steps a cursor when a sanitizer defines
# __tls_get_addr: unw_backtrace's thread-local cache made gcc 12's
# LeakSanitizer scan a bogus range and die at exit.
test_expect_success ASAN 'ASan runtime first, then the library: threads, fork, LeakSanitizer, exit 0' '
	$GUARD env LD_PRELOAD="$ASAN_RUNTIME:$LIB" FLAKETRAP_LOG=asan1 ./coexist-asan >out 2>err &&
	test "$(cat out)" = "coexist done" &&
	test ! -s err &&
	q asan1 "[e[\"leaks\"] for e in exits] == [{\"children\": 0, \"threads\": 0}] * 2"
'

test_expect_success ASAN 'the library first, the link order check off: the same' '
	$GUARD env LD_PRELOAD="$LIB" ASAN_OPTIONS=verify_asan_link_order=0 FLAKETRAP_LOG=asan2 ./coexist-asan >out 2>err &&
	test "$(cat out)" = "coexist done" &&
	test ! -s err &&
	q asan2 "[e[\"leaks\"] for e in exits] == [{\"children\": 0, \"threads\": 0}] * 2"
'

# The library comes first in LD_PRELOAD: run turns ASan's link order
# check off (the runtime refused to start: "ASan runtime does not come
# first in initial library list"), after the user's own flags.
test_expect_success ASAN 'flaketrap run on an ASan program: it runs, LeakSanitizer too, no leak' '
	$GUARD "$FLAKETRAP" run --fail-on-leak -- ./coexist-asan >out 2>err &&
	test "$(cat out)" = "coexist done" &&
	grep -q "^flaketrap: seed [0-9]*; 2 processes ended with the library" err &&
	test "$(wc -l <err)" = 1
'

test_expect_success ASAN 'loop too; the user'"'"'s ASAN_OPTIONS are kept, and their own link order choice' '
	ASAN_OPTIONS=exitcode=42 $GUARD "$FLAKETRAP" loop -n 2 -j 1 --fail-on-leak --out=runs -- ./coexist-asan >out &&
	grep -q "^flaketrap loop: 2 runs .*: 2 passed, 0 failed, 0 leaked" out &&
	ASAN_OPTIONS=exitcode=42 "$FLAKETRAP" run -- sh -c "echo \$ASAN_OPTIONS" >out 2>/dev/null &&
	test "$(cat out)" = "exitcode=42:verify_asan_link_order=0" &&
	ASAN_OPTIONS=verify_asan_link_order=1 "$FLAKETRAP" run -- sh -c "echo \$ASAN_OPTIONS" >out 2>/dev/null &&
	test "$(cat out)" = "verify_asan_link_order=1" &&
	test_expect_code 125 env ASAN_OPTIONS=verify_asan_link_order=1 $GUARD "$FLAKETRAP" run -- ./coexist-asan 2>err &&
	grep -q "ASan runtime does not come first" err &&
	grep -q "no process loaded the library" err
'

test_done
