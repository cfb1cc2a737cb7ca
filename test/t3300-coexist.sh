#!/bin/sh
# The library beside the other tools that watch a program: valgrind's
# memcheck (with our suppression file), and programs built with gcc's
# AddressSanitizer or ThreadSanitizer (clang's too, where it is installed),
# whose runtimes start before libc, make threads of their own and check
# their place among the loaded libraries. Each part is skipped, with the
# reason, where its tool is missing or does not work on this machine.
. "$(dirname "$0")/lib.sh"
unset ASAN_OPTIONS TSAN_OPTIONS LSAN_OPTIONS

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

# sanitized PREREQ PROGRAM COMPILER SANITIZER: the fixture built into
# PROGRAM with COMPILER -fsanitize=SANITIZER; PREREQ where it builds and
# runs as it should on this machine, else the reason it is missing.
sanitized () {
	if "$3" -fsanitize="$4" -g -pthread -o "$2" \
		"$TEST_DIRECTORY/fixtures/coexist.c" >"$2.err" 2>&1 &&
	   "./$2" >"$2.out" 2>>"$2.err" &&
	   test "$(cat "$2.out")" = "coexist done"; then
		test_set_prereq "$1"
	else
		test_missing_prereq "$1" "$3 -fsanitize=$4: $(tail -n 1 "$2.err")"
	fi
}

# gcc's AddressSanitizer (LeakSanitizer on, as by default); gcc's
# ThreadSanitizer (libtsan.so, a dependency of the program, after the
# library in the search order) and clang's (linked into the program).
sanitized ASAN coexist-asan cc address
ASAN_RUNTIME=$(cc -print-file-name=libasan.so)
sanitized TSAN coexist-tsan cc thread
TSAN_RUNTIME=$(cc -print-file-name=libtsan.so)
if command -v clang >/dev/null 2>&1; then
	sanitized CLANG_TSAN coexist-clang-tsan clang thread
else
	test_missing_prereq CLANG_TSAN "clang is not installed (make fuzz-deps)"
fi

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

# A sanitizer runtime's own threads are no leak. gcc's libtsan comes after
# the library: its background thread is made behind our back (libc's
# pthread_create), known by waiting in the runtime's own system call.
test_expect_success TSAN 'flaketrap run on a TSan program: its background thread is no leak' '
	$GUARD "$FLAKETRAP" run --fail-on-leak -- ./coexist-tsan >out 2>err &&
	test "$(cat out)" = "coexist done" &&
	grep -q "^flaketrap: seed [0-9]*; 2 processes ended with the library" err &&
	test "$(wc -l <err)" = 1
'

# The runtime first: its thread goes through our pthread_create, from
# __sanitizer::internal_start_thread.
test_expect_success TSAN 'the TSan runtime first in LD_PRELOAD: no leak either' '
	$GUARD env LD_PRELOAD="$TSAN_RUNTIME:$LIB" FLAKETRAP_LOG=tsan1 ./coexist-tsan >out 2>err &&
	test "$(cat out)" = "coexist done" &&
	test ! -s err &&
	q tsan1 "[e[\"leaks\"] for e in exits] == [{\"children\": 0, \"threads\": 0}] * 2" &&
	q tsan1 "len(of(\"start\")) == 2 and of(\"leaked_thread\") == []"
'

# A finished thread: with the library first, TSan holds back our stack
# signal while a thread waits in its interceptor, so a running one would
# give no stack (docs/sanitizers.md). With the runtime first, the start routine is
# TSan's, and its pthread_create interceptor the first frame.
test_expect_success TSAN 'a thread the TSan program never joins is still reported, alone' '
	cc -D_GNU_SOURCE -fsanitize=thread -g -pthread -o leaky-tsan "$TEST_DIRECTORY/fixtures/leaky.c" &&
	for order in "$LIB" "$TSAN_RUNTIME:$LIB"; do
		rm -rf tleak &&
		$GUARD env LD_PRELOAD="$order" FLAKETRAP_LOG=tleak \
			TSAN_OPTIONS=report_thread_leaks=0 ./leaky-tsan thread-unjoined &&
		q tleak "[(t[\"state\"], \"scenario\" in syms(t[\"backtrace\"])) for t in of(\"leaked_thread\")] == [(\"finished\", True)]" || return 1
	done
'

test_expect_success ASAN 'a raw thread spinning in an ASan program is still reported (after a second)' '
	cc -D_GNU_SOURCE -fsanitize=address -g -pthread -o leaky-asan "$TEST_DIRECTORY/fixtures/leaky.c" &&
	$GUARD env LD_PRELOAD="$LIB" ASAN_OPTIONS=verify_asan_link_order=0 FLAKETRAP_LOG=spin ./leaky-asan raw-thread-spinning &&
	q spin "[(t[\"state\"], t[\"origin\"]) for t in of(\"leaked_thread\")] == [(\"running\", \"unknown\")]"
'

# With ASan's handlers off the program has none: a fork keeps a copy of
# its stack, redzones and all, which ASan's memcpy would call an underflow.
test_expect_success ASAN 'a child an ASan program without handlers leaves: its frames, no ASan report' '
	$GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG=asanfork \
		ASAN_OPTIONS=verify_asan_link_order=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0:handle_sigill=0 \
		./leaky-asan child-below-array 2>err &&
	! grep AddressSanitizer err &&
	q asanfork "syms(of(\"leaked_child\")[0][\"backtrace\"])[:3] == [\"leak_child_running\", \"fork_below_array\", \"scenario\"]"
'

# clang links the runtime into the program: it starts in the preinit_array,
# and its pthread_create is the program'"'"'s, which calls ours.
test_expect_success CLANG_TSAN 'flaketrap run on a clang TSan program: knobs seen, no leak' '
	$GUARD "$FLAKETRAP" run --fail-on-leak -- ./coexist-clang-tsan >out 2>err &&
	test "$(cat out)" = "coexist done" &&
	grep -q "^flaketrap: seed [0-9]*; 2 processes ended with the library" err &&
	test "$(wc -l <err)" = 1
'

test_done
