#!/bin/sh
# flaketrap loop: runs, seeds, kept failing runs and their reproduce.sh,
# exit statuses, --json, --timeout (stacks on request), --load, Ctrl-C, bad
# input.
. "$(dirname "$0")/lib.sh"

mkdir tmp
TMPDIR=$PWD/tmp
export TMPDIR

# gone PID...: none of these processes exists any more.
gone () {
	for p in "$@"; do
		if test -e /proc/$p; then
			echo "process $p is still there: $(cat /proc/$p/cmdline | tr '\0' ' ')"
			return 1
		fi
	done
}

# seed BASE I: run I's seed of base seed BASE, as the loop derives it.
seed () {
	"$PYTHON" -c '
import sys
M = (1 << 64) - 1
z = (int(sys.argv[1]) + int(sys.argv[2]) * 0x9e3779b97f4a7c15) & M
z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
print(z ^ (z >> 31))' "$@"
}

# first_fail BASE: the first run of base seed BASE whose seed ends in 0.
first_fail () {
	i=1
	until case $(seed "$1" $i) in *0) true ;; *) false ;; esac; do
		i=$((i + 1))
	done
	echo $i
}

# jq-like: jget FILE EXPR, EXPR in Python over `d`, the JSON document.
jget () {
	"$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

test_expect_success 'loop --help: its options, and names every option of run' '
	"$FLAKETRAP" loop --help >out &&
	for opt in "-n, --runs" --forever "-j, --jobs" --until-fail \
		--keep-going --timeout= --load= --out= --json; do
		grep -q -- "^  $opt" out || { echo "no $opt"; return 1; }
	done &&
	"$FLAKETRAP" run --help | sed -n "s/^  \(--[a-z-]*\).*/\1/p" >run-opts &&
	test "$(wc -l <run-opts)" -ge 10 &&
	sed -n "/^Every option of flaketrap run/,/^\$/p" out | tr " " "\n" >names &&
	grep -q "(flaketrap run --help says what each does" out &&
	while read opt; do
		grep -qx -- "$opt" names || { echo "loop lacks $opt"; return 1; }
	done <run-opts &&
	"$FLAKETRAP" --help | grep -q "^  loop "
'

test_expect_success 'docs/commands.md documents every option of loop and bisect' '
	knobs=$(sed -n "s/^FT_KNOB([a-z_]*, \"\([A-Z_]*\)\".*/--\1/p" "$ROOT/preload/config.def" |
		tr "A-Z_" "a-z-") &&
	for cmd in loop bisect; do
		"$FLAKETRAP" $cmd --help | sed -n "s/^  \(-., \)\{0,1\}\(--[a-z-]*\).*/\2/p" >opts &&
		test "$(wc -l <opts)" -ge 8 &&
		while read opt; do
			case " --help --version $(echo $knobs) " in
			*" $opt "*) continue ;; esac
			grep -q -- "\`$opt" "$ROOT/docs/commands.md" || {
				echo "docs/commands.md lacks $cmd $opt"; return 1; }
		done <opts || return 1
	done
'

test_expect_success 'every run passes: status 0, nothing kept' '
	$GUARD "$FLAKETRAP" loop -n 20 -j 2 --out=runs -- true >out 2>err &&
	grep -q "^flaketrap loop: 20 runs in .*: 20 passed, 0 failed" out &&
	grep -q "^flaketrap loop: base seed [0-9]" out &&
	test -d runs && test -z "$(ls -A runs)"
'

test_expect_success 'options of run reach each run: knobs in the environment, under the library' '
	$GUARD "$FLAKETRAP" loop -n 2 -j 1 --sleep=x2 --sleep-min=1ms --out=runs -- \
		sh -c "echo \$FLAKETRAP_SLEEP \$FLAKETRAP_SLEEP_MIN \$LD_PRELOAD >>got" >out &&
	test "$(sort -u got)" = "x2 1ms $(readlink -f "$LIB")"
'

test_expect_success 'each run has its own seed, derived from the base seed' '
	$GUARD "$FLAKETRAP" loop -n 3 -j 1 --seed=42 --out=runs -- \
		sh -c "echo \$FLAKETRAP_SEED >>seeds" >out &&
	printf "%s\n%s\n%s\n" "$(seed 42 1)" "$(seed 42 2)" "$(seed 42 3)" >want &&
	cmp want seeds
'

test_expect_success 'one run in ten fails by its seed: --until-fail stops at the first' '
	first=$(first_fail 3) &&
	test "$first" -gt 1 &&
	test_expect_code 1 $GUARD "$FLAKETRAP" loop --until-fail -j 1 --seed=3 \
		--out=runs -- "$FIXTURES/seeded-fail" >out 2>err &&
	grep -q "^flaketrap loop: $first runs\{0,1\} in .*: $((first - 1)) passed, 1 failed (exit 1: 1)" out &&
	test "$(ls runs | wc -l)" = 1 &&
	dir=runs/$(ls runs) &&
	test "$(cat $dir/seed)" = "$(seed 3 $first)" &&
	case $dir in runs/run-$first.seed-$(seed 3 $first)) ;; *) false ;; esac &&
	grep -q "^unlucky seed $(seed 3 $first)$" $dir/stderr &&
	grep -q "^first failure: run $first, seed $(seed 3 $first): exit 1; replay with $PWD/$dir/reproduce.sh" out &&
	# The failing run says what it printed last.
	grep -A1 "^run $first (seed $(seed 3 $first)): exit 1; kept in " out >line &&
	test "$(sed -n 2p line)" = "  | unlucky seed $(seed 3 $first)"
'

test_expect_success 'reproduce.sh holds the seed and every knob, and fails again' '
	dir=runs/$(ls runs) &&
	for name in $(sed -n "s/^FT_KNOB([a-z_]*, \"\([A-Z_]*\)\".*/\1/p" "$ROOT/preload/config.def"); do
		# An unset pattern knob has no value to give.
		case $name in LOG|SLEEP_ONLY|SLEEP_SKIP|SLEEP_WRAPPERS|CHAOS_ONLY|CHAOS_SKIP) continue ;; esac
		grep -q "^	FLAKETRAP_$name=" $dir/reproduce.sh || { echo "no $name"; return 1; }
	done &&
	grep -q "FLAKETRAP_SEED=.$(cat $dir/seed)." $dir/reproduce.sh &&
	(cd / && test_expect_code 1 $GUARD sh "$OLDPWD/$dir/reproduce.sh" 2>"$OLDPWD/rerun.err") &&
	grep -q "^unlucky seed $(cat $dir/seed)$" rerun.err
'

test_expect_success 'with -j 2, --until-fail also stops at a failure that replays' '
	test_expect_code 1 $GUARD "$FLAKETRAP" loop --until-fail -j 2 --seed=4 \
		--out=runs2 -- "$FIXTURES/seeded-fail" >out &&
	test "$(ls runs2 | wc -l)" = 1 &&
	dir=runs2/$(ls runs2) &&
	grep -q "0$" $dir/seed &&
	test_expect_code 1 $GUARD "$dir/reproduce.sh" 2>/dev/null
'

test_expect_success '--keep-going runs them all; failures by status in --json' '
	test_expect_code 1 $GUARD "$FLAKETRAP" loop -n 30 -j 2 --seed=5 --json \
		--out=runs3 -- "$FIXTURES/seeded-fail" >sum.json 2>err &&
	fails=0 && i=1 && while [ $i -le 30 ]; do
		case $(seed 5 $i) in *0) fails=$((fails + 1)) ;; esac; i=$((i + 1))
	done &&
	test "$fails" -ge 1 &&
	test "$(jget sum.json "d[\"runs\"], d[\"passed\"], d[\"failed\"], d[\"timed_out\"], d[\"exit_status\"]")" = "(30, $((30 - fails)), $fails, 0, 1)" &&
	test "$(jget sum.json "d[\"by_result\"]")" = "{'"'"'exit 1'"'"': $fails}" &&
	test "$(jget sum.json "d[\"base_seed\"]")" = 5 &&
	test "$(ls runs3 | wc -l)" = "$fails" &&
	grep -q "^flaketrap loop: 30 runs" err
'

# A command whose tree logs a leak: the fake-leak fixture's record.
LEAK='env -u FLAKETRAP_LOG "$0" >"$FLAKETRAP_LOG/x.1.jsonl"'

test_expect_success 'leaks: counted; status 3 with --fail-on-leak, else 0' '
	$GUARD "$FLAKETRAP" loop -n 3 -j 1 --json --out=runs4 -- \
		sh -c "$LEAK" "$FIXTURES/fake-leak" >sum.json 2>err &&
	test "$(jget sum.json "d[\"runs\"], d[\"passed\"], d[\"leaked\"], d[\"exit_status\"]")" = "(3, 3, 3, 0)" &&
	test -z "$(ls runs4)" &&
	test_expect_code 3 $GUARD "$FLAKETRAP" loop -n 3 -j 1 --json --fail-on-leak \
		--out=runs5 -- sh -c "$LEAK" "$FIXTURES/fake-leak" >sum.json 2>err &&
	test "$(jget sum.json "d[\"runs\"], d[\"passed\"], d[\"failed\"], d[\"leak_failed\"], d[\"exit_status\"]")" = "(3, 0, 3, 3, 3)" &&
	dir=runs5/$(ls runs5 | head -n 1) &&
	grep -q "^leaked child x1" $dir/flaketrap.txt &&
	grep -q " run .--fail-on-leak. \"\$@\" --" $dir/reproduce.sh &&
	test_expect_code 3 $GUARD sh $dir/reproduce.sh 2>/dev/null
'

test_expect_success 'a failure and a leak: status 1' '
	test_expect_code 1 $GUARD "$FLAKETRAP" loop -n 2 -j 1 --fail-on-leak --out=runs6 -- \
		sh -c "$LEAK; test -e once || { touch once; exit 0; }; exit 7" "$FIXTURES/fake-leak" >out &&
	grep -q "2 failed (leaked: 1, exit 7: 1)" out
'

test_expect_success '--max-kept: later failing runs are counted, not kept' '
	test_expect_code 1 $GUARD "$FLAKETRAP" loop -n 5 -j 1 --max-kept=2 \
		--out=capped -- sh -c "echo boom >&2; exit 1" >out 2>&1 &&
	test "$(ls capped | wc -l)" = 2 &&
	test "$(grep -c "; not kept (--max-kept reached)$" out)" = 3 &&
	test "$(grep -c "^  | boom$" out)" = 5 &&
	grep -q ": 0 passed, 5 failed (exit 1: 5)" out &&
	test_expect_code 125 "$FLAKETRAP" loop --max-kept=0 -- true 2>err &&
	grep -F -- "--max-kept=0: expected a whole number" err
'

test_expect_success '--failure and --ignore: which failures count, by their output' '
	test_expect_code 0 $GUARD "$FLAKETRAP" loop -n 3 -j 1 --json \
		--ignore="known flake" --out=ign -- \
		sh -c "echo a known flake >&2; exit 1" >sum.json 2>err &&
	test "$(jget sum.json "d[\"passed\"], d[\"failed\"], d[\"ignored\"]")" = "(3, 0, 3)" &&
	grep -q ", 3 failing runs passed by --failure/--ignore$" err &&
	test -z "$(ls ign)" &&
	test_expect_code 1 $GUARD "$FLAKETRAP" loop -n 2 -j 1 --json \
		--failure="^real" --out=fail -- sh -c "echo real bug; exit 1" \
		>sum.json 2>/dev/null &&
	test "$(jget sum.json "d[\"failed\"], d[\"ignored\"]")" = "(2, 0)" &&
	test_expect_code 0 $GUARD "$FLAKETRAP" loop -n 2 -j 1 \
		--failure="^real" --out=fail2 -- sh -c "echo other; exit 1" \
		>/dev/null 2>&1 &&
	test_expect_code 125 "$FLAKETRAP" loop --failure="(" -- true 2>err &&
	grep -F -- "--failure=(: " err
'

test_expect_success 'a kept run cites its logs where they are kept (log/...)' '
	test_expect_code 3 $GUARD "$FLAKETRAP" loop -n 1 --fail-on-leak \
		--out=cited -- "$FIXTURES/leaky" thread-running >/dev/null 2>&1 &&
	dir=cited/$(ls cited) &&
	cited=$(sed -n "s/.*running (in pid [0-9]* leaky; \(log\/leaky\.[0-9]*\.jsonl\):2)$/\1/p" $dir/flaketrap.txt) &&
	test -n "$cited" && test -f "$dir/$cited" &&
	! grep -F ".running-" $dir/flaketrap.txt
'

test_expect_success '--log=DIR keeps every run'"'"'s log, passing ones too' '
	$GUARD "$FLAKETRAP" loop -n 3 -j 2 --log=all --out=runs7 -- sh -c "true" >out &&
	test "$(ls all)" = "$(printf "run-1\nrun-2\nrun-3")" &&
	test "$(logq all/run-2 "len(starts) >= 1")" = True
'

test_expect_success '--timeout: the hung run gives its stacks, then is killed' '
	test_expect_code 1 $GUARD "$FLAKETRAP" loop -n 1 -j 1 --timeout=5s \
		--stack-timeout=60s --json --out=runs8 -- "$FIXTURES/hang" >sum.json 2>err &&
	test "$(jget sum.json "d[\"runs\"], d[\"timed_out\"], d[\"failed\"], d[\"by_result\"]")" = "(1, 1, 1, {'"'"'timeout'"'"': 1})" &&
	dir=runs8/$(ls runs8) &&
	log=$dir/log &&
	test "$(logq $log "[r[\"threads\"] for r in of(\"stack_dump\")]")" = "[3]" &&
	test "$(logq $log "len(of(\"thread_stack\"))")" = 3 &&
	test "$(logq $log "any(\"wait_for_signal\" in syms(r[\"stack\"]) for r in of(\"thread_stack\") if \"stack\" in r)")" = True &&
	test "$(logq $log "any(\"block_on_pipe\" in syms(r[\"stack\"]) and \"read\" in syms(r[\"stack\"]) for r in of(\"thread_stack\"))")" = True &&
	test "$(logq $log "any(\"pthread_join\" in syms(r[\"stack\"]) and r[\"main\"] for r in of(\"thread_stack\"))")" = True &&
	grep -q "1 of 1 processes asked gave their stacks" $dir/flaketrap.txt &&
	grep -q "^    #1 0x[0-9a-f]* block_on_pipe+0x[0-9a-f]* (.*) at .*/test/fixtures/hang.c:[0-9]*$" $dir/flaketrap.txt &&
	gone $(logq $log "root") &&
	"$FLAKETRAP" report $log >report.txt &&
	grep -q "^stacks on request (a hang), 3 threads:$" report.txt &&
	"$FLAKETRAP" report --json $log >report.json &&
	test "$(jget report.json "sorted(s[\"main\"] for s in d[\"stacks\"])")" = "[False, False, True]" &&
	test "$(jget report.json "any(f.get(\"function\") == \"block_on_pipe\" and f[\"file\"].endswith(\"test/fixtures/hang.c\") for s in d[\"stacks\"] for f in s[\"stack\"])")" = True
'

# caught SIG CMD...: whether CMD, run with the library, catches signal
# number SIG (its SigCgt in /proc); CMD is cat, which catches none itself.
caught () {
	sig=$1
	shift
	mask=$(preload "$@" /proc/self/status | sed -n "s/^SigCgt:[[:space:]]*//p") &&
	echo $(( (0x$mask >> (sig - 1)) & 1 ))
}

test_expect_success 'with a log, the stack signal gets a handler only with FLAKETRAP_STACK_REQUESTS' '
	mkdir -p req &&
	test "$(caught 23 FLAKETRAP_LOG=$PWD/req cat)" = 0 &&
	test "$(caught 23 FLAKETRAP_LOG=$PWD/req FLAKETRAP_STACK_REQUESTS=on cat)" = 1 &&
	test "$(caught 23 FLAKETRAP_STACK_REQUESTS=on cat)" = 0
'

test_expect_success 'the library answers no stray stack signal: SIGURG from kill is ignored' '
	mkdir -p urg &&
	FLAKETRAP_LOG=$PWD/urg FLAKETRAP_STACK_REQUESTS=on \
		preload sh -c "kill -URG \$\$; echo alive" >out &&
	test "$(cat out)" = alive &&
	test "$(logq urg "len(of(\"thread_stack\"))")" = 0
'

test_expect_success 'the program still sees SIGURG at SIG_DFL, and its own handler replaces ours' '
	mkdir -p view &&
	FLAKETRAP_LOG=$PWD/view FLAKETRAP_STACK_REQUESTS=on preload "$PYTHON" -c "
import os, signal
print(signal.getsignal(signal.SIGURG) == signal.SIG_DFL)
got = []
signal.signal(signal.SIGURG, lambda *a: got.append(1))
os.kill(os.getpid(), signal.SIGURG)
print(got == [1])" >out &&
	test "$(cat out)" = "$(printf "True\nTrue")"
'

# The runs of a slot go to one supervisor, CMD's parent (a fork of the tool
# and its end each run were a third of a run of true on a small VM).
test_expect_success 'the runs of a slot share one supervisor; one killed is replaced' '
	"$FLAKETRAP" loop -n 4 -j 1 --keep-going --out=runs-sv -- \
		sh -c "echo \$PPID >>ppids; test -e killed ||
			{ : >killed; kill -9 \$PPID; }" >out 2>err;
	status=$? &&
	test "$status" = 1 &&
	grep -q "supervisor lost: 1" out &&
	test "$(wc -l <ppids)" = 4 &&
	test "$(sed -n 2p ppids)" = "$(sed -n 3p ppids)" &&
	test "$(sed -n 3p ppids)" = "$(sed -n 4p ppids)" &&
	test "$(sed -n 1p ppids)" != "$(sed -n 2p ppids)" &&
	gone $(sort -u ppids)
'

# Each worker holds its socket alone (a new one closes the others' ends it
# inherited): else the loop's end would wait forever for a worker that never
# sees its socket end. The guard turns such a hang into a failure.
test_expect_success 'with -j 3, one supervisor a slot, and the loop ends' '
	$GUARD "$FLAKETRAP" loop -n 12 -j 3 --out=runs-j3 -- \
		sh -c "echo \$PPID >>ppids-j3" >out 2>err &&
	test "$(wc -l <ppids-j3)" = 12 &&
	test "$(sort -u ppids-j3 | wc -l)" -le 3 &&
	gone $(sort -u ppids-j3)
'

# What a run leaves running is ended and reaped before the slot's next run:
# no run reports another's (tail -f /dev/null: a process that never ends;
# running or sleeping when it is found, as it happens).
test_expect_success 'a run on a shared supervisor reports its own leftovers only' '
	"$FLAKETRAP" loop -n 3 -j 1 --keep-going --out=runs-left -- \
		sh -c "tail -f /dev/null & echo \$!; exit 1" >out 2>err;
	status=$? &&
	test "$status" = 1 &&
	test "$(ls runs-left | wc -l)" = 3 &&
	for run in runs-left/run-*; do
		grep -q "^flaketrap: 1 process outlived the command" \
			$run/flaketrap.txt &&
		bg=$(cat $run/stdout) &&
		grep -q "^  pid $bg [a-z-]*: " $run/flaketrap.txt &&
		gone $bg || { cat $run/flaketrap.txt; return 1; }
	done
'

# A signal to a slot's supervisor (here CMD's SIGTERM to its parent) stops
# its run, and only that: a supervisor that left after it could take the
# slot's next run as it left, and lose it ("supervisor lost").
test_expect_success 'a signal to the supervisor stops its run only; the slot keeps it' '
	$GUARD "$FLAKETRAP" loop -n 4 -j 1 --out=runs-term -- \
		sh -c "echo \$PPID >>ppids-term
			test \$(wc -l <ppids-term) != 1 ||
			{ kill -TERM \$PPID; exec tail -f /dev/null; }" >out 2>err &&
	grep -q "3 passed, .* 1 stopped unfinished" out &&
	! grep -q "supervisor lost" out &&
	test "$(wc -l <ppids-term)" = 4 &&
	test "$(sort -u ppids-term | wc -l)" = 1 &&
	gone $(sort -u ppids-term)
'

# A supervisor holds a run's stdout and stderr for that run only: the
# first run's, which it has from the fork that made it, too.
test_expect_success 'the supervisor holds no file of a run before, nor more files a run' '
	"$FLAKETRAP" loop -n 3 -j 1 --keep-log --out=runs-fd -- \
		sh -c "ls -l /proc/\$PPID/fd/ >&2; ls /proc/\$PPID/fd | wc -l" \
		>out 2>err &&
	test "$(ls -d runs-fd/run-* | wc -l)" = 3 &&
	for run in runs-fd/run-*; do
		! grep "run-[0-9]" $run/stderr || return 1
	done &&
	test "$(cat runs-fd/run-*/stdout | sort -u | wc -l)" = 1
'

# CMD has its stdin, stdout and stderr, what the loop's caller gave it and
# the library's own: no fd of the tool (a supervisor's socket, signalfd or
# copy of its stderr, the run's files as they came on the socket, the
# --junit cases' file, which tmpfile made without O_CLOEXEC).
test_expect_success 'CMD holds no file descriptor of the tool' '
	"$FLAKETRAP" loop -n 4 -j 2 --keep-log --junit=fds.xml \
		--out=runs-cmdfd -- sh -c "ls -l /proc/\$\$/fd/" >out 2>err &&
	test "$(ls -d runs-cmdfd/run-* | wc -l)" = 4 &&
	for run in runs-cmdfd/run-*; do
		sed -n "s/.* \([0-9][0-9]*\) -> /\1 /p" $run/stdout >fds &&
		grep -q "^1 .*/stdout$" fds &&
		! grep -v "^[012] " fds |
			grep "socket:\|signalfd\|runs-cmdfd\|deleted\|/err$" ||
			return 1
	done
'

# The loop killed (SIGKILL: no clean-up of its own): its supervisor learns
# it twice (PDEATHSIG, its socket's end), ends the run and leaves.
test_expect_success 'the loop killed: its run and its supervisor end' '
	mkfifo ready-k &&
	{ "$FLAKETRAP" loop --forever -j 1 --out=runs-k -- sh -c "
		echo \$\$ \$PPID >pids-k; echo up >ready-k
		exec tail -f /dev/null" >out 2>err & } &&
	pid=$! &&
	$GUARD sh -c "read line <ready-k" &&
	kill -KILL $pid &&
	{ wait $pid; status=$?; } &&
	test "$status" = 137 &&
	for p in $(cat pids-k); do
		$GUARD tail --pid=$p -f /dev/null || return 1
	done &&
	gone $(cat pids-k)
'

test_expect_success '--load: its processes are gone after the loop' '
	$GUARD "$FLAKETRAP" loop -n 4 -j 1 --load=2 --out=runs9 -- true >out &&
	pids=$(sed -n "s/^flaketrap loop: load: //p" out) &&
	test "$(echo $pids | wc -w)" = 2 &&
	gone $pids
'

test_expect_success 'Ctrl-C: status 130 once every run and load process has stopped' '
	mkfifo ready block &&
	{ "$FLAKETRAP" loop --forever -j 1 --load=2 --out=runs10 -- \
		sh -c "echo \$\$ >cmd.pid; echo up >ready; read x <block" >out 2>err & } &&
	pid=$! &&
	$GUARD sh -c "read line <ready" &&
	kill -INT $pid &&
	{ wait $pid; status=$?; } &&
	test "$status" = 130 &&
	pids=$(sed -n "s/^flaketrap loop: load: //p" out) &&
	test "$(echo $pids | wc -w)" = 2 &&
	gone $pids $(cat cmd.pid) &&
	grep -q "0 runs in .*, 1 stopped unfinished" out &&
	test -z "$(ls -A runs10)";
	rc=$?
	kill -KILL $pid 2>/dev/null
	exec 3<>block 3>&-
	return $rc
'

test_expect_success 'no --out: a private directory, kept only when a run is' '
	mkdir priv && (cd priv && "$FLAKETRAP" loop -n 2 -- true >out) &&
	test "$(ls -A priv)" = out &&
	(cd priv && test_expect_code 1 "$FLAKETRAP" loop -n 1 -- false >out) &&
	dir=$(cd priv && ls -d flaketrap-runs.*) &&
	test "$(stat -c %a "priv/$dir")" = 700 &&
	grep -q "failing runs go to $PWD/priv/$dir\$" priv/out &&
	test -x "priv/$dir"/run-1.seed-*/reproduce.sh
'

test_expect_success 'its reader gone: the loop stops as on Ctrl-C, 141, nothing left' '
	mkdir piped &&
	(cd piped && test_expect_code 141 $GUARD "$PYTHON" -c "
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
sys.exit(subprocess.call(sys.argv[1:], stdout=w))
" "$FLAKETRAP" loop --forever --load 1 -- true 2>err) &&
	test "$(ls -A piped)" = err
'

test_expect_success 'the summary: knobs, failure rate with its interval, what to try next' '
	"$FLAKETRAP" loop -n 20 --out=rate -- sh -c "sleep 1" >out &&
	grep -q "^flaketrap loop: the knobs changed 20 of 20 sleeps, injected 0 delays, warped 0 waits, held threads 0 times$" out &&
	grep -q "^flaketrap loop: failure rate 0.0% (0 of 20; 95% confidence 0.0% to 16.1%)$" out &&
	grep -q "^flaketrap loop: every run passed: try more runs" out &&
	"$FLAKETRAP" loop -n 5 --out=rate -- true >out &&
	grep -q "^flaketrap loop: every run passed and no knob acted: try --chaos, --waitpid-delay" out &&
	test_expect_code 1 "$FLAKETRAP" loop -n 4 --out=rate -- false >out &&
	grep -q "^flaketrap loop: failure rate 100.0% (4 of 4; 95% confidence 51.0% to 100.0%)$" out &&
	! grep -q "every run passed" out
'

test_expect_success '--junit: one case per run, the failing ones with their stderr' '
	cat >junit.py <<-\EOF &&
	import sys, xml.etree.ElementTree as ET
	suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
	cases = suite.findall("testcase")
	failed = [c for c in cases if c.find("failure") is not None]
	assert int(suite.get("tests")) == len(cases) == 6, suite.attrib
	assert int(suite.get("failures")) == len(failed) == 3, suite.attrib
	assert all(c.get("name").startswith("run ") for c in cases)
	for c in failed:
	    f = c.find("failure")
	    assert f.get("message") == "exit 1", f.attrib
	    assert f.text == "odd <&> \ufffd run\n", repr(f.text)
	EOF
	cat >every-other.sh <<-\EOF &&
	n=$(cat count 2>/dev/null || echo 0)
	n=$((n + 1))
	echo $n >count
	[ $((n % 2)) = 0 ] && exit 0
	printf "odd <&> \377 run\n" >&2
	exit 1
	EOF
	test_expect_code 1 "$FLAKETRAP" loop -n 6 -j 1 --out=ju --junit=loop.xml -- sh "$PWD/every-other.sh" >out &&
	"$PYTHON" junit.py loop.xml
'

test_expect_success 'bad input: exit 125, nothing run' '
	test_expect_code 125 "$FLAKETRAP" loop true 2>err &&
	grep -q "'"'"'--'"'"' must come before CMD" err &&
	test_expect_code 125 "$FLAKETRAP" loop -- 2>err &&
	grep -q "no command given" err &&
	test_expect_code 125 "$FLAKETRAP" loop --frob -- true 2>err &&
	grep -q "unrecognized option" err &&
	test_expect_code 125 "$FLAKETRAP" loop -n 0 -- true 2>err &&
	test_expect_code 125 "$FLAKETRAP" loop -j x -- true 2>err &&
	test_expect_code 125 "$FLAKETRAP" loop --timeout=5 -- true 2>err &&
	grep -q "timeout=5: missing unit" err &&
	test_expect_code 125 "$FLAKETRAP" loop --sleep=bad -- true 2>err &&
	grep -q "^flaketrap loop: --sleep='"'"'bad'"'"': " err &&
	echo file >plain &&
	test_expect_code 125 "$FLAKETRAP" loop --out=plain/sub -- touch ran 2>err &&
	grep -q "cannot make --out directory plain/sub" err &&
	test ! -e ran
'

test_expect_success 'CMD not found is 127, not runnable 126, before any run' '
	test_expect_code 127 "$FLAKETRAP" loop --out=nf -- no-such-command-x 2>err &&
	grep -q "no-such-command-x: command not found" err &&
	test ! -e nf &&
	test_expect_code 127 "$FLAKETRAP" loop --out=nf -- ./no-such 2>err &&
	test_expect_code 126 "$FLAKETRAP" loop --out=nf -- ./plain 2>err &&
	test ! -e nf
'

test_done
