#!/bin/sh
# make demo: a test that uses sleep as synchronization passes plainly and
# fails under flaketrap, at once.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FIXTURE=$ROOT/build/test/fixtures/sleep-sync

echo "== The test: a worker thread needs 20 ms; main sleeps 500 ms, then"
echo "== reads the worker's result without waiting for it (the seed's bug)."
echo
echo "\$ build/test/fixtures/sleep-sync"
"$FIXTURE"
echo "(exit status $?)"
echo
echo "\$ tools/flaketrap run -- build/test/fixtures/sleep-sync"
"$ROOT/tools/flaketrap" run -- "$FIXTURE"
status=$?
echo "(exit status $status)"
echo
cat <<'MSG'
== What happened: under flaketrap every sleep lasts 1 ns (FLAKETRAP_SLEEP),
== so the 500 ms "long enough" sleep ended before the worker's job, and the
== test read a result that was not there. The fix is to wait for the worker
== (pthread_join, a condition variable, a pipe), not to sleep longer.
== Replay the same choices with --seed; shrink only some sleeps with
== --sleep-prob or --sleep-min (see flaketrap run --help).
MSG
[ "$status" = 1 ]
