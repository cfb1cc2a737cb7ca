# test/lib.sh: a small TAP harness for the t*.sh scripts (after git's
# test-lib.sh). Each script sources it, runs test_expect_success blocks and
# ends with test_done. Each block runs in a subshell in the script's own
# scratch directory; commands are chained with &&.

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$TEST_DIRECTORY/.." && pwd)
LIB=$ROOT/preload/libflaketrap.so
FLAKETRAP=$ROOT/tools/flaketrap
HELPERS=$ROOT/build/test/helpers
FIXTURES=$ROOT/build/test/fixtures
# Debian's interpreter (installed by make deps), not a shim in front of it.
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
# A generous hang guard: a sleep the library failed to shrink shows as a
# failure after this long, never as a stuck suite.
GUARD="timeout -k 10 300"

# Start from a clean slate: no knob, no preload from the caller.
for v in $(env | sed -n 's/^\(FLAKETRAP_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
unset LD_PRELOAD
# Nor the Python hook of a flaketrap run around this one (check-stable).
if [ -n "${PYTHONPATH+set}" ]; then
	PYTHONPATH=$(printf %s "$PYTHONPATH" | tr : '\n' |
		grep -vx "$ROOT/preload/python" | paste -sd: -)
	[ -n "$PYTHONPATH" ] || unset PYTHONPATH
fi

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/flaketrap-test.XXXXXX") || exit 1
trap 'rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 1
ulimit -c 0

test_count=0
test_failures=0

# Prerequisites (after git's): a test that needs something the machine may
# lack names it, and is skipped with the reason when it is missing.
# test_set_prereq NAME: NAME is there. test_missing_prereq NAME WHY: it is
# not, and WHY says so in the skip line.
test_set_prereq () {
	eval "prereq_have_$1=1"
}

test_missing_prereq () {
	eval "prereq_have_$1=" "prereq_why_$1=\$2"
}

# test_have_prereq NAME[,NAME]...: all are there; else $prereq_missing
# says which is not and why.
test_have_prereq () {
	prereq_missing=
	for p in $(echo "$1" | tr , " "); do
		eval "have=\${prereq_have_$p:-} why=\${prereq_why_$p:-not checked}"
		test -n "$have" && continue
		prereq_missing="$p: $why"
		return 1
	done
}

# test_expect_success [PREREQ[,PREREQ]...] TITLE BODY
test_expect_success () {
	test_count=$((test_count + 1))
	if test $# = 3; then
		if ! test_have_prereq "$1"; then
			echo "ok $test_count # skip $2 (missing $prereq_missing)"
			return 0
		fi
		shift
	fi
	if (eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		sed 's/^/#    /' "$TRASH/.out"
		test_failures=$((test_failures + 1))
	fi
}

# test_expect_code CODE CMD...: CMD exits with exactly CODE.
test_expect_code () {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "expected exit status $want, got $got: $*"
		return 1
	fi
}

test_done () {
	echo "1..$test_count"
	[ "$test_failures" = 0 ]
}

# preload [NAME=VALUE]... CMD...: CMD with the in-tree library, under the hang
# guard (which runs without it). FT_TEST_PRELOAD_FIRST (make
# check-asan-preload: the ASan runtime) goes in front of the library.
preload () {
	$GUARD env LD_PRELOAD="${FT_TEST_PRELOAD_FIRST:+$FT_TEST_PRELOAD_FIRST:}$LIB" "$@"
}

# logq DIR EXPR: evaluate a Python expression over every record of every
# log in DIR (`recs`, each line parsed; a line that does not parse fails).
logq () {
	"$PYTHON" "$TEST_DIRECTORY/logq.py" "$@"
}
