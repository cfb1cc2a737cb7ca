#!/bin/sh
# FLAKETRAP_CHAOS=on: scheduling noise from libflaketrap-chaos.so. Only
# what cannot vary is asserted: the points counted, the decisions a seed
# makes (read from the trace), that fork- and signal-heavy programs end
# under the hang guard, the site bisect --chaos names for a program whose
# failure only a hold at one site can cause, bad values. How often chaos
# exposes a race is measured, not tested (test/races/, docs/chaos.md).
. "$(dirname "$0")/lib.sh"

CHAOS=$ROOT/preload/libflaketrap-chaos.so
POINTS=$FIXTURES/chaos-points

# chaos_points DIR: "point:count ..." of the exit records, points only.
chaos_points () {
	logq "$1" '" ".join("%s:%d" % (k, v["points"]) for e in exits for k, v in e["counters"]["chaos"]["by_point"].items() if v["points"])'
}

test_expect_success 'the chaos object exports each wrapper at libc'"'"'s versions' '
	"$TEST_DIRECTORY/check-exports-object.sh" "$CHAOS" \
		"$ROOT/preload/chaos/exports.map" "$LIB" poll ppoll
'

test_expect_success 'the library alone wraps no lock, semaphore, read or write' '
	nm -D --defined-only "$LIB" | awk "{print \$3}" >exports &&
	for f in pthread_mutex_lock pthread_mutex_unlock pthread_cond_wait \
		 pthread_cond_signal sem_wait sem_post read write send recv \
		 epoll_wait pthread_rwlock_rdlock; do
		! grep -q "^$f\(@\|$\)" exports || return 1
	done
'

test_expect_success 'flaketrap run loads the chaos object with --chaos only, first' '
	"$FLAKETRAP" run -- sh -c "echo \$LD_PRELOAD" >off &&
	! grep -F libflaketrap-chaos.so off &&
	"$FLAKETRAP" run --chaos -- sh -c "echo \$LD_PRELOAD" >on &&
	case $(cat on) in "$CHAOS":*libflaketrap.so*) ;; *) false ;; esac
'

test_expect_success 'FLAKETRAP_CHAOS=on without the chaos object: 125' '
	test_expect_code 125 env FLAKETRAP_CHAOS=on LD_PRELOAD="$LIB" \
		"$PYTHON" -c "print(\"main ran\")" >out 2>err &&
	test ! -s out && test "$(wc -l <err)" = 1 &&
	grep -F "FLAKETRAP_CHAOS=on: libflaketrap-chaos.so is not loaded" err
'

test_expect_success 'bad chaos values: 125, nothing run' '
	for v in "" yes 2 ON; do
		test_expect_code 125 env FLAKETRAP_CHAOS="$v" \
			LD_PRELOAD="$LIB" /bin/true 2>err &&
		grep -F "expected on or off" err &&
		test_expect_code 125 "$FLAKETRAP" run --chaos="$v" -- \
			sh -c "echo ran" >out 2>err && test ! -s out &&
		grep -F -- "--chaos=" err || return 1
	done &&
	test_expect_code 125 "$FLAKETRAP" run --chaos --chaos-budget=1.5 \
		-- /bin/true 2>err && grep -F -- "--chaos-budget=" err &&
	test_expect_code 125 "$FLAKETRAP" run --chaos --chaos-only="a b" \
		-- /bin/true 2>err && grep -F -- "--chaos-only=" err &&
	for cmd in run loop bisect; do
		test_expect_code 125 "$FLAKETRAP" $cmd --chaos off -- \
			sh -c "echo ran" >out 2>err && test ! -s out &&
		grep -F -- "--chaos off: a switch given alone is on, and '"'"'off'"'"' would be the command: write --chaos=off" err ||
		return 1
	done
'

test_expect_success 'loaded but off: every call passes through, no chaos counters' '
	$GUARD env LD_PRELOAD="$CHAOS:$LIB" FLAKETRAP_LOG=off-log \
		"$POINTS" calls 2 50 &&
	test "$(logq off-log "[\"chaos\" in e[\"counters\"] for e in exits]")" = "[False]"
'

test_expect_success 'every point counted, per kind, exactly' '
	$GUARD "$FLAKETRAP" run --chaos --log=counted -- "$POINTS" calls 2 100 \
		2>err &&
	test "$(chaos_points counted)" = "mutex_lock:200 mutex_unlock:200 sem_wait:200 sem_post:200 thread_create:2 thread_start:2 thread_join:2 read:200 write:200" &&
	grep "chaos: [0-9]* of 1206 calls held" err
'

# The decisions of a run: per thread, its call number, point and hold.
# Main's join is left out: whether the thread it joins has ended yet (and
# given the victim's part back) is timing. Main may then draw nothing at
# all: the process's key, and so its draws, hash the fixture's path, which
# is where the checkout lies.
DECISIONS="sorted((r[\"thread\"], r[\"call\"], r[\"point\"], r[\"drawn_ns\"]) for r in of(\"chaos\") if r[\"point\"] != \"thread_join\")"

test_expect_success 'a seed makes the same decisions in each thread (budget 0: none held)' '
	for i in 1 2; do
		$GUARD "$FLAKETRAP" run --chaos --chaos-trace --chaos-budget=0 \
			--seed=77 --log=replay$i -- "$POINTS" calls 3 200 ||
			return 1
	done &&
	logq replay1 "$DECISIONS" >d1 && logq replay2 "$DECISIONS" >d2 &&
	cmp d1 d2 &&
	test "$(logq replay1 "len(of(\"chaos\")) > 50")" = True &&
	test "$(logq replay1 "sorted(set(r[\"thread\"] for r in of(\"chaos\")) - {0})")" = "[1, 2, 3]" &&
	test "$(logq replay1 "set(r[\"left_out_by\"] for r in of(\"chaos\"))")" = "{'"'"'budget'"'"'}" &&
	test "$(logq replay1 "sum(e[\"counters\"][\"chaos\"][\"holds\"] for e in exits)")" = 0 &&
	$GUARD "$FLAKETRAP" run --chaos --chaos-trace --chaos-budget=0 \
		--seed=78 --log=other -- "$POINTS" calls 3 200 &&
	logq other "$DECISIONS" >d3 && ! cmp -s d1 d3
'

test_expect_success '--chaos-max stops the starvation ladder; below 1ms: 125' '
	$GUARD "$FLAKETRAP" run --chaos --chaos-trace --chaos-budget=0 \
		--chaos-max=5ms --seed=77 --log=capped -- "$POINTS" calls 3 200 &&
	test "$(logq capped "max(r[\"drawn_ns\"] for r in of(\"chaos\"))")" = 4000000 &&
	test "$(logq replay1 "max(r[\"drawn_ns\"] for r in of(\"chaos\"))")" = 2048000000 &&
	test_expect_code 125 "$FLAKETRAP" run --chaos --chaos-max=999us -- \
		/bin/true 2>err && grep -F -- "--chaos-max=" err
'

test_expect_success 'threads are held, never in our own calls (the log writes)' '
	$GUARD "$FLAKETRAP" run --chaos --chaos-trace --seed=3 --log=held -- \
		"$POINTS" calls 2 100 &&
	test "$(logq held "sum(e[\"counters\"][\"chaos\"][\"holds\"] for e in exits) > 0")" = True &&
	test "$(logq held "[s[\"id\"] for r in of(\"chaos_sites\") for s in r[\"sites\"] if \"flaketrap\" in s[\"id\"]]")" = "[]" &&
	test "$(logq held "sorted(set(s[\"id\"].split(\"+\")[0] for r in of(\"chaos_sites\") for s in r[\"sites\"]))")" = "['"'"'chaos-points'"'"']"
'

test_expect_success 'fork-heavy and signal-heavy programs end under chaos' '
	$GUARD "$FLAKETRAP" run --chaos --log=forks -- "$POINTS" forks 20 &&
	test "$(logq forks "len(exits)")" = 21 &&
	$GUARD "$FLAKETRAP" run --chaos --log=signals -- "$POINTS" signals 500 &&
	test "$(logq signals "sum(e[\"counters\"][\"chaos\"][\"points\"] for e in exits) >= 1500")" = True
'

test_expect_success 'bisect --chaos names the one site whose hold makes it fail' '
	# Each seed tried makes its own choices: one that fails is found
	# within a few (a hold of 128 ms or more at publish, 5 in 12).
	found= &&
	for seed in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		if $GUARD "$FLAKETRAP" bisect --chaos --chaos-budget=1 \
			--seed=$seed -- "$POINTS" publish 2 >out 2>err; then
			found=$seed && break
		fi
		grep -F "CMD passes under chaos" err || return 1
	done &&
	test -n "$found" &&
	test "$(wc -l <out)" = 1 &&
	grep "^a hold after a write in publish+0x[0-9a-f]* at .*chaos-points.c:[0-9]* (chaos-points+0x[0-9a-f]*) makes it fail (seed [0-9]*)$" out &&
	grep -F "chaos off: passed" err
'

test_expect_success 'bisect --chaos: CHAOS_ONLY is its own' '
	test_expect_code 125 env FLAKETRAP_CHAOS_ONLY=x "$FLAKETRAP" bisect \
		--chaos -- /bin/true 2>err &&
	grep -F "sets FLAKETRAP_CHAOS_ONLY itself" err
'

test_done
