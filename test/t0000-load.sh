#!/bin/sh
# Loading: exports, transparency with every knob off, loaded twice.
. "$(dirname "$0")/lib.sh"

test_expect_success 'the library exports exactly the wrapped functions' '
	"$TEST_DIRECTORY/check-exports.sh" "$LIB" "$ROOT/preload/exports.map"
'

test_expect_success 'with sleeps off, output and status are unchanged' '
	for cmd in "ls -la /usr/include/sys" "sh -c \"echo out; echo err >&2; exit 3\"" \
		   "$PYTHON -c \"import sys; print(sys.argv); sys.exit(5)\" a b"; do
		{ eval "$cmd" >plain.out 2>plain.err; echo $? >plain.rc; } &&
		{ FLAKETRAP_SLEEP=off LD_PRELOAD=$LIB eval "$cmd" \
			>pre.out 2>pre.err; echo $? >pre.rc; } &&
		cmp plain.out pre.out && cmp plain.err pre.err &&
		cmp plain.rc pre.rc || return 1
	done
'

test_expect_success 'with a log, nothing is written to stdout or stderr' '
	FLAKETRAP_LOG=log LD_PRELOAD=$LIB sh -c "exit 0" >out 2>err &&
	test ! -s out && test ! -s err &&
	test "$(logq log "len(starts), len(exits)")" = "(1, 1)"
'

test_expect_success 'the same library twice in LD_PRELOAD counts once' '
	FLAKETRAP_LOG=twice $GUARD env LD_PRELOAD="$LIB $LIB" \
		"$HELPERS/sleeper" 3600 nanosleep &&
	test "$(logq twice "len(starts), total(\"sleeps_seen\")")" = "(1, 1)"
'

test_expect_success 'two copies of the library count once' '
	mkdir copy && cp "$LIB" copy/libflaketrap.so &&
	FLAKETRAP_LOG=copies $GUARD env \
		LD_PRELOAD="$LIB:$PWD/copy/libflaketrap.so" \
		"$HELPERS/sleeper" 3600 nanosleep &&
	test "$(logq copies "len(starts), total(\"sleeps_seen\")")" = "(1, 1)" &&
	FLAKETRAP_LOG=copies2 $GUARD env \
		LD_PRELOAD="$PWD/copy/libflaketrap.so:$LIB" \
		"$HELPERS/sleeper" 3600 nanosleep &&
	test "$(logq copies2 "len(starts), total(\"sleeps_seen\")")" = "(1, 1)"
'

test_expect_success 'a library constructor sleeping before ours runs is handled' '
	cat >ctor.c <<-\EOF &&
	#include <unistd.h>
	__attribute__((constructor)) static void early(void) { sleep(3600); }
	int ctor_lib_loaded(void) { return 1; }
	EOF
	cat >main.c <<-\EOF &&
	int ctor_lib_loaded(void);
	int main(void) { return !ctor_lib_loaded(); }
	EOF
	cc -shared -fPIC -o libctor.so ctor.c &&
	cc -o ctor-main main.c -L. -lctor -Wl,-rpath,"$PWD" &&
	preload FLAKETRAP_LOG=ctor ./ctor-main &&
	test "$(logq ctor "total(\"sleeps_changed\"), len(starts)")" = "(1, 1)"
'

# The sanitizer runtimes start in the program's .preinit_array, before
# libc has set environ, and their first sigaction there initializes us.
test_expect_success 'a wrapper called from the preinit_array, before libc sets environ, sees the knobs' '
	cat >preinit.c <<-\EOF &&
	#include <stdio.h>
	#include <unistd.h>
	extern char **environ;
	static int unset;
	static void early(int argc, char **argv, char **envp)
	{
		(void)argc, (void)argv, (void)envp;
		unset = environ == NULL;
		usleep(3600000000u);
	}
	__attribute__((section(".preinit_array"), used))
	static void (*const run_early)(int, char **, char **) = early;
	int main(void) { printf("environ unset: %d\n", unset); return 0; }
	EOF
	cc -o preinit preinit.c &&
	preload FLAKETRAP_LOG=pre ./preinit >out &&
	test "$(cat out)" = "environ unset: 1" &&
	test "$(logq pre "len(starts), total(\"sleeps_changed\")")" = "(1, 1)" &&
	test_expect_code 125 preload FLAKETRAP_SLEEP=bogus ./preinit 2>err &&
	grep -q "^flaketrap: FLAKETRAP_SLEEP=.bogus.: " err
'

test_done
