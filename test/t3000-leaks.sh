#!/bin/sh
# The leak report: each kind of child and thread left behind is reported
# with the distinctive function that made it; what was reaped, joined or
# detached is not. Fixtures: test/fixtures/leaky.c and leaky.py.
. "$(dirname "$0")/lib.sh"

LEAKY=$FIXTURES/leaky
# However loaded the machine, wait for every thread's stack: the default
# bound (1 s) is for users, a test must not depend on the scheduler.
FLAKETRAP_STACK_TIMEOUT=300s
export FLAKETRAP_STACK_TIMEOUT

# leaky_log DIR SCENARIO [END]: run the fixture with a log in DIR.
leaky_log () {
	dir=$1
	shift
	preload FLAKETRAP_LOG="$dir" "$LEAKY" "$@"
}

# q DIR EXPR: logq, and the result must be True (else the first records).
q () {
	got=$(logq "$1" "$2") || return 1
	[ "$got" = True ] || { echo "$2: $got"; logq "$1" "recs[:20]"; return 1; }
}

test_expect_success 'a child left running: reported with where it was made' '
	leaky_log run child-running &&
	q run "[(c[\"state\"], c[\"origin\"], c[\"comm\"]) for c in of(\"leaked_child\")] == [(\"running\", \"fork\", \"leaky\")]" &&
	q run "syms(of(\"leaked_child\")[0][\"backtrace\"])[:2] == [\"leak_child_running\", \"scenario\"]" &&
	q run "main_exit[\"leaks\"] == {\"children\": 1, \"threads\": 0}"
'

test_expect_success 'a zombie nobody reaped (waitid WNOWAIT does not reap)' '
	leaky_log zombie zombie &&
	q zombie "[(c[\"state\"], c[\"cmdline\"]) for c in of(\"leaked_child\")] == [(\"zombie\", [])]" &&
	q zombie "\"leak_zombie_child\" in syms(of(\"leaked_child\")[0][\"backtrace\"])"
'

# A fork keeps a copy of its registers and stack top, unwound only for a
# child still there when the leaks are reported (forkstack.c); a program
# with a signal handler unwinds at the fork, as it has libunwind loaded.
test_expect_success 'a process that forks and reaps maps no libunwind' '
	preload "$LEAKY" reaped-maps >maps &&
	grep libflaketrap.so maps &&
	! grep libunwind maps
'

# The 4,096 slots: each reaped child gives its back; with all of them
# held, a fork unwinds at once.
test_expect_success 'forks reaped past the slots: still no libunwind mapped' '
	preload "$LEAKY" reaped-past-slots-maps >maps &&
	grep libflaketrap.so maps &&
	! grep libunwind maps
'

# Without a log: libunwind is first loaded by that fork.
test_expect_success 'every slot held (4,096 zombies): the next fork has its frames' '
	preload "$LEAKY" child-past-slots 2>err &&
	grep "left 1 child" err &&
	grep -A3 "created at:" err >frames &&
	grep "#0 .* leak_child_running" frames &&
	grep "#1 .* child_past_slots" frames
'

test_expect_success 'a test that leaks a child, without a log: its end unwinds nothing (no libunwind mapped)' '
	preload "$LEAKY" test-leak-maps >maps &&
	grep libflaketrap.so maps &&
	! grep libunwind maps
'

test_expect_success 'a child forked by another thread: the frames of its stack' '
	leaky_log thrfork child-from-thread &&
	q thrfork "syms(of(\"leaked_child\")[0][\"backtrace\"])[:2] == [\"leak_child_running\", \"fork_from_thread\"]"
'

# One walk at a time (forkstack.c's walk_busy): each takes its turn.
test_expect_success 'two children left: the frames of each' '
	leaky_log two two-children-running &&
	q two "[syms(c[\"backtrace\"])[:2] for c in of(\"leaked_child\")] == [[\"leak_child_running\", \"scenario\"]] * 2"
'

# process_vm_readv stops at the first page that is not there.
test_expect_success 'a fork by a thread whose stack ends 8 KiB above: its frames' '
	leaky_log small child-from-small-stack &&
	q small "syms(of(\"leaked_child\")[0][\"backtrace\"])[:2] == [\"leak_child_running\", \"fork_from_thread\"]"
'

# The frames beyond the copy are not read from the live stack, which has
# moved on since (docs/leaks.md: the innermost ones).
test_expect_success 'a fork below a 16 KiB frame: the frames the copy holds, no more' '
	leaky_log big child-below-big-frame &&
	q big "syms(of(\"leaked_child\")[0][\"backtrace\"]) == [\"leak_child_running\", \"fork_below_big_frame\"]"
'

# The walk lists the modules again when one was loaded since the last.
test_expect_success 'a fork below a library loaded after a first walk: its frames' '
	leaky_log inlib child-in-library-after-walk &&
	q inlib "[\"leak_child_running\", \"fork_in_library\", \"child_in_library_after_walk\"] in [syms(c[\"backtrace\"])[:3] for c in of(\"leaked_child\")]"
'

for s in child-then-handler handler-then-child; do
	test_expect_success "$s: the frames of the fork" '
		leaky_log $s $s &&
		q $s "syms(of(\"leaked_child\")[0][\"backtrace\"])[:2] == [\"leak_child_running\", \"scenario\"]"
	'
done

test_expect_success 'without a log: the frames of the fork on stderr' '
	preload "$LEAKY" child-running 2>err &&
	grep -A2 "created at:" err >frames &&
	grep "leak_child_running" frames
'

# Only fork copies its stack: vfork still loads libunwind and walks at once.
test_expect_success 'vfork without a log: the frames of the vfork on stderr' '
	preload "$LEAKY" vfork >out 2>err &&
	grep -A2 "created at:" err >frames &&
	grep vfork_and_exec frames
'

if "$LEAKY" seccomp-probe 2>/dev/null; then
	test_set_prereq SECCOMP
else
	test_missing_prereq SECCOMP "seccomp filters refused here"
fi

# The main thread's stack is copied without it: only another thread's
# fork meets the refusal.
test_expect_success SECCOMP 'process_vm_readv refused (seccomp): a main thread fork has its frames' '
	leaky_log seccomp child-seccomp &&
	q seccomp "syms(of(\"leaked_child\")[0][\"backtrace\"])[:2] == [\"leak_child_running\", \"scenario\"]"
'

test_expect_success SECCOMP 'process_vm_readv refused (seccomp): another thread unwinds its fork at once' '
	leaky_log seccompthr child-seccomp-thread &&
	q seccompthr "syms(of(\"leaked_child\")[0][\"backtrace\"])[:2] == [\"leak_child_running\", \"fork_from_thread\"]"
'

for s in reaped wait-each-way thread-joined detached-attr detached-self \
	 detached-after cancelled-joined tryjoin timedjoin clockjoin \
	 pool-atexit pool-destructor pool-in-library sigchld-ignored nocldwait \
	 popen-closed system timer-thread clean; do
	test_expect_success "$s: nothing reported" '
		leaky_log $s $s &&
		q $s "of(\"leaked_child\") + of(\"leaked_thread\") == []" &&
		q $s "[e[\"leaks\"] for e in exits if e[\"pid\"] == root] == [{\"children\": 0, \"threads\": 0}]"
	'
done

# The end of a process with nothing to report looks nothing up in /proc
# (which makes the kernel build the process's entries there, then take
# them down): seen through strace, where it is there and allowed.
if strace -f -o /dev/null true >/dev/null 2>&1; then
	test_set_prereq STRACE
else
	test_missing_prereq STRACE "strace missing or not allowed here (make deps)"
fi
for s in reaped thread-joined; do
	test_expect_success STRACE "$s: nothing read in /proc/self/task at the end (of the process or a fork child)" '
		preload strace -f -o $s.trace -e trace=stat,newfstatat,statx,openat "$LEAKY" $s >out 2>err &&
		test -s $s.trace &&
		! grep /proc/self/task $s.trace
	'
done

# The wrappers of fork, waitpid and pthread_create make no getpid in the
# calling process (ft_own_process_quick: a system call is 1-4 us on a VM):
# it makes those of a process that calls none of them. A thread we start
# makes one system call, the sigaltstack of its crash handler's stack: no
# gettid, none at its end.
own_calls () {
	"$PYTHON" - "$@" <<-\EOF
	import re, sys
	def calls(path):
	    by_pid, root = {}, None
	    for line in open(path):
	        m = re.match(r"(\d+) +(\w+)\(", line)
	        if m:
	            root = root or int(m.group(1))
	            by_pid.setdefault(int(m.group(1)), []).append(m.group(2))
	    return root, by_pid
	def ids(seq):
	    return [c for c in seq if c == "getpid"]
	root, made = calls(sys.argv[1])
	base_root, base = calls(sys.argv[2])
	print(ids(made[root]), ids(base[base_root]))
	if ids(made[root]) != ids(base[base_root]):
	    sys.exit(1)
	if sys.argv[3:] == ["thread"]:
	    others = [c for p, c in made.items() if p != root]
	    print(others)
	    sys.exit(0 if others and all(c.count("sigaltstack") == 1 and
	                                 "gettid" not in c for c in others) else 1)
	EOF
}
test_expect_success STRACE 'fork and waitpid: no getpid of ours in the parent' '
	preload strace -f -o clean.trace -e trace=getpid,gettid,sigaltstack "$LEAKY" clean >out 2>err &&
	preload strace -f -o reap.trace -e trace=getpid,gettid "$LEAKY" reaped >out 2>err &&
	own_calls reap.trace clean.trace
'
test_expect_success STRACE 'a thread made and joined: one sigaltstack, no gettid' '
	preload strace -f -o join.trace -e trace=getpid,gettid,sigaltstack "$LEAKY" thread-joined-quiet >out 2>err &&
	own_calls join.trace clean.trace thread
'

test_expect_success 'a running thread: start routine, creation, current stack' '
	leaky_log thr thread-running &&
	q thr "[(t[\"state\"], t[\"origin\"], t[\"detached\"]) for t in of(\"leaked_thread\")] == [(\"running\", \"pthread_create\", False)]" &&
	q thr "of(\"leaked_thread\")[0][\"start_routine\"][\"symbol\"] == \"block_in_distinct_worker\"" &&
	q thr "syms(of(\"leaked_thread\")[0][\"backtrace\"])[:2] == [\"start\", \"scenario\"]" &&
	q thr "\"block_in_distinct_worker\" in syms(of(\"leaked_thread\")[0][\"stack\"])" &&
	q thr "of(\"leaked_thread\")[0][\"tid\"] > 0 and of(\"leaked_thread\")[0][\"name\"] == \"leaky\""
'

test_expect_success 'a detached thread still running is a leak too' '
	leaky_log detrun detached-running &&
	q detrun "[(t[\"state\"], t[\"detached\"]) for t in of(\"leaked_thread\")] == [(\"running\", True)]"
'

for s in thread-unjoined pthread-exit-unjoined; do
	test_expect_success "$s: finished, never joined" '
		leaky_log $s $s &&
		q $s "[(t[\"state\"], \"stack\" in t) for t in of(\"leaked_thread\")] == [(\"finished\", False)]"
	'
done

test_expect_success 'a thread that blocks the stack signal: why its stack is missing' '
	leaky_log blk signals-blocked &&
	q blk "of(\"leaked_thread\")[0][\"stack_unavailable\"] == \"the thread blocks the stack signal\""
'

test_expect_success 'FLAKETRAP_STACK_SIGNAL=off: no stack, and why' '
	preload FLAKETRAP_LOG=nosig FLAKETRAP_STACK_SIGNAL=off "$LEAKY" thread-running &&
	q nosig "of(\"leaked_thread\")[0][\"stack_unavailable\"] == \"FLAKETRAP_STACK_SIGNAL=off\""
'

test_expect_success 'FLAKETRAP_STACK_TIMEOUT=0: no stack signal sent, and why' '
	preload FLAKETRAP_LOG=nowait FLAKETRAP_STACK_TIMEOUT=0 "$LEAKY" thread-running &&
	q nowait "of(\"leaked_thread\")[0][\"stack_unavailable\"] == \"FLAKETRAP_STACK_TIMEOUT=0\"" &&
	q nowait "of(\"leaked_thread\")[0][\"name\"] == \"leaky\""
'

test_expect_success 'another stack signal works the same' '
	preload FLAKETRAP_LOG=usr2 FLAKETRAP_STACK_SIGNAL=SIGUSR2 "$LEAKY" thread-running &&
	q usr2 "\"block_in_distinct_worker\" in syms(of(\"leaked_thread\")[0][\"stack\"])"
'

test_expect_success 'FLAKETRAP_BACKTRACE=0: no backtrace, still the leak' '
	preload FLAKETRAP_LOG=bt0 FLAKETRAP_BACKTRACE=0 "$LEAKY" child-running &&
	q bt0 "[\"backtrace\" in c for c in of(\"leaked_child\")] == [False]"
'

test_expect_success 'FLAKETRAP_BACKTRACE=2: two frames' '
	preload FLAKETRAP_LOG=bt2 FLAKETRAP_BACKTRACE=2 "$LEAKY" child-running &&
	q bt2 "syms(of(\"leaked_child\")[0][\"backtrace\"]) == [\"leak_child_running\", \"scenario\"]"
'

test_expect_success 'FLAKETRAP_LEAKS=threads or children: only that kind' '
	preload FLAKETRAP_LOG=onlyt FLAKETRAP_LEAKS=threads "$LEAKY" child-running &&
	q onlyt "of(\"leaked_child\") == []" &&
	preload FLAKETRAP_LOG=onlyc FLAKETRAP_LEAKS=children "$LEAKY" thread-running &&
	q onlyc "of(\"leaked_thread\") == []" &&
	preload FLAKETRAP_LOG=off FLAKETRAP_LEAKS=off "$LEAKY" child-running &&
	q off "of(\"leaked_child\") == [] and main_exit[\"leaks\"] == {\"children\": 0, \"threads\": 0}"
'

for end in exit _exit _Exit quick_exit term; do
	test_expect_success "the scan runs when the process ends by $end" '
		{ leaky_log end$end child-running $end || test $end = term; } &&
		q end$end "len(of(\"leaked_child\")) == 1 and main_exit[\"how\"] in (\"$end\", \"signal\")"
	'
done

# Our handler of a deadly signal reports without dlopen: the thread it
# interrupted may hold malloc's or the loader's lock.
test_expect_success 'ended by SIGTERM: our handler loads no libunwind for the copies' '
	{ preload FLAKETRAP_LOG=termload LD_DEBUG=files "$LEAKY" child-running term 2>dbg ||
	  test $? = 143; } &&
	q termload "len(of(\"leaked_child\")) == 1 and main_exit[\"how\"] == \"signal\"" &&
	! grep "libunwind-x86_64" dbg
'

test_expect_success 'posix_spawn and posix_spawnp children' '
	leaky_log sp posix-spawn &&
	q sp "[(c[\"origin\"], c[\"cmdline\"]) for c in of(\"leaked_child\")] == [(\"posix_spawn\", [\"cat\"])]" &&
	q sp "\"spawn_with_posix_spawn\" in syms(of(\"leaked_child\")[0][\"backtrace\"])" &&
	leaky_log spp posix-spawnp &&
	q spp "[c[\"origin\"] for c in of(\"leaked_child\")] == [\"posix_spawnp\"]"
'

test_expect_success 'vfork: the parent goes on, the child is recorded' '
	leaky_log vf vfork >out &&
	test "$(cat out)" = 1 &&
	q vf "[(c[\"origin\"], c[\"cmdline\"]) for c in of(\"leaked_child\")] == [(\"vfork\", [\"cat\"])]" &&
	q vf "syms(of(\"leaked_child\")[0][\"backtrace\"])[:2] == [\"vfork_and_exec\", \"scenario\"]"
'

test_expect_success 'popen: the child is recorded, pclose removes it' '
	leaky_log po popen &&
	q po "[(c[\"origin\"], c[\"cmdline\"]) for c in of(\"leaked_child\")] == [(\"popen\", [\"sh\", \"-c\", \"cat\"])]" &&
	q po "\"popen_never_closed\" in syms(of(\"leaked_child\")[0][\"backtrace\"])"
'

test_expect_success 'a child made by a raw clone: found, origin unknown' '
	leaky_log cl raw-clone &&
	q cl "[(c[\"origin\"], c[\"state\"], \"backtrace\" in c) for c in of(\"leaked_child\")] == [(\"unknown\", \"zombie\", False)]"
'

test_expect_success 'a child of _Fork (no wrapper saw it) owns its state: its leak is its own' '
	leaky_log uf underscore-fork >out &&
	child=$(sed -n "s/^child //p" out) &&
	q uf "[(t[\"pid\"], t[\"origin\"]) for t in of(\"leaked_thread\")] == [($child, \"pthread_create\")]" &&
	q uf "sorted((e[\"pid\"] == root, e[\"leaks\"][\"threads\"]) for e in exits) == [(False, 1), (True, 0)]"
'

test_expect_success '80 running threads made at one place: the names of the first 16 are read, and of a thread made elsewhere' '
	leaky_log names crowd &&
	q names "len(of(\"leaked_thread\")) == 81" &&
	q names "sum(\"name\" in t for t in of(\"leaked_thread\")) == 17" &&
	q names "all(t[\"name\"] == \"leaky\" for t in of(\"leaked_thread\") if \"name\" in t)" &&
	q names "[\"name\" in t for t in of(\"leaked_thread\") if t[\"start_routine\"][\"symbol\"] == \"block_in_second_worker\"] == [True]"
'

test_expect_success 'every stack asked (FLAKETRAP_STACKS_PER_SITE=0): every name told, by its stack signal' '
	FLAKETRAP_STACKS_PER_SITE=0 leaky_log allnames crowd &&
	q allnames "[\"name\" in t and \"stack\" in t for t in of(\"leaked_thread\")] == [True] * 81"
'

# Past 64 threads, the exit scan reads the lists of children of the
# threads that may have some (scan.c), not of every thread.
test_expect_success 'among 80 threads: the children of a thread, of an ended thread and of a raw clone are found' '
	leaky_log crowd children-in-crowd &&
	q crowd "sorted(c[\"origin\"] for c in of(\"leaked_child\")) == [\"fork\", \"fork\", \"unknown\"]"
'

# No record names the maker of a child of _Fork or forkpty: their
# wrappers say so, and the scan reads every thread's list (review of
# 9ceafd1, which missed them).
for s in underscore-fork forkpty; do
	test_expect_success "among 80 threads: the child of $s in a thread we started is found" '
		leaky_log $s-80 $s-in-crowd &&
		q $s-80 "[c[\"origin\"] for c in of(\"leaked_child\")] == [\"unknown\"]"
	'
done

test_expect_success 'among 80 threads, the first one gone: the child it left to another is found' '
	leaky_log gone first-thread-gone-in-crowd &&
	q gone "[c[\"origin\"] for c in of(\"leaked_child\")] == [\"fork\"]"
'

test_expect_success 'a thread no wrapper saw (a raw clone): origin unknown' '
	leaky_log rt raw-thread &&
	q rt "[(t[\"origin\"], t[\"state\"], \"backtrace\" in t) for t in of(\"leaked_thread\")] == [(\"unknown\", \"running\", False)]"
'

for s in poll-thread socket-thread; do
	test_expect_success "$s: left alone, since the stack signal would end its wait" '
		leaky_log $s $s &&
		q $s "[\"stack\" in t for t in of(\"leaked_thread\")] == [False]" &&
		q $s "\"would end with EINTR\" in of(\"leaked_thread\")[0][\"stack_unavailable\"]"
	'
done

test_expect_success 'threads reading two sockets with a timeout and one without: only that one is asked for its stack' '
	leaky_log sockets socket-threads &&
	q sockets "sorted(\"stack\" in t for t in of(\"leaked_thread\")) == [False, False, True]" &&
	q sockets "len([t for t in of(\"leaked_thread\") if \"would end with EINTR\" in t.get(\"stack_unavailable\", \"\")]) == 2"
'

test_expect_success 'two threads, stacks of one depth: each record has its own frames' '
	leaky_log two two-workers &&
	q two "sorted(t[\"start_routine\"][\"symbol\"] for t in of(\"leaked_thread\")) == [\"block_in_distinct_worker\", \"block_in_second_worker\"]" &&
	q two "all(t[\"start_routine\"][\"symbol\"] in [f.get(\"symbol\") for f in t[\"stack\"]] for t in of(\"leaked_thread\"))" &&
	q two "len(set(str(t[\"backtrace\"]) for t in of(\"leaked_thread\"))) == 2"
'

# stacks LOG: per start routine, (threads, those with a current stack).
stacks () {
	"$PYTHON" - "$1" <<-\EOF
	import json, glob, sys
	got = {}
	for name in glob.glob(sys.argv[1] + "/*.jsonl"):
	    for line in open(name):
	        r = json.loads(line)
	        if r["event"] == "leaked_thread":
	            n = got.setdefault(r["start_routine"]["symbol"], [0, 0])
	            n[0] += 1
	            n[1] += "stack" in r
	            assert "stack" in r or "FLAKETRAP_STACKS_PER_SITE" in r["stack_unavailable"], r
	print(sorted(got.items()))
	EOF
}

test_expect_success 'a pool of 12 made at one place: 8 current stacks (FLAKETRAP_STACKS_PER_SITE), one place of its own still asked' '
	leaky_log pool pool-of-12 &&
	test "$(stacks pool)" = "[('"'"'block_in_distinct_worker'"'"', [12, 8]), ('"'"'block_in_second_worker'"'"', [1, 1])]" &&
	preload FLAKETRAP_LOG=pool1 FLAKETRAP_STACKS_PER_SITE=1 "$LEAKY" pool-of-12 &&
	test "$(stacks pool1)" = "[('"'"'block_in_distinct_worker'"'"', [12, 1]), ('"'"'block_in_second_worker'"'"', [1, 1])]" &&
	preload FLAKETRAP_LOG=pool0 FLAKETRAP_STACKS_PER_SITE=0 "$LEAKY" pool-of-12 &&
	test "$(stacks pool0)" = "[('"'"'block_in_distinct_worker'"'"', [12, 12]), ('"'"'block_in_second_worker'"'"', [1, 1])]" &&
	"$FLAKETRAP" report pool >out &&
	grep -q "^  current stack of thread [0-9]*:" out
'

test_expect_success 'a record too long for 16 KiB: frames cut, still valid' '
	preload FLAKETRAP_LOG=deep FLAKETRAP_BACKTRACE=64 "$LEAKY" deep-stack &&
	q deep "[(len(t[\"backtrace\"]), t[\"truncated\"], 0 < len(t[\"stack\"]) < 64) for t in of(\"leaked_thread\")] == [(64, True, True)]"
'

# Under flaketrap run, a subreaper that returns only once every one of the
# 2000 has ended: none still writes its log when the scratch directory goes.
test_expect_success '2000 children left running: all 2000 reported' '
	$GUARD "$FLAKETRAP" run --log=many -- "$LEAKY" many-children 2>/dev/null &&
	q many "len(of(\"leaked_child\")) == 2000" &&
	q many "[e[\"leaks\"][\"children\"] for e in exits if e[\"pid\"] == root] == [2000]"
'

test_expect_success 'without a log: one block on stderr naming the function' '
	preload "$LEAKY" thread-running 2>err &&
	grep "^flaketrap: pid [0-9]* (.*leaky) left 0 children and 1 thread behind$" err &&
	grep "start routine .* block_in_distinct_worker+0x0 " err &&
	grep "current stack:" err &&
	grep "#[0-9] .* block_in_distinct_worker+" err
'

test_expect_success 'with a log: nothing at all on stdout or stderr' '
	preload FLAKETRAP_LOG=quiet "$LEAKY" thread-running >out 2>err &&
	test ! -s out && test ! -s err
'

test_expect_success 'without a log: fd 2 reused for the program'"'"'s data gets none of our lines' '
	preload "$LEAKY" reuse-stderr 2>err &&
	test "$(cat data)" = data &&
	test ! -s err &&
	preload "$LEAKY" child-running 2>err &&
	grep -q "left 1 child and 0 threads behind" err
'

test_expect_success 'every descriptor taken: the program unchanged, the report right, the loss said' '
	preload "$LEAKY" fds-exhausted >out 2>err &&
	test "$(cat out)" = "descriptors exhausted" &&
	grep -q "left 2 children and 1 thread behind" err &&
	grep -q "^  child [0-9]* running, made by fork" err &&
	grep -q "^  child [0-9]* zombie, made by fork" err &&
	grep -q "^  thread [0-9]* .* running, start routine" err &&
	preload FLAKETRAP_LOG=fdl "$LEAKY" fds-exhausted >out 2>err &&
	test "$(cat out)" = "descriptors exhausted" &&
	test "$(grep -c "^flaketrap: cannot write the log .*/leaky\.[0-9]*\.jsonl: Too many open files; records of this process are lost$" err)" = 1
'

"$HELPERS/uring" >uring.out 2>&1
case $? in
0) test_set_prereq IO_URING ;;
*) test_missing_prereq IO_URING "$(head -n 1 uring.out)" ;;
esac

# A stack request to them would wait out FLAKETRAP_STACK_TIMEOUT (300 s
# here: the hang guard would end the test first).
test_expect_success IO_URING 'io_uring'"'"'s kernel workers are no leak, and no stack is asked of them' '
	test "$(cat uring.out)" = "workers 2" &&
	preload "$HELPERS/uring" >out 2>err &&
	test "$(cat out)" = "workers 2" && test ! -s err &&
	preload FLAKETRAP_LOG=uring FLAKETRAP_STACK_TIMEOUT=300s "$HELPERS/uring" >out 2>err &&
	test "$(cat out)" = "workers 2" &&
	q uring "of(\"leaked_thread\") == [] and main_exit[\"leaks\"] == {\"children\": 0, \"threads\": 0}"
'

test_expect_success 'nothing left behind: nothing on stderr' '
	preload "$LEAKY" clean >out 2>err &&
	test "$(cat out)" = "nothing left behind" && test ! -s err
'

test_expect_success 'a crash: record with the faulting function, then the same death' '
	test_expect_code 139 preload FLAKETRAP_LOG=crash "$LEAKY" crash &&
	q crash "[(c[\"signal_name\"], c[\"addr\"], c[\"exiting\"]) for c in of(\"crash\")] == [(\"SIGSEGV\", \"0x0\", False)]" &&
	q crash "syms(of(\"crash\")[0][\"backtrace\"])[:2] == [\"crash_here\", \"scenario\"]" &&
	q crash "(main_exit[\"how\"], main_exit[\"signal\"]) == (\"signal\", 11)"
'

# Our handler runs on an alternate stack: an overflowed one has no room.
test_expect_success 'a stack overflow: a crash record, in main and in a thread' '
	test_expect_code 139 preload FLAKETRAP_LOG=overflow "$LEAKY" overflow &&
	q overflow "[c[\"signal_name\"] for c in of(\"crash\")] == [\"SIGSEGV\"]" &&
	q overflow "\"overflow_stack\" in syms(of(\"crash\")[0][\"backtrace\"])" &&
	test_expect_code 139 preload FLAKETRAP_LOG=overflow-t "$LEAKY" overflow-thread &&
	q overflow-t "[c[\"signal_name\"] for c in of(\"crash\")] == [\"SIGSEGV\"]" &&
	q overflow-t "\"overflow_stack\" in syms(of(\"crash\")[0][\"backtrace\"])"
'

# A thread's alternate stack goes back with its record once the thread is
# gone (joined or detached): after more threads than the pool has slots,
# a thread that overflows still has one for the crash record.
test_expect_success 'a stack overflow after 34000 threads: still a crash record' '
	test_expect_code 139 preload FLAKETRAP_LOG=overflow-many "$LEAKY" \
		overflow-after-many >out &&
	grep "^34000 threads made$" out &&
	q overflow-many "[c[\"signal_name\"] for c in of(\"crash\")] == [\"SIGSEGV\"]" &&
	q overflow-many "\"overflow_stack\" in syms(of(\"crash\")[0][\"backtrace\"])"
'

test_expect_success 'a SIGSEGV handler of the program wins: no crash record' '
	test_expect_code 7 preload FLAKETRAP_LOG=handled "$LEAKY" crash-handled &&
	q handled "of(\"crash\") == [] and main_exit[\"status\"] == 7"
'

test_expect_success 'a crash at exit says so' '
	test_expect_code 139 preload FLAKETRAP_LOG=crashx "$LEAKY" crash-at-exit &&
	q crashx "[c[\"exiting\"] for c in of(\"crash\")] == [True]"
'

test_expect_success 'abort: a crash record, then death by SIGABRT' '
	test_expect_code 134 preload FLAKETRAP_LOG=abrt "$LEAKY" abort &&
	q abrt "[(c[\"signal\"], \"addr\" in c) for c in of(\"crash\")] == [(6, False)] and \"abort\" in syms(of(\"crash\")[0][\"backtrace\"])"
'

# Without a log, nothing loads libunwind before the crash (no thread, no
# child, no sleep site): a copy of the process unwinds.
test_expect_success 'a crash without a log: a block on stderr, same death' '
	test_expect_code 139 preload "$LEAKY" crash 2>err &&
	grep "^flaketrap: pid [0-9]* (.*leaky) crashed: SIGSEGV at 0x0$" err &&
	grep "#0 .* crash_here+" err &&
	grep "#1 .* scenario+" err
'

test_expect_success 'libunwind is loaded lazily: not by a process that made no thread or child' '
	preload cat /proc/self/maps >maps &&
	grep libflaketrap.so maps &&
	! grep libunwind maps
'

# Another thread holds malloc's lock for good; with leak tracking off no
# creation backtrace loaded libunwind, so the unwinding copy of the process
# hangs in dlopen and is given up.
test_expect_success 'a crash whose unwinding would wait on a lock: the crash address alone, same death' '
	test_expect_code 139 preload FLAKETRAP_LEAKS=off "$LEAKY" crash-malloc-locked 2>err &&
	grep "crashed: SIGSEGV at 0x0$" err &&
	grep "#0 .* crash_here+" err &&
	! grep "#1 " err
'

test_expect_success 'the same crash once a thread was made with leak tracking: the whole stack' '
	test_expect_code 139 preload "$LEAKY" crash-malloc-locked 2>err &&
	grep "#1 .* crash_while_malloc_locked+" err
'

# (The shell itself reports the death on the function's stderr.)
test_expect_success 'FLAKETRAP_CRASH=off: no record, no handler, same death' '
	test_expect_code 139 preload FLAKETRAP_CRASH=off FLAKETRAP_LOG=nocrash "$LEAKY" crash 2>err &&
	! grep flaketrap err &&
	q nocrash "of(\"crash\") == [] and main_exit[\"signal\"] == 11"
'

test_expect_success 'flaketrap run --fail-on-leak: 3 on a real leak, with the summary' '
	test_expect_code 3 $GUARD "$FLAKETRAP" run --fail-on-leak -- "$LEAKY" thread-running 2>err &&
	grep "start routine block_in_distinct_worker" err &&
	grep "#[0-9] .* block_in_distinct_worker+0x[0-9a-f]* .* at .*leaky.c:[0-9]*$" err &&
	test_expect_code 0 $GUARD "$FLAKETRAP" run --fail-on-leak -- "$LEAKY" reaped 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^flaketrap: seed [0-9]*; [0-9]* process.* ended with the library: " err &&
	test_expect_code 3 $GUARD "$FLAKETRAP" run --fail-on-leak -- "$LEAKY" child-running 2>err &&
	grep "leak_child_running+0x[0-9a-f]* .* at .*leaky.c:[0-9]*$" err
'

test_expect_success 'flaketrap report groups the same leak made twice' '
	leaky_log twice1 zombie && leaky_log twice2 zombie &&
	$GUARD "$FLAKETRAP" report twice1 twice2 >rep &&
	grep "^leaked child x2, made by fork (2 processes, 2 runs)" rep &&
	grep "leak_zombie_child+0x[0-9a-f]* .* at .*leaky.c:[0-9]*$" rep
'

# Python: subprocess (vfork), multiprocessing (fork, ends in os._exit), threads.
pyleaky () {
	dir=$1
	shift
	preload FLAKETRAP_LOG="$dir" "$PYTHON" "$TEST_DIRECTORY/fixtures/leaky.py" "$@"
}

test_expect_success 'Python: a subprocess.Popen never waited' '
	pyleaky pop popen-never-waited &&
	q pop "[(c[\"origin\"], c[\"comm\"]) for c in of(\"leaked_child\")] == [(\"vfork\", \"cat\")]" &&
	q pop "len(of(\"leaked_child\")[0][\"backtrace\"]) > 3"
'

test_expect_success 'Python: a Popen waited for leaves nothing' '
	pyleaky popw popen-waited &&
	q popw "of(\"leaked_child\") == []"
'

test_expect_success 'Python: a daemon thread left running, created by PyThread_start_new_thread' '
	pyleaky pthr thread-running &&
	q pthr "[(t[\"state\"], t[\"origin\"]) for t in of(\"leaked_thread\")] == [(\"running\", \"pthread_create\")]" &&
	q pthr "\"PyThread_start_new_thread\" in syms(of(\"leaked_thread\")[0][\"backtrace\"])"
'

test_expect_success 'Python: a multiprocessing child ending in os._exit reports its thread' '
	pyleaky mp mp-os-exit &&
	q mp "[(e[\"how\"], e[\"leaks\"]) for e in exits if e[\"pid\"] != root] == [(\"_exit\", {\"children\": 0, \"threads\": 1})]" &&
	q mp "[t[\"pid\"] != root for t in of(\"leaked_thread\")] == [True]" &&
	q mp "of(\"leaked_child\") == []"
'

test_done
