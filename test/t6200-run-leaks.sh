#!/bin/sh
# flaketrap run and leaks: the temporary log of the whole tree, the summary
# after CMD, processes that outlive CMD (run is their subreaper), and
# --fail-on-leak.
. "$(dirname "$0")/lib.sh"

mkdir tmp
TMPDIR=$PWD/tmp
export TMPDIR

# sh -c "$LEAVE" HOLDER [ARG]: starts HOLDER in the background, waits until
# it runs (it says so through a FIFO), writes its pid to bg.pid, exits 0.
LEAVE='rm -f up && mkfifo up && { "$0" "$@" >up & } && echo $! >bg.pid && read x <up'

# gone PID...: none of these processes exists any more.
gone () {
	for p in "$@"; do
		if test -e /proc/$p; then
			echo "process $p is still there"
			return 1
		fi
	done
}

SRC=$ROOT/test/fixtures/fake-leak.c
leak_line=$(grep -n '/\* LEAK_HERE \*/' "$SRC" | cut -d: -f1)

# The one line run always prints: its seed and what the knobs did.
COUNTERS="^flaketrap: seed [0-9]*; [0-9]* process\(es\)\{0,1\} ended with the library: "

test_expect_success 'a clean command: its seed and counters alone, status 0, no log left' '
	$GUARD "$FLAKETRAP" run --fail-on-leak -- sh -c "true; true" >out 2>err &&
	test ! -s out && test "$(wc -l <err)" = 1 &&
	grep -q "${COUNTERS}no sleep; no delay$" err &&
	test -z "$(ls tmp)"
'

test_expect_success 'the counters line: sleeps changed, delays by kind; its seed replays' '
	$GUARD "$FLAKETRAP" run --fork-delay-parent=1ms -- sh -c "sleep 1; sleep 2; sleep 3 & wait" 2>err &&
	grep -q "${COUNTERS}3 of 3 sleeps changed (6 s asked, 3 ns slept); delays: [0-9]* fork_parent ([0-9.]* ms)$" err &&
	seed=$(sed -n "s/^flaketrap: seed \([0-9]*\);.*/\1/p" err) &&
	$GUARD "$FLAKETRAP" run --keep-log --sleep=0..1ms --seed=$seed -- sh -c "sleep 1; sleep 1" 2>err &&
	dir=$(sed -n "s/^flaketrap: the logs are kept in //p" err) &&
	$GUARD "$FLAKETRAP" run --keep-log --sleep=0..1ms --seed=$seed -- sh -c "sleep 1; sleep 1" 2>err2 &&
	dir2=$(sed -n "s/^flaketrap: the logs are kept in //p" err2) &&
	grep -h "\"event\":\"exit\"" "$dir"/sleep.*.jsonl | sed "s/.*slept_ns\":\([0-9]*\).*/\1/" | sort >a &&
	grep -h "\"event\":\"exit\"" "$dir2"/sleep.*.jsonl | sed "s/.*slept_ns\":\([0-9]*\).*/\1/" | sort >b &&
	test -s a && cmp a b &&
	rm -r "$dir" "$dir2"
'

test_expect_success 'CMD not found: 127, one message, no log left' '
	test_expect_code 127 $GUARD "$FLAKETRAP" run --fail-on-leak -- ./no-such-command 2>err &&
	test "$(cat err)" = "flaketrap: ./no-such-command: No such file or directory" &&
	test -z "$(ls tmp)"
'

test_expect_success '--keep-log keeps the temporary log and says where' '
	$GUARD "$FLAKETRAP" run --keep-log -- true 2>err &&
	dir=$(sed -n "s/^flaketrap: the logs are kept in //p" err) &&
	test "$(sed 1q err)" = "flaketrap: the logs are kept in $dir" &&
	test "$(wc -l <err)" = 2 && grep -q "$COUNTERS" err &&
	case $dir in "$PWD"/tmp/flaketrap.*) ;; *) false ;; esac &&
	test "$(logq "$dir" "len(starts) == 1 and starts[0][\"argv\"] == [\"true\"] and starts[0][\"config\"][\"log\"] == \"$dir\"")" = True &&
	rm -r "$dir"
'

test_expect_success 'a leak record in the tree: summary on stderr; --fail-on-leak gives 3' '
	write="env -u FLAKETRAP_LOG \"$FIXTURES/fake-leak\" >\"\$FLAKETRAP_LOG/x.1.jsonl\"" &&
	$GUARD "$FLAKETRAP" run -- sh -c "$write" >out 2>err &&
	test ! -s out &&
	grep -q "^flaketrap: 1 leak (1 child), no crash; " err &&
	grep -q "^leaked child x1, made by fork (1 process, 1 run)$" err &&
	grep -q "^    #0 0x[0-9a-f]* leak_here+0x[0-9a-f]* (.*) at $SRC:$leak_line$" err &&
	test -z "$(ls tmp)" &&
	# Every path printed exists: the removed log is not cited.
	! grep "jsonl" err &&
	grep -q "^flaketrap: the logs are removed (--keep-log keeps them)$" err &&
	$GUARD "$FLAKETRAP" run --keep-log -- sh -c "$write" 2>err &&
	dir=$(sed -n "s/^flaketrap: the logs are kept in //p" err) &&
	grep -q "(left by pid [0-9]* x; $dir/x.1.jsonl:1)$" err &&
	test -f "$dir/x.1.jsonl" && rm -r "$dir" &&
	test_expect_code 3 $GUARD "$FLAKETRAP" run --fail-on-leak -- sh -c "$write" 2>err &&
	grep -q "^leaked child x1" err &&
	test_expect_code 3 $GUARD "$FLAKETRAP" run --fail-env-changed -- sh -c "$write" 2>err
'

test_expect_success 'with leaks, a failing command keeps its own status' '
	write="env -u FLAKETRAP_LOG \"$FIXTURES/fake-leak\" >\"\$FLAKETRAP_LOG/x.1.jsonl\"" &&
	test_expect_code 5 $GUARD "$FLAKETRAP" run --fail-on-leak -- sh -c "$write; exit 5" 2>err &&
	grep -q "^leaked child x1" err &&
	test_expect_code 143 $GUARD "$FLAKETRAP" run --fail-on-leak -- sh -c "$write; kill -TERM \$\$" 2>err &&
	grep -q "^leaked child x1" err
'

test_expect_success 'a process that outlives CMD is listed, ended and reaped' '
	test_expect_code 0 $GUARD "$FLAKETRAP" run --grace=300s -- sh -c "$LEAVE" "$HELPERS/holder" 2>err &&
	bg=$(cat bg.pid) &&
	test "$(sed -n 1p err)" = "flaketrap: 1 process outlived the command, and was ended" &&
	grep -q "^  pid $bg [a-z-]*: $HELPERS/holder (ended by SIGTERM)$" err &&
	gone $bg &&
	test -z "$(ls tmp)" &&
	test_expect_code 3 $GUARD "$FLAKETRAP" run --grace=300s --fail-on-leak -- sh -c "$LEAVE" "$HELPERS/holder" 2>err &&
	gone $(cat bg.pid)
'

test_expect_success 'one that ignores SIGTERM gets SIGKILL after the grace' '
	$GUARD "$FLAKETRAP" run --grace=10ms -- sh -c "$LEAVE" "$HELPERS/holder" ignore-term 2>err &&
	bg=$(cat bg.pid) &&
	grep -q "^  pid $bg [a-z-]*: $HELPERS/holder ignore-term (SIGKILL: still there 10ms after SIGTERM)$" err &&
	gone $bg
'

test_expect_success 'a leftover named by a leaked_child record gets its creation backtrace' '
	mkdir kept &&
	cat >named.sh <<-\EOF &&
	rm -f up && mkfifo up && { "$1" >up & } && bg=$! && echo $bg >bg.pid && read x <up &&
	env -u FLAKETRAP_LOG "$2" | sed "s/\"child\":[0-9]*/\"child\":$bg/" >"$FLAKETRAP_LOG/x.1.jsonl"
	EOF
	test_expect_code 3 $GUARD "$FLAKETRAP" run --grace=300s --fail-on-leak --log=kept -- \
		sh named.sh "$HELPERS/holder" "$FIXTURES/fake-leak" 2>err &&
	bg=$(cat bg.pid) &&
	grep -q "^  pid $bg [a-z-]*: $HELPERS/holder (ended by SIGTERM)$" err &&
	grep -q "^    left by pid [0-9]* x, made by fork ($PWD/kept/x.1.jsonl:1):$" err &&
	grep -q "^      #0 0x[0-9a-f]* leak_here+0x[0-9a-f]* (.*) at $SRC:$leak_line$" err &&
	gone $bg &&
	test -f kept/x.1.jsonl
'

test_expect_success 'a whole leftover tree is ended, the stopped one too' '
	cat >tree.sh <<-\EOF &&
	rm -f up hold && mkfifo up hold && { "$1" 0<>hold >up & } && read pids <up && echo $pids >tree.pids
	EOF
	$GUARD "$FLAKETRAP" run --grace=300s -- sh tree.sh "$HELPERS/tree" 2>err &&
	set -- $(cat tree.pids) &&
	test "$(sed -n 1p err)" = "flaketrap: 4 processes outlived the command, and were ended" &&
	grep -q "^  pid [0-9]* [a-z-]*: $HELPERS/tree (ended by SIGTERM)$" err &&
	grep -q "^  pid $1 sleeping: cat - (ended by SIGTERM)$" err &&
	grep -q "^  pid $2 running: $HELPERS/tree (ended by SIGTERM)$" err &&
	grep -q "^  pid $3 stopped: $HELPERS/tree (ended by SIGTERM)$" err &&
	! grep -q "pid $4 " err &&
	gone "$@"
'

test_expect_success 'a bad --grace is refused before CMD runs' '
	test_expect_code 125 "$FLAKETRAP" run --grace=soon -- touch ran 2>err &&
	grep -q "^flaketrap run: --grace=soon: .*expected DUR" err &&
	test ! -e ran
'

test_expect_success '--log naming an existing file: 125 before CMD runs, nothing read' '
	printf "not a log\\n" >afile &&
	test_expect_code 125 $GUARD "$FLAKETRAP" run --log=afile -- \
		sh -c "echo ran >ran" 2>err &&
	test ! -e ran &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^flaketrap: --log=afile: .*Not a directory" err &&
	test_expect_code 125 $GUARD "$FLAKETRAP" loop -n 1 --out=o --log=afile -- \
		sh -c "echo ran >ran" 2>err &&
	test ! -e ran && test "$(wc -l <err)" = 1 &&
	test "$(cat afile)" = "not a log"
'

test_expect_success 'a reader gone before the summary: CMD'"'"'s status, no log left' '
	mkdir gone-tmp &&
	TMPDIR=$PWD/gone-tmp "$PYTHON" -c "
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
sys.exit(subprocess.call(sys.argv[1:], stdout=w, stderr=w))
" $GUARD "$FLAKETRAP" run --grace=10ms -- sh -c "$LEAVE" "$HELPERS/holder" &&
	test "$(ls -A gone-tmp)" = ""
'

test_expect_success 'a static program: 125 and why, unless --allow-unloaded' '
	test_expect_code 125 $GUARD "$FLAKETRAP" run -- "$FIXTURES/static-exit" 2>err &&
	test "$(cat err)" = "flaketrap run: $FIXTURES/static-exit: no process loaded the library (a static program, or LD_PRELOAD cleared): nothing was injected nor checked; --allow-unloaded lets such a run pass" &&
	test_expect_code 7 $GUARD "$FLAKETRAP" run --allow-unloaded -- "$FIXTURES/static-exit" 7 2>err &&
	test ! -s err &&
	test_expect_code 125 $GUARD "$FLAKETRAP" loop -n 3 --out=st -- "$FIXTURES/static-exit" >out 2>err &&
	grep -q "^flaketrap loop: $FIXTURES/static-exit: no process loaded the library" err &&
	$GUARD "$FLAKETRAP" loop -n 2 --out=st --allow-unloaded -- "$FIXTURES/static-exit" >out &&
	grep -q ": 2 passed, 0 failed" out
'

test_expect_success 'records that cannot be written: said on stderr, never a silent pass' '
	LD_PRELOAD="$LIB" FLAKETRAP_LOG=/proc/self /bin/true 2>err &&
	test "$(grep -c "cannot write the log" err)" = 1 &&
	grep -q "^flaketrap: cannot write the log /proc/self/true\.[0-9]*\.jsonl: .*; records of this process are lost$" err &&
	test_expect_code 125 $GUARD "$FLAKETRAP" run --fail-on-leak --log=/proc/self -- true 2>err &&
	grep -q "^flaketrap: --log=/proc/self: cannot write there: " err &&
	test_expect_code 125 $GUARD "$FLAKETRAP" loop -n 1 --out=lo --log=/proc/self -- true 2>err &&
	grep -q "^flaketrap loop: --log=/proc/self: cannot write there: " err
'

# A file size limit stands in for a full disk (mounting a small tmpfs
# needs privileges CI may not have): writes past it fail with EFBIG.
test_expect_success 'a file size limit: the program as without us, the loss marked, --fail-on-leak fails' '
	LIMITED="ulimit -f 1; exec \"$FIXTURES/leaky\" clean" &&
	preload FLAKETRAP_LOG="$PWD/fsz" sh -c "$LIMITED" >out 2>err &&
	test "$(cat out)" = "nothing left behind" &&
	grep -q "^flaketrap: cannot write the log $PWD/fsz/leaky\.[0-9]*\.jsonl: File too large; records of this process are lost$" err &&
	test -f fsz/leaky.*.lost &&
	test_expect_code 125 $GUARD "$FLAKETRAP" run --fail-on-leak --log=fsz2 -- sh -c "$LIMITED" >out 2>err &&
	test "$(cat out)" = "nothing left behind" &&
	grep -q "^flaketrap: .*/fsz2/leaky\.[0-9]*\.lost: this process could not write all its records" err &&
	grep -q "^flaketrap: records of 1 process were lost: --fail-on-leak cannot pass this run$" err &&
	$GUARD "$FLAKETRAP" run --log=fsz3 -- sh -c "$LIMITED" >out 2>err &&
	test_expect_code 1 $GUARD "$FLAKETRAP" loop -n 2 --out=lo --fail-on-leak -- sh -c "$LIMITED" >out 2>err &&
	grep -q ": 0 passed, 2 failed" out
'

test_expect_success 'a FIFO, a symbolic link or another user'"'"'s file planted at the log path: never blocks, never written' '
	mkdir planted && chmod 1777 planted &&
	$GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$PWD/planted" sh -c "mkfifo \"\$FLAKETRAP_LOG/true.\$\$.jsonl\" && exec /bin/true" 2>err &&
	grep -q "^flaketrap: cannot write the log $PWD/planted/true\.[0-9]*\.jsonl: No such device or address; records of this process are lost$" err &&
	rm -f planted/true.* &&
	# A symbolic link to a file of the victim'"'"'s: never followed.
	echo precious >victim &&
	$GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$PWD/planted" sh -c "ln -s \"$PWD/victim\" \"\$FLAKETRAP_LOG/true.\$\$.jsonl\" && exec /bin/true" 2>err &&
	grep -q "^flaketrap: cannot write the log $PWD/planted/true\.[0-9]*\.jsonl: Too many levels of symbolic links; records of this process are lost$" err &&
	test "$(cat victim)" = precious &&
	rm -f planted/true.* &&
	# Another user'"'"'s file: only root can make one here.
	if [ "$(id -u)" = 0 ]; then
		$GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$PWD/planted" sh -c "touch \"\$FLAKETRAP_LOG/true.\$\$.jsonl\" && chown nobody \"\$FLAKETRAP_LOG/true.\$\$.jsonl\" && exec /bin/true" 2>err &&
		grep -q "^flaketrap: cannot write the log $PWD/planted/true\.[0-9]*\.jsonl: not a regular file of this user; records of this process are lost$" err &&
		test ! -s planted/true.*.jsonl && test -f planted/true.*.lost
	fi
'

test_expect_success 'a log directory others may write to without the sticky bit: refused, 125' '
	mkdir open grp && chmod 777 open && chmod 775 grp &&
	for d in open grp; do
		test_expect_code 125 $GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$PWD/$d" /bin/true 2>err &&
		grep -q "^flaketrap: FLAKETRAP_LOG=.*$d.*: writable by group or others without the sticky bit: another user could plant files there" err &&
		test_expect_code 125 $GUARD "$FLAKETRAP" run --log=$d -- true 2>err &&
		grep -q "^flaketrap: --log=$d: writable by group or others without the sticky bit: " err &&
		test_expect_code 125 $GUARD "$FLAKETRAP" loop -n 1 --out=lo --log=$d -- true 2>err &&
		grep -q "^flaketrap loop: --log=$d: writable by group or others without the sticky bit: " err &&
		test -z "$(ls $d)" || return 1
	done
'

if [ "$(id -u)" = 0 ]; then
	test_set_prereq ROOT
else
	test_missing_prereq ROOT "only root can give a directory to another user"
fi

test_expect_success ROOT 'a log directory of another user: refused, 125' '
	mkdir theirs && chown nobody theirs && chmod 755 theirs &&
	test_expect_code 125 $GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$PWD/theirs" /bin/true 2>err &&
	grep -q "^flaketrap: FLAKETRAP_LOG=.*theirs.*: a directory of another user: " err &&
	test_expect_code 125 $GUARD "$FLAKETRAP" run --log=theirs -- true 2>err &&
	grep -q "^flaketrap: --log=theirs: a directory of another user: " err &&
	test -z "$(ls theirs)"
'

# subprocess's user=, a daemon that drops root: the run's private log
# directory is out of such a process's reach, by design.
test_expect_success ROOT 'a process of another user, the log out of its reach: goes on, quiet' '
	mkdir -p private/made && chmod 700 private &&
	for dir in "$PWD/private" "$PWD/private/made" "$PWD/private/new"; do
		$GUARD setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$dir" "$FIXTURES/leaky" child-running >out 2>err &&
		test ! -s err || { cat err; return 1; }
	done
'

test_expect_success 'logs are private: directories 0700, files 0600, unless the directory says otherwise' '
	$GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$PWD/priv/deeper" /bin/true &&
	test "$(stat -c %a priv priv/deeper)" = "700
700" &&
	test "$(stat -c %a priv/deeper/true.*.jsonl)" = 600 &&
	mkdir readable && chmod 755 readable &&
	$GUARD env LD_PRELOAD="$LIB" FLAKETRAP_LOG="$PWD/readable" /bin/true &&
	test "$(stat -c %a readable/true.*.jsonl)" = 644 &&
	$GUARD "$FLAKETRAP" run --keep-log --log=runlog -- true 2>err &&
	test "$(stat -c %a runlog)" = 700
'

test_expect_success 'loop refuses a --log directory that holds another loop'"'"'s runs' '
	$GUARD "$FLAKETRAP" loop -n 2 --out=lo --log=twice -- true >out &&
	test -d twice/run-2 &&
	test_expect_code 125 $GUARD "$FLAKETRAP" loop -n 2 --out=lo --log=twice -- true >out 2>err &&
	grep -q "^flaketrap loop: --log=twice already holds another loop.s runs" err
'

test_expect_success 'a --log directory with older records: only this run counts' '
	write="env -u FLAKETRAP_LOG \"$FIXTURES/fake-leak\" >>\"\$FLAKETRAP_LOG/x.1.jsonl\"" &&
	$GUARD "$FLAKETRAP" run --log=reused -- sh -c "$write" 2>err &&
	grep -q "^leaked child x1" err &&
	$GUARD "$FLAKETRAP" run --fail-on-leak --log=reused -- true 2>err &&
	test "$(wc -l <err)" = 1 && grep -q "$COUNTERS" err &&
	test_expect_code 3 $GUARD "$FLAKETRAP" run --fail-on-leak --log=reused -- sh -c "$write" 2>err &&
	grep -q "^leaked child x1, .*(1 process, 1 run)$" err &&
	grep -q "(left by pid [0-9]* x; $PWD/reused/x.1.jsonl:2)$" err &&
	! grep -q "x.1.jsonl:1)" err
'

test_expect_success 'a bad line in the run log is named; the status stays CMD'"'"'s' '
	$GUARD "$FLAKETRAP" run -- sh -c "echo \"{oops\" >\"\$FLAKETRAP_LOG/y.1.jsonl\"" 2>err &&
	grep -q "^flaketrap: .*/y.1.jsonl:1: invalid JSON: column 2: expected a member name, found .o.$" err
'

test_expect_success 'run --help documents the new options and status 3' '
	"$FLAKETRAP" run --help >out &&
	grep -q "^  --fail-on-leak, --fail-env-changed$" out &&
	grep -q "^  --keep-log$" out &&
	grep -q "^3 with --fail-on-leak when CMD exited 0 but leaked;$" out
'

# A program over io_uring (two reader threads, a poller and workers of
# the kernel's, one thread of its own left waiting): the same output
# under run, and its one real leak reported, the kernel's threads not.
URING_CAT=$FIXTURES/uring-cat
"$URING_CAT" "$URING_CAT" >uring.plain 2>&1
case $? in
0) test_set_prereq IO_URING ;;
*) test_missing_prereq IO_URING "$(head -n 1 uring.plain)" ;;
esac

test_expect_success IO_URING 'an io_uring program: same output, only its own thread reported' '
	grep -qx "io_uring threads at exit: poller yes, worker yes" uring.plain &&
	$GUARD "$FLAKETRAP" run --sleep=off --log ulog -- "$URING_CAT" "$URING_CAT" >out 2>err &&
	diff -u uring.plain out &&
	grep -q "^flaketrap: 1 leak (1 thread), no crash; 1 process in 1 run$" err &&
	grep -q "^leaked thread x1, made by pthread_create, start routine watch_control+0x0 " err &&
	! grep -q "iou-\|made by unknown" err &&
	test "$(logq ulog "[syms([r[\"start_routine\"]])[0] for r in of(\"leaked_thread\")]")" = \
		"['"'"'watch_control'"'"']"
'

test_done
