#!/bin/sh
# Per-test blame: flaketrap_test_begin/end (include/flaketrap.h), the
# GoogleTest listener, and the Python start-up hook for unittest, CPython's
# regrtest and pytest: what a test leaves alive at its end is written and
# reported under that test's name, and under no other's.
. "$(dirname "$0")/lib.sh"

FIX=$ROOT/test/fixtures
C_SRC=$FIX/test-blame.c
thread_line=$(grep -n 'pthread_create(&t, NULL, pool' "$C_SRC" | cut -d: -f1)
fork_line=$(grep -n 'switch (fork())' "$C_SRC" | cut -d: -f1)
cp "$FIX"/blame_unittest.py "$FIX"/blame_pytest.py "$FIX"/blame_mp.py .
cp blame_unittest.py test_blameregr.py

# left LOG: the report's lines "TEST left N ..." (their indent removed).
left () {
	"$FLAKETRAP" report "$1" >report.txt &&
	sed -n 's/^  \(.* left [0-9].*\)/\1/p' report.txt
}

test_expect_success 'C: flaketrap.h names the test that left a thread and a child, and only it' '
	$GUARD "$FLAKETRAP" run --log log -- "$FIXTURES/test-blame" >out 2>err &&
	test "$(cat out)" = done &&
	left log >got &&
	printf "%s\n" \
		"test_b left 1 thread running (started at $C_SRC:$thread_line in test_b)" \
		"test_b left 1 child running (started at $C_SRC:$fork_line in test_b)" >want &&
	diff -u want got &&
	test "$(logq log "[(r[\"test\"], r[\"leaked_threads\"], r[\"leaked_children\"]) for r in of(\"test_end\")]")" = \
		"[('"'"'test_a'"'"', 0, 0), ('"'"'test_b'"'"', 1, 1), ('"'"'test_c'"'"', 0, 0)]" &&
	test "$(logq log "[r[\"test\"] for r in of(\"test_begin\")]")" = \
		"['"'"'test_a'"'"', '"'"'test_b'"'"', '"'"'test_c'"'"']"
'

test_expect_success 'C: a thread made by a test'"'"'s thread later is still that test'"'"'s' '
	test "$(logq log "sorted((syms([r[\"start_routine\"]])[0], r[\"test\"]) for r in of(\"leaked_thread\"))")" = \
		"[('"'"'blocked'"'"', '"'"'test_b'"'"'), ('"'"'pool'"'"', '"'"'test_b'"'"')]" &&
	grep -q "made in test test_b" report.txt
'

test_expect_success 'C: a sleep site carries the test of its first sleep' '
	test "$(logq log "[(syms(s[\"backtrace\"])[0], s.get(\"test\")) for r in of(\"sleep_sites\") for s in r[\"sites\"]]")" = \
		"[('"'"'test_a'"'"', '"'"'test_a'"'"')]"
'

test_expect_success 'C: flaketrap.h without the library: no link dependency, no effect' '
	! nm -D --undefined-only "$FIXTURES/test-blame" | grep -q flaketrap &&
	$GUARD "$FIXTURES/test-blame" >out 2>err &&
	test "$(cat out)" = done && test ! -s err
'

test_expect_success 'GoogleTest: the listener names Pool.Leaks alone' '
	$GUARD "$FLAKETRAP" run --log gtlog -- "$FIXTURES/gtest-blame" >out 2>err &&
	grep -q "3 tests from 1 test suite ran" out &&
	left gtlog >got &&
	line=$(grep -n "ASSERT_EQ(pthread_create" "$FIX/gtest/blame.cc" | cut -d: -f1) &&
	echo "Pool.Leaks left 1 thread running (started at $FIX/gtest/blame.cc:$line in (anonymous namespace)::Pool_Leaks_Test::TestBody())" >want &&
	diff -u want got &&
	test "$(logq gtlog "[r[\"test\"] for r in of(\"test_end\")]")" = \
		"['"'"'Pool.Joins'"'"', '"'"'Pool.Leaks'"'"', '"'"'Pool.Detached'"'"']"
'

# The test's own Python line that started the thread (report skips the
# frames of the interpreter's library: threading.py's start).
py_thread () {
	echo "(started at .*/$1:$2 in start_pinger)"
}

test_expect_success 'unittest: the thread left by test_b is test_b'"'"'s, no edit to the test' '
	$GUARD "$FLAKETRAP" run --log ulog -- "$PYTHON" -m unittest -q blame_unittest 2>err &&
	left ulog >got &&
	test "$(wc -l <got)" = 1 &&
	grep -x "blame_unittest.Blame.test_b left 1 thread running $(py_thread blame_unittest.py 14)" got &&
	test "$(logq ulog "[(r[\"test\"], r[\"leaked_threads\"]) for r in of(\"test_end\")]")" = \
		"[('"'"'blame_unittest.Blame.test_a'"'"', 0), ('"'"'blame_unittest.Blame.test_b'"'"', 1), ('"'"'blame_unittest.Blame.test_c'"'"', 0)]"
'

test_expect_success 'CPython'"'"'s regrtest (python -m test): test_b named likewise' '
	$GUARD "$FLAKETRAP" run --log rlog -- "$PYTHON" -m test --testdir "$PWD" test_blameregr >out 2>err &&
	left rlog >got &&
	test "$(wc -l <got)" = 1 &&
	grep -x "test_blameregr.Blame.test_b left 1 thread running $(py_thread test_blameregr.py 14)" got
'

test_expect_success 'pytest: the thread left by test_b is test_b'"'"'s' '
	$GUARD "$FLAKETRAP" run --log plog -- "$PYTHON" -m pytest -q -p no:cacheprovider blame_pytest.py >out 2>err &&
	grep -q "3 passed" out &&
	left plog >got &&
	test "$(wc -l <got)" = 1 &&
	grep -x "blame_pytest.py::test_b left 1 thread running $(py_thread blame_pytest.py 11)" got &&
	test "$(logq plog "[r[\"test\"] for r in of(\"test_end\") if r[\"leaked_threads\"]]")" = \
		"['"'"'blame_pytest.py::test_b'"'"']"
'

test_expect_success 'multiprocessing: the child left by test_b is test_b'"'"'s' '
	$GUARD "$FLAKETRAP" run --log mlog -- "$PYTHON" -m unittest -q blame_mp 2>err &&
	left mlog >got &&
	test "$(wc -l <got)" = 1 &&
	grep -x "blame_mp.Blame.test_b left 1 child running (started at .*/blame_mp.py:17 in start_worker)" got &&
	test "$(logq mlog "[(r[\"test\"], r[\"leaked_children\"]) for r in of(\"test_end\") if r[\"pid\"] == root]")" = \
		"[('"'"'blame_mp.Blame.test_a'"'"', 0), ('"'"'blame_mp.Blame.test_b'"'"', 1), ('"'"'blame_mp.Blame.test_c'"'"', 0)]"
'

# A thread started twelve Python frames down in "the library" (a path
# with /lib/python) by a test of a CPython-like test package (/test/ under
# it, a test's frames): the library keeps the test's frame past the 8 it
# keeps, and report names it.
test_expect_success 'a thread started deep in Python'"'"'s library: the test'"'"'s line, past the frames kept' '
	deep=$PWD/deep/lib/python3.11 &&
	mkdir -p "$deep/test" &&
	cp "$FIX"/deep_library.py "$deep"/ &&
	cp "$FIX"/test_deep.py "$deep"/test/ &&
	line=$(grep -n "deep_library.start_deep()" "$deep/test/test_deep.py" | cut -d: -f1) &&
	(cd "$deep/test" && PYTHONPATH=$deep $GUARD "$FLAKETRAP" run --log "$OLDPWD/dlog" -- "$PYTHON" -m unittest -q test_deep) 2>err &&
	left dlog >got &&
	echo "test_deep.Deep.test_b left 1 thread running (started at $deep/test/test_deep.py:$line in test_b)" >want &&
	diff -u want got &&
	test "$(logq dlog "[(p[-1][\"function\"], p[-1][\"line\"], p[-1][\"skipped\"] > 0, len(p)) for p in (r[\"python\"] for r in of(\"leaked_thread\"))]")" = \
		"[('"'"'test_b'"'"', $line, True, 8)]" &&
	grep -q "^ *\.\.\. [0-9]* frames of Python'"'"'s library$" report.txt
'

test_expect_success 'report --json: the tests, with their leaks and where they were made' '
	"$FLAKETRAP" report --json log >j &&
	"$PYTHON" -c "
import json, sys
d = json.load(open(\"j\"))
got = [(g[\"test\"], g[\"event\"], g[\"state\"], g[\"count\"],
        g[\"backtrace\"][0][\"line\"]) for g in d[\"tests\"]]
want = [(\"test_b\", \"test_leaked_thread\", \"running\", 1, $thread_line),
        (\"test_b\", \"test_leaked_child\", \"running\", 1, $fork_line)]
assert got == want, got
assert all(i[\"test\"] == \"test_b\" for g in d[\"leaks\"] for i in g[\"instances\"])
"
'

test_expect_success 'report --fail-on-leak: 3, and the tests named' '
	test_expect_code 3 "$FLAKETRAP" report --fail-on-leak ulog >out 2>err &&
	test "$(cat err)" = "flaketrap report: --fail-on-leak: left alive by blame_unittest.Blame.test_b"
'

test_expect_success 'loop: the summary names the test that leaked in the failing runs' '
	$GUARD "$FLAKETRAP" loop -n 2 -j 1 --fail-on-leak --out runs -- "$FIXTURES/test-blame" >out 2>&1;
	test $? = 3 &&
	grep -x "flaketrap loop: left alive at a test'"'"'s end in failing runs: test_b (2 runs)" out
'

test_expect_success 'loop --json: the tests that leaked in the failing runs' '
	$GUARD "$FLAKETRAP" loop -n 2 -j 1 --fail-on-leak --json --out jruns -- "$FIXTURES/test-blame" >out 2>err;
	test $? = 3 &&
	"$PYTHON" -c "
import json
d = json.load(open(\"out\"))
assert d[\"leaked_tests\"] == [{\"test\": \"test_b\", \"runs\": 2}], d
"
'

# What sys.path and the running sitecustomize are, in a Python process.
PY_STATE="import sys; print(sys.path); print(sys.modules[\"sitecustomize\"].__file__); print(\"ctypes\" in sys.modules)"

test_expect_success 'the hook leaves sys.path as it was and runs the system sitecustomize' '
	"$PYTHON" -c "$PY_STATE" >want &&
	$GUARD "$FLAKETRAP" run -- "$PYTHON" -c "$PY_STATE" >got 2>err &&
	diff -u want got &&
	tail -n 1 got | grep -x False &&
	PYTHONPATH=/nonexistent/a:/nonexistent/b "$PYTHON" -c "$PY_STATE" >want &&
	PYTHONPATH=/nonexistent/a:/nonexistent/b $GUARD "$FLAKETRAP" run -- "$PYTHON" -c "$PY_STATE" >got 2>err &&
	diff -u want got &&
	$GUARD "$FLAKETRAP" run -- sh -c "echo \$PYTHONPATH" >got 2>err &&
	test "$(cat got)" = "$ROOT/preload/python" &&
	PYTHONPATH=/x $GUARD "$FLAKETRAP" run -- "$FLAKETRAP" run -- sh -c "echo \$PYTHONPATH" >got 2>err &&
	test "$(cat got)" = "$ROOT/preload/python:/x"
'

test_expect_success '--python-hook=off: no hook, no test records; a bad value: 125' '
	$GUARD "$FLAKETRAP" run --python-hook=off --log off -- "$PYTHON" -m unittest -q blame_unittest 2>err &&
	test "$(logq off "len(of(\"test_begin\"))")" = 0 &&
	FLAKETRAP_PYTHON_HOOK=off $GUARD "$FLAKETRAP" run -- sh -c "echo \${PYTHONPATH-unset}" >got 2>err &&
	test "$(cat got)" = unset &&
	test_expect_code 125 "$FLAKETRAP" run --python-hook=yes -- true 2>err &&
	grep -q "^flaketrap run: --python-hook=.yes.: neither on nor off" err &&
	test_expect_code 125 preload env FLAKETRAP_PYTHON_HOOK=yes true 2>err &&
	grep -q "FLAKETRAP_PYTHON_HOOK" err
'

test_expect_success 'a library copied alone goes without the hook, unless it is asked for' '
	mkdir alone && cp "$LIB" alone/ &&
	FLAKETRAP_LIB=$PWD/alone/libflaketrap.so $GUARD "$FLAKETRAP" run -- sh -c "echo \${PYTHONPATH-unset}" >got 2>err &&
	test "$(cat got)" = unset &&
	FLAKETRAP_LIB=$PWD/alone/libflaketrap.so test_expect_code 125 "$FLAKETRAP" run --python-hook=on -- true 2>err &&
	grep -q "alone/python/sitecustomize.py (needed by --python-hook=on): No such file or directory" err
'

test_done
