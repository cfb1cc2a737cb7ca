#!/bin/sh
# The exit record: every way a process ends, signals included, and the
# signal dispositions the program sees stay its own.
. "$(dirname "$0")/lib.sh"

# how_and_code DIR: "how code" of the one exit record in DIR.
how_and_code () {
	logq "$1" "exits[0][\"how\"] + \" \" + str(exits[0].get(\"status\", exits[0].get(\"signal\")))"
}

for way in exit _exit quick_exit return; do
	test_expect_success "$way 3: status 3 and one exit record" '
		test_expect_code 3 preload FLAKETRAP_LOG=$way "$HELPERS/raiser" $way 3 &&
		test "$(how_and_code $way)" = "$way 3" &&
		test "$(logq $way "len(exits), len(starts)")" = "(1, 1)"
	'
done

test_expect_success 'status is what the parent sees (low 8 bits)' '
	test_expect_code 1 preload FLAKETRAP_LOG=wrap "$HELPERS/raiser" exit 257 &&
	test "$(how_and_code wrap)" = "exit 1"
'

test_expect_success 'killed by SIGTERM: same death, and an exit record' '
	test_expect_code 143 preload FLAKETRAP_LOG=term "$HELPERS/raiser" term &&
	test "$(how_and_code term)" = "signal 15"
'

test_expect_success 'a real SIGSEGV: same death, and an exit record' '
	test_expect_code 139 preload FLAKETRAP_LOG=segv "$HELPERS/raiser" segv &&
	test "$(how_and_code segv)" = "signal 11"
'

test_expect_success 'a handler of the program wins over ours' '
	test_expect_code 7 preload FLAKETRAP_LOG=handled "$HELPERS/raiser" handled &&
	test "$(how_and_code handled)" = "exit 7"
'

# Both sides under the same hang guard: timeout(1) catches SIGHUP, so its
# child starts with SIGHUP at SIG_DFL even where the caller ignores it (a
# suite run under nohup), and the views would differ for that alone.
test_expect_success 'sigaction and signal report what the program set' '
	test_expect_code 129 $GUARD "$HELPERS/raiser" query >plain &&
	test_expect_code 129 preload FLAKETRAP_LOG=query "$HELPERS/raiser" query >got &&
	diff -u plain got &&
	test "$(how_and_code query)" = "signal 1"
'

test_expect_success 'without a log (crash handlers only) the views are the same' '
	test_expect_code 129 $GUARD "$HELPERS/raiser" query >plain &&
	test_expect_code 129 preload "$HELPERS/raiser" query >got &&
	diff -u plain got
'

test_expect_success 'python sees SIG_DFL where it was SIG_DFL' '
	cat >sigs.py <<-\EOF &&
	import signal
	for s in signal.Signals:
	    if s not in (signal.SIGKILL, signal.SIGSTOP):
	        print(s.name, signal.getsignal(s))
	EOF
	$GUARD "$PYTHON" sigs.py >plain &&
	FLAKETRAP_LOG=py preload "$PYTHON" sigs.py >got &&
	diff -u plain got && grep -q "^SIGHUP \(0\|Handlers.SIG_DFL\)$" got &&
	preload "$PYTHON" sigs.py >got-nolog &&
	diff -u plain got-nolog
'

test_expect_success 'a SIGKILLed process has no exit record (no handler can run)' '
	test_expect_code 137 preload FLAKETRAP_LOG=kill sh -c "kill -KILL \$\$" &&
	test "$(logq kill "len(starts), len(exits)")" = "(1, 0)"
'

test_expect_success 'a forked child gets its own start and exit records' '
	FLAKETRAP_LOG=fork preload "$PYTHON" -c "
import os
pid = os.fork()
if pid == 0:
    os._exit(4)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 4" &&
	test "$(logq fork "sorted(r[\"how\"] + str(r[\"status\"]) for r in exits) == [\"_exit4\", \"return0\"]")" = True &&
	test "$(logq fork "len(starts), len(set(r[\"pid\"] for r in starts))")" = "(2, 2)"
'

if strace -f -o /dev/null true >/dev/null 2>&1; then
	test_set_prereq STRACE
else
	test_missing_prereq STRACE "strace missing or not allowed here (make deps)"
fi

# A fork child that ends with nothing to report writes its start record
# as it ends, with its exit record: one write, to the file it inherited
# (its parent's), whose open is all it costs (a file's creation is most of
# what a log costs such a child). A child with more to say (a sleep site)
# gets a file of its own.
test_expect_success STRACE 'a fork child with nothing to report: its two records in one write to its parent'"'"'s file' '
	FLAKETRAP_LOG=once preload strace -f -o once.trace \
		-e trace=openat,write "$PYTHON" -c "
import os
pid = os.fork()
if pid == 0:
    os._exit(4)
os.waitpid(pid, 0)" &&
	child=$(logq once "[r[\"pid\"] for r in exits if r[\"how\"] == \"_exit\"][0]") &&
	parent=$(logq once "[r[\"ppid\"] for r in starts if r[\"pid\"] == $child][0]") &&
	file=$(basename "$PYTHON").$parent.jsonl &&
	test "$(logq once "[(r[\"event\"], r[\"_file\"]) for r in recs if r[\"pid\"] == $child] == [(\"start\", \"$file\"), (\"exit\", \"$file\")]")" = True &&
	test "$(logq once "[r[\"status\"] for r in exits if r[\"pid\"] == $child]")" = "[4]" &&
	! ls once | grep "\.$child\." &&
	test "$(grep -c "^$child  *openat(.*/once/" once.trace)" = 1 &&
	test "$(grep -c "^$child  *write(" once.trace)" = 1
'

# Its parent's file gone, or under a file size limit (where records that
# no longer fit in the parent's file may still fit in a new one): a file
# of its own.
test_expect_success 'a fork child with nothing to report: its own file when its parent'"'"'s is gone, or with ulimit -f' '
	FLAKETRAP_LOG=gone preload "$PYTHON" -c "
import glob, os, resource
mine = glob.glob(\"gone/*.%d.jsonl\" % os.getpid())[0]
os.remove(mine)
if os.fork() == 0:
    os._exit(0)
os.wait()
open(mine, \"w\").close()
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 30, 1 << 30))
if os.fork() == 0:
    os._exit(0)
os.wait()" &&
	test "$(logq gone "sorted((r[\"event\"], r[\"_file\"] == \"python3.%d.jsonl\" % r[\"pid\"]) for r in recs)")" = "[('"'"'exit'"'"', True), ('"'"'exit'"'"', True), ('"'"'exit'"'"', True), ('"'"'start'"'"', True), ('"'"'start'"'"', True)]"
'

# The config text is rendered once per image and kept for its fork
# children: on ft_process's page, or, too long for it (a long log
# directory), in a mapping of its own.
test_expect_success 'a fork child'"'"'s start record has its parent'"'"'s config' '
	long=$(printf "%0200d" 0)/$(printf "%0200d" 0) &&
	mkdir -p "$long" &&
	for dir in cfg "$PWD/$long/cfg"; do
		FLAKETRAP_LOG=$dir FLAKETRAP_SLEEP_SKIP="nothing_*" preload "$PYTHON" -c "
import os
if os.fork() == 0:
    os._exit(0)
os.wait()" &&
		test "$(logq "$dir" "len(starts) == 2 and starts[0][\"config\"] == starts[1][\"config\"] and starts[0][\"config\"][\"sleep_skip\"]")" = "nothing_*" || return 1
	done &&
	test "$(logq "$PWD/$long/cfg" "len(str(starts[0][\"config\"])) > 700")" = True
'

# The child's sleep is the subject, not a wait: a process with a sleep site
# to write has more than its start and exit records; the library shrinks it.
test_expect_success 'a fork child that slept gets its own file' '
	FLAKETRAP_LOG=own preload "$PYTHON" -c "
import os, time
pid = os.fork()
if pid == 0:
    time.sleep(3600)
    os._exit(0)
os.waitpid(pid, 0)" &&
	{ test "$(logq own "sorted(set((r[\"pid\"] == root, r[\"_file\"] == \"python3.%d.jsonl\" % r[\"pid\"]) for r in recs))")" = "[(False, True), (True, True)]" &&
	test "$(logq own "len(of(\"sleep_sites\")), len(starts), len(exits)")" = "(1, 2, 2)" &&
	test "$(logq own "sum(e[\"counters\"][\"sleeps_changed\"] for e in exits)")" = 1; } ||
	{ head -c 2000 own/*; return 1; }
'

for shape in alias view vfork vforkkill rawfork smallstack; do
	test_expect_success "same output with and without the library: $shape" '
		$GUARD "$HELPERS/procs" $shape >plain &&
		preload FLAKETRAP_LOG=$shape "$HELPERS/procs" $shape >got &&
		diff -u plain got
	'
done

test_expect_success 'int3 still kills, with SIGTRAP' '
	test_expect_code 133 preload FLAKETRAP_LOG=trap "$HELPERS/procs" trap >out &&
	test ! -s out && test "$(how_and_code trap)" = "signal 5"
'

test_expect_success 'children that no atfork handler saw log on their own' '
	test "$(logq rawfork "sorted(e[\"status\"] for e in exits)")" = "[0, 7]" &&
	test "$(logq smallstack "sorted(e[\"status\"] for e in exits)")" = "[0, 7]"
'

test_expect_success 'a vfork child logs nothing in its parent'"'"'s name' '
	test "$(logq vfork "sorted(s[\"argv\"][0] for s in starts) == sorted([\"true\", \"$HELPERS/procs\"]) and len(exits) == 2")" = True
'

test_expect_success 'a program renaming argv[0] keeps one log file' '
	preload FLAKETRAP_LOG=rename "$HELPERS/procs" rename &&
	test "$(logq rename "len(set(r[\"_file\"] for r in recs)), len(recs)")" = "(1, 2)"
'

test_expect_success 'an argv that fills a record gives valid, marked JSON' '
	big=$("$PYTHON" -c "print(\"a\" * 16300)") &&
	preload FLAKETRAP_LOG=big /bin/true "$big" &&
	preload FLAKETRAP_LOG=big2 /bin/true "${big}bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" &&
	test "$(logq big "len(recs)")" = 2 &&
	test "$(logq big2 "len(recs), starts[0].get(\"truncated\"), \"argv\" in starts[0]")" = "(2, True, False)"
'

test_done
