#!/bin/sh
# flaketrap bisect: shrinks a list of cases to those that fail together,
# flaky failures with -r, the limits -n and -N, bad input.
. "$(dirname "$0")/lib.sh"

mkdir tmp
TMPDIR=$PWD/tmp
export TMPDIR

for c in A B C D E F G H I J K L M N O P Q R S T; do
	echo "test_$c"
done >cases

# Fails only when test_B and test_F are both in the file it is given.
cat >pair <<'EOF'
#!/bin/sh
grep -qx test_B "$1" && grep -qx test_F "$1" && { echo "B and F: fail"; exit 1; }
exit 0
EOF
# The same, but only when its run's seed is even: a flaky pair.
cat >flaky-pair <<'EOF'
#!/bin/sh
case $FLAKETRAP_SEED in *[02468]) ;; *) exit 0 ;; esac
exec "$(dirname "$0")/pair" "$@"
EOF
chmod +x pair flaky-pair

test_expect_success 'bisect --help' '
	"$FLAKETRAP" bisect --help >out &&
	for opt in "-i, --input" "-o, --output" "-n, --max-tests" "-N, --max-iter" \
		"-r, --runs" --timeout=; do
		grep -q -- "^  $opt" out || { echo "no $opt"; return 1; }
	done &&
	sed -n "/^Every option of flaketrap run/,/^\$/p" out | tr " " "\n" >names &&
	grep -qx -- --sleep names && grep -qx -- --fail-on-leak names &&
	"$FLAKETRAP" --help | grep -q "^  bisect "
'

test_expect_success 'B and F of 20 cases fail only together: bisect finds exactly them' '
	$GUARD "$FLAKETRAP" bisect -i cases -o result -- ./pair {} >out 2>err &&
	printf "test_B\ntest_F\n" >want &&
	cmp want out && cmp want result &&
	grep -q "^flaketrap bisect: 2 of 20 cases still fail" err
'

test_expect_success 'the same with any base seed, and {} inside an argument' '
	for s in 1 2 3 4 5; do
		$GUARD "$FLAKETRAP" bisect --seed=$s -i cases -- \
			sh -c "exec ./pair \"\${1#--cases=}\"" sh --cases={} >out 2>err &&
		cmp want out || return 1
	done
'

test_expect_success 'each run is under the library, with its own seed' '
	$GUARD "$FLAKETRAP" bisect --seed=9 -N 2 -i cases -- \
		sh -c "echo \$FLAKETRAP_SEED \$LD_PRELOAD >>runs; ./pair \"\$1\"" sh {} >out 2>err &&
	test "$(cut -d" " -f2 runs | sort -u)" = "$(readlink -f "$LIB")" &&
	test "$(cut -d" " -f1 runs | sort -u | wc -l)" = "$(wc -l <runs)"
'

test_expect_success 'a flaky pair: -r RUNS tries each subset that often' '
	$GUARD "$FLAKETRAP" bisect --seed=7 -r 20 -i cases -o flaky-result -- ./flaky-pair {} >out 2>err &&
	cmp want out
'

test_expect_success '-n SIZE stops at SIZE cases, -N MAX_ITER after that many subsets' '
	$GUARD "$FLAKETRAP" bisect --seed=1 -n 8 -i cases -- ./pair {} >out 2>err &&
	test "$(wc -l <out)" -le 8 &&
	grep -qx test_B out && grep -qx test_F out &&
	$GUARD "$FLAKETRAP" bisect --seed=1 -N 1 -i cases -- ./pair {} >out 2>err &&
	test "$(grep -c "iteration [0-9]*:" err)" = 1 &&
	grep -q "after 1 iteration (" err
'

test_expect_success 'the whole list does not fail: status 1, nothing written' '
	test_expect_code 1 $GUARD "$FLAKETRAP" bisect -i cases -o none -- true {} >out 2>err &&
	grep -q "nothing to bisect" err &&
	test ! -e none && test ! -s out
'

test_expect_success 'bad input: 125 with a clear message' '
	: >empty &&
	test_expect_code 125 "$FLAKETRAP" bisect -i empty -- ./pair {} 2>err &&
	grep -q "empty: no case in it" err &&
	test_expect_code 125 "$FLAKETRAP" bisect -i missing -- ./pair {} 2>err &&
	grep -q "missing: No such file" err &&
	test_expect_code 125 "$FLAKETRAP" bisect -- ./pair {} 2>err &&
	grep -q "no case file given" err &&
	test_expect_code 125 "$FLAKETRAP" bisect -i cases ./pair {} 2>err &&
	grep -q "must come before CMD" err &&
	test_expect_code 125 "$FLAKETRAP" bisect -i cases -- ./pair 2>err &&
	grep -q "no {} in CMD" err &&
	test_expect_code 125 "$FLAKETRAP" bisect --bogus -i cases -- ./pair {} 2>err &&
	grep -q "unrecognized option" err &&
	test_expect_code 125 "$FLAKETRAP" bisect -r 0 -i cases -- ./pair {} 2>err &&
	test_expect_code 125 "$FLAKETRAP" bisect -i cases -o cases/sub -- ./pair {} 2>err &&
	grep -q "cannot write cases/sub" err
'

test_expect_success 'CMD not found: 127' '
	test_expect_code 127 "$FLAKETRAP" bisect -i cases -- ./no-such {} 2>err &&
	grep -q "no-such: No such file" err
'

test_done
