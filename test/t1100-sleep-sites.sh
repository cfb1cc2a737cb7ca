#!/bin/sh
# Sleep sites: each sleep counted where it was called, the patterns that
# pick sleeps by their caller (FLAKETRAP_SLEEP_ONLY, FLAKETRAP_SLEEP_SKIP),
# flaketrap report, and bisect --sleeps naming the sleep used as
# synchronization. The fixture fails exactly when the sleep of
# wait_for_worker is shrunk, however loaded the machine (see its comment).
. "$(dirname "$0")/lib.sh"

mkdir tmp
TMPDIR=$PWD/tmp
export TMPDIR

FIX=$FIXTURES/sleep-sites
SRC=$ROOT/test/fixtures/sleep-sites.c
guilty_line=$(grep -n 'usleep(100000);' "$SRC" | cut -d: -f1)
pace_line=$(grep -n 'usleep(1000);' "$SRC" | cut -d: -f1)

# sites DIR: "symbol:seen:changed" of each site of the fixture's process,
# busiest first.
sites () {
	logq "$1" '" ".join("%s:%d:%d" % (s["backtrace"][0].get("symbol"), s["seen"], s["changed"]) for r in of("sleep_sites") for s in r["sites"])'
}

test_expect_success 'the fixture passes without the library, fails with every sleep shrunk' '
	$GUARD "$FIX" >out && grep -q "^PASS" out &&
	test_expect_code 1 preload FLAKETRAP_LOG=all "$FIX" >out &&
	grep -q "^FAIL" out
'

test_expect_success 'one sleep_sites record lists both sites with their counts' '
	test "$(logq all "len(of(\"sleep_sites\"))")" = 1 &&
	test "$(sites all)" = "pace:3:3 wait_for_worker:1:1" &&
	test "$(logq all "[(s[\"requested_ns\"], s[\"slept_ns\"]) for s in of(\"sleep_sites\")[0][\"sites\"]]")" = "[(3000000, 3), (100000000, 1)]" &&
	test "$(logq all "of(\"sleep_sites\")[0][\"other\"][\"seen\"]")" = 0
'

test_expect_success 'each site has an id (module+0xOFFSET) and a short backtrace' '
	logq all "[s[\"id\"] for s in of(\"sleep_sites\")[0][\"sites\"]]" >ids &&
	test "$(logq all "all(s[\"id\"] == \"sleep-sites+\" + s[\"backtrace\"][0][\"offset\"] for s in of(\"sleep_sites\")[0][\"sites\"])")" = True &&
	test "$(logq all "[syms(s[\"backtrace\"])[:2] for s in of(\"sleep_sites\")[0][\"sites\"]] == [[\"pace\", \"main\"], [\"wait_for_worker\", \"main\"]]")" = True &&
	test "$(logq all "max(len(s[\"backtrace\"]) for s in of(\"sleep_sites\")[0][\"sites\"]) <= 8")" = True
'

test_expect_success 'with FLAKETRAP_SLEEP=off the sites are counted, nothing changed, the test passes' '
	preload FLAKETRAP_SLEEP=off FLAKETRAP_LOG=off "$FIX" >out &&
	test "$(sites off)" = "pace:3:0 wait_for_worker:1:0"
'

test_expect_success 'no log, no record; a process that never sleeps writes none' '
	preload FLAKETRAP_LOG=quiet /bin/true &&
	test "$(logq quiet "len(of(\"sleep_sites\")), len(starts)")" = "(0, 1)"
'

test_expect_success 'every knob off: libunwind is not even loaded; a pattern loads it' '
	preload FLAKETRAP_SLEEP=off FLAKETRAP_LEAKS=off FLAKETRAP_CRASH=off cat /proc/self/maps >maps-off &&
	! grep -q libunwind maps-off &&
	preload FLAKETRAP_SLEEP=off FLAKETRAP_LEAKS=off FLAKETRAP_CRASH=off FLAKETRAP_SLEEP_SKIP=x+0x1 cat /proc/self/maps >maps-pat &&
	grep -q libunwind maps-pat
'

test_expect_success 'FLAKETRAP_SLEEP_SKIP on the guilty function: it passes, the sleep is seen' '
	preload FLAKETRAP_SLEEP_SKIP=wait_for_worker FLAKETRAP_LOG=skip "$FIX" >out &&
	grep -q "^PASS" out &&
	test "$(sites skip)" = "pace:3:3 wait_for_worker:1:0" &&
	test "$(logq skip "total(\"sleeps_seen\"), total(\"sleeps_changed\")")" = "(4, 3)"
'

test_expect_success 'FLAKETRAP_SLEEP_ONLY: a glob of the guilty function fails, of the other passes' '
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY="wait_*" FLAKETRAP_LOG=only-g "$FIX" >out &&
	test "$(sites only-g)" = "pace:3:0 wait_for_worker:1:1" &&
	preload FLAKETRAP_SLEEP_ONLY="pac[a-z],nothing" FLAKETRAP_LOG=only-p "$FIX" >out &&
	test "$(sites only-p)" = "pace:3:3 wait_for_worker:1:0"
'

test_expect_success 'a glob matches a caller too: main is in the first frames' '
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY=main FLAKETRAP_LOG=caller "$FIX" >out &&
	test "$(sites caller)" = "pace:3:3 wait_for_worker:1:1"
'

test_expect_success 'our own frames are in no backtrace and match no glob' '
	test "$(logq all "[f[\"module\"] for r in of(\"sleep_sites\") for s in r[\"sites\"] for f in s[\"backtrace\"] if \"libflaketrap\" in f.get(\"module\", \"\")]")" = "[]" &&
	test "$(logq all "[syms(s[\"backtrace\"])[:3] for s in of(\"sleep_sites\")[0][\"sites\"]] == [[\"pace\", \"main\", None], [\"wait_for_worker\", \"main\", None]]")" = True &&
	preload FLAKETRAP_SLEEP_ONLY="main_trampoline,libflaketrap*" FLAKETRAP_LOG=ours "$FIX" >out &&
	test "$(sites ours)" = "pace:3:0 wait_for_worker:1:0"
'

test_expect_success 'SKIP wins over ONLY' '
	preload FLAKETRAP_SLEEP_ONLY="*" FLAKETRAP_SLEEP_SKIP=wait_for_worker "$FIX" >out
'

test_expect_success 'module patterns: the file name, or the whole path with a /' '
	preload FLAKETRAP_SLEEP_SKIP=sleep-site? FLAKETRAP_LOG=mod "$FIX" >out &&
	test "$(sites mod)" = "pace:3:0 wait_for_worker:1:0" &&
	preload FLAKETRAP_SLEEP_SKIP="$FIXTURES/*" "$FIX" >out &&
	preload FLAKETRAP_SLEEP_ONLY="libnothing.so*" "$FIX" >out &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY="sleep-sites" "$FIX" >out &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_SKIP="fixtures/sleep-sites" "$FIX" >out
'

test_expect_success 'site ids from the log pick exactly one site' '
	guilty=$(logq all "[s[\"id\"] for s in of(\"sleep_sites\")[0][\"sites\"] if s[\"backtrace\"][0][\"symbol\"] == \"wait_for_worker\"][0]") &&
	pace=$(logq all "[s[\"id\"] for s in of(\"sleep_sites\")[0][\"sites\"] if s[\"backtrace\"][0][\"symbol\"] == \"pace\"][0]") &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY=$guilty FLAKETRAP_LOG=id-g "$FIX" >out &&
	test "$(sites id-g)" = "pace:3:0 wait_for_worker:1:1" &&
	preload FLAKETRAP_SLEEP_ONLY=$pace FLAKETRAP_LOG=id-p "$FIX" >out &&
	test "$(sites id-p)" = "pace:3:3 wait_for_worker:1:0" &&
	preload FLAKETRAP_SLEEP_SKIP=$guilty "$FIX" >out &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY="$pace,sleep-*+0x${guilty#*+0x}" "$FIX" >out &&
	preload FLAKETRAP_SLEEP_ONLY="$guilty"0 "$FIX" >out
'

test_expect_success 'sleeps in a signal handler, inside an interrupted sleep, with a glob: counted, no deadlock' '
	FLAKETRAP_SLEEP=x2 FLAKETRAP_SLEEP_SKIP="nothing_*" FLAKETRAP_LOG=sig \
		preload "$HELPERS/sig-sleeper" 1800 &&
	test "$(logq sig "[s[\"seen\"] > 0 for r in of(\"sleep_sites\") for s in r[\"sites\"] if s[\"backtrace\"][0].get(\"symbol\") == \"on_tick\"]")" = "[True]" &&
	test "$(logq sig "sum(s[\"seen\"] for r in of(\"sleep_sites\") for s in r[\"sites\"]) + of(\"sleep_sites\")[0][\"other\"][\"seen\"] == total(\"sleeps_seen\")")" = True
'

test_expect_success 'a full table: the first 256 sites, the rest in other, over several records' '
	preload FLAKETRAP_LOG=many "$HELPERS/site-shapes" many &&
	test "$(logq many "len(of(\"sleep_sites\")) > 1")" = True &&
	test "$(logq many "len(set(s[\"id\"] for r in of(\"sleep_sites\") for s in r[\"sites\"])), sum(s[\"seen\"] for r in of(\"sleep_sites\") for s in r[\"sites\"]), total(\"sleeps_seen\")")" = "(256, 256, 300)" &&
	test "$(logq many "[(\"other\" in r) for r in of(\"sleep_sites\")].count(True), of(\"sleep_sites\")[0][\"other\"]")" = "(1, {'"'"'seen'"'"': 44, '"'"'changed'"'"': 44, '"'"'requested_ns'"'"': 44000, '"'"'slept_ns'"'"': 44})" &&
	"$FLAKETRAP" report many >out 2>err &&
	test ! -s err &&
	test "$(grep -c "^sleep sites of pid" out)" = 1 &&
	test "$(grep -c "^  many+0x[0-9a-f]* at .*: seen 1, changed 1; " out)" = 256 &&
	grep -q "^  other sleeps (beyond the table, or no frame outside libc): seen 44, changed 44; asked 44 us, slept 44 ns$" out &&
	"$FLAKETRAP" report --json many >doc.json &&
	"$PYTHON" -c "import json
recs = json.load(open(\"doc.json\"))[\"sleep_sites\"]
assert sum(len(r[\"sites\"]) for r in recs) == 256, recs
assert [r[\"other\"][\"seen\"] for r in recs if \"other\" in r] == [44], recs
"
'

test_expect_success 'a fork child starts with no site: each process lists its own' '
	preload FLAKETRAP_LOG=fork "$HELPERS/site-shapes" fork &&
	test "$(logq fork "sorted((r[\"pid\"] == root, s[\"backtrace\"][0][\"symbol\"], s[\"seen\"]) for r in of(\"sleep_sites\") for s in r[\"sites\"])")" = "[(False, '"'"'child_nap'"'"', 1), (True, '"'"'parent_naps'"'"', 1), (True, '"'"'parent_naps'"'"', 1)]"
'

test_expect_success 'globs see the site and its 3 callers, not the 5th frame' '
	for pat in depth5 depth2; do
		preload FLAKETRAP_SLEEP_ONLY=$pat FLAKETRAP_LOG=only-$pat "$HELPERS/site-shapes" chain &&
		preload FLAKETRAP_SLEEP_SKIP=$pat FLAKETRAP_LOG=skip-$pat "$HELPERS/site-shapes" chain || return 1
	done &&
	preload FLAKETRAP_SLEEP_ONLY=depth1 FLAKETRAP_LOG=only-depth1 "$HELPERS/site-shapes" chain &&
	preload FLAKETRAP_SLEEP_SKIP=depth1 FLAKETRAP_LOG=skip-depth1 "$HELPERS/site-shapes" chain &&
	test "$(logq only-depth5 "total(\"sleeps_changed\")")$(logq only-depth2 "total(\"sleeps_changed\")")$(logq only-depth1 "total(\"sleeps_changed\")")" = 110 &&
	test "$(logq skip-depth5 "total(\"sleeps_changed\")")$(logq skip-depth2 "total(\"sleeps_changed\")")$(logq skip-depth1 "total(\"sleeps_changed\")")" = 001
'

test_expect_success 'a sleep in libstdc++ is counted at its caller' '
	cat >cxx.cc <<-\EOF &&
	#include <chrono>
	/* libstdc++ out-of-line sleep (older binaries call it): it calls
	 * nanosleep itself, so the wrapper returns into libstdc++. */
	namespace std { namespace this_thread {
	void __sleep_for(chrono::seconds, chrono::nanoseconds);
	} }
	extern "C" __attribute__((noinline)) void cxx_nap(void)
	{
		std::this_thread::__sleep_for(std::chrono::seconds(3600),
					      std::chrono::nanoseconds(0));
		asm volatile("");
	}
	int main() { cxx_nap(); return 0; }
	EOF
	c++ -O2 -o cxx cxx.cc &&
	preload FLAKETRAP_LOG=cxx-log ./cxx &&
	test "$(sites cxx-log)" = "cxx_nap:1:1" &&
	preload FLAKETRAP_SLEEP_ONLY=cxx_nap FLAKETRAP_LOG=cxx-only ./cxx &&
	test "$(sites cxx-only)" = "cxx_nap:1:1"
'

# Counting sites needs libunwind only at a sleep whose caller is libc's or
# libstdc++'s (the test above: loaded then); patterns decide on frames at
# every sleep, so they load it at start.
test_expect_success 'with a log, a process that never sleeps maps no libunwind; patterns load it at start' '
	preload FLAKETRAP_LOG=nosleep cat /proc/self/maps >maps &&
	grep libflaketrap.so maps &&
	! grep libunwind maps &&
	test "$(logq nosleep "len(of(\"exit\"))")" = 1 &&
	preload FLAKETRAP_LOG=nosleep-only FLAKETRAP_SLEEP_ONLY=nap \
		cat /proc/self/maps >maps &&
	grep libunwind maps
'

test_expect_success 'with --timers=warp the sites are the program'"'"'s, not the warp wrappers'"'"'' '
	test_expect_code 1 "$FLAKETRAP" run --timers=warp --log=warp -- "$FIX" >out &&
	test "$(sites warp)" = "pace:3:3 wait_for_worker:1:1" &&
	"$FLAKETRAP" run --timers=warp --sleep-skip=wait_for_worker -- "$FIX" >out
'

test_expect_success 'patterns and sites hold for a sleep before our constructor runs' '
	cat >ctor.c <<-\EOF &&
	#include <unistd.h>
	__attribute__((noinline)) static void early_nap(void)
	{
		usleep(1000);
		asm volatile("");
	}
	__attribute__((constructor)) static void early(void) { early_nap(); }
	int ctor_lib_loaded(void) { return 1; }
	EOF
	cat >main.c <<-\EOF &&
	int ctor_lib_loaded(void);
	int main(void) { return !ctor_lib_loaded(); }
	EOF
	cc -shared -fPIC -o libctor.so ctor.c &&
	cc -o ctor-main main.c -L. -lctor -Wl,-rpath,"$PWD" &&
	preload FLAKETRAP_LOG=ctor ./ctor-main &&
	test "$(sites ctor)" = "early_nap:1:1" &&
	preload FLAKETRAP_SLEEP_ONLY=nothing FLAKETRAP_LOG=ctor-only ./ctor-main &&
	test "$(sites ctor-only)" = "early_nap:1:0" &&
	preload FLAKETRAP_SLEEP_SKIP=early_nap FLAKETRAP_LOG=ctor-skip ./ctor-main &&
	test "$(sites ctor-skip)" = "early_nap:1:0"
'

test_expect_success 'flaketrap run takes --sleep-only and --sleep-skip' '
	"$FLAKETRAP" run --sleep-skip=wait_for_worker -- "$FIX" >out &&
	test_expect_code 1 "$FLAKETRAP" run --sleep-only=wait_for_worker -- "$FIX" >out &&
	test_expect_code 125 "$FLAKETRAP" run --sleep-only="a,,b" -- "$FIX" 2>err &&
	grep -q "^flaketrap run: --sleep-only=.a,,b.: an empty pattern" err
'

test_expect_success 'a program named with a quote, a tab and byte 0xff: every log line parses' '
	mkdir hostile &&
	name=$(printf "re\"ap\t\377x") &&
	cp "$HELPERS/nap" "hostile/$name" &&
	(cd hostile && preload FLAKETRAP_LOG=log "./$name" 2 1000) &&
	"$PYTHON" -c "
import json, os, sys
n = 0
sites = []
for f in os.listdir(b\"hostile/log\"):
    for line in open(os.path.join(b\"hostile/log\", f), \"rb\"):
        r = json.loads(line)
        n += 1
        if r[\"event\"] == \"sleep_sites\":
            sites += [s[\"id\"] for s in r[\"sites\"]]
assert n >= 3, n
assert len(sites) == 1 and sites[0].startswith(\"re\\\"ap\\t\\udcffx+0x\"), sites
"
'

test_expect_success 'the start record keeps a long list of patterns whole' '
	long=$(for i in $(seq 100); do printf "f%03d," $i; done)wait_for_worker &&
	test_expect_code 1 preload FLAKETRAP_SLEEP_ONLY=$long FLAKETRAP_LOG=long "$FIX" >out &&
	test "$(logq long "starts[0][\"config\"][\"sleep_only\"] == \"$long\"")" = True
'

test_expect_success 'FLAKETRAP_PYTHON=off: a time.sleep has its C site, in the interpreter, its frames in the eval loop' '
	preload FLAKETRAP_PYTHON=off FLAKETRAP_LOG=py "$PYTHON" -c "import time; time.sleep(3600)" &&
	test "$(logq py "[(s[\"id\"].startswith(\"python3\"), s[\"seen\"], \"_PyEval_EvalFrameDefault\" in syms(s[\"backtrace\"])) for s in of(\"sleep_sites\")[0][\"sites\"]]")" = "[(True, 1, True)]" &&
	preload FLAKETRAP_PYTHON=off FLAKETRAP_SLEEP_SKIP="_PyEval_*" FLAKETRAP_LOG=py-skip "$PYTHON" -c "import time; time.sleep(0.001)" &&
	test "$(logq py-skip "total(\"sleeps_seen\"), total(\"sleeps_changed\")")" = "(1, 0)"
'

test_expect_success 'flaketrap report: the sites of each process, with file:line' '
	"$FLAKETRAP" report all >out 2>err &&
	test ! -s err &&
	grep -q "^sleep sites of pid [0-9]* sleep-sites; " out &&
	grep -q "^  pace+0x[0-9a-f]* at $SRC:$pace_line (sleep-sites+0x[0-9a-f]*): seen 3, changed 3; asked 3 ms, slept 3 ns$" out &&
	grep -q "^  wait_for_worker+0x[0-9a-f]* at $SRC:$guilty_line (sleep-sites+0x[0-9a-f]*): seen 1, changed 1; asked 100 ms, slept 1 ns$" out &&
	"$FLAKETRAP" report --json all >doc.json &&
	"$PYTHON" -c "import json, sys
doc = json.load(open(\"doc.json\"))
s = doc[\"sleep_sites\"][0][\"sites\"]
assert [(x[\"backtrace\"][0][\"function\"], x[\"backtrace\"][0][\"line\"], x[\"seen\"]) for x in s] == [(\"pace\", $pace_line, 3), (\"wait_for_worker\", $guilty_line, 1)], s
"
'

test_expect_success 'bisect --sleeps names exactly the sleep used as synchronization' '
	for seed in 1 2 3; do
		$GUARD "$FLAKETRAP" bisect --sleeps --seed=$seed -o found -- "$FIX" >out 2>err &&
		test "$(wc -l <out)" = 1 &&
		grep -q "^wait_for_worker+0x[0-9a-f]* at $SRC:$guilty_line (sleep-sites+0x[0-9a-f]*): this sleep is used as synchronization$" out &&
		grep -q "^flaketrap bisect: 2 sleep sites whose sleeps were changed$" err &&
		grep -q "^flaketrap bisect: 1 of 2 sleep sites still fail" err &&
		test "$(cat found)" = "$(sed -n "s/.*(\(sleep-sites+0x[0-9a-f]*\)).*/\1/p" out)" ||
		return 1
	done
'

test_expect_success 'bisect --sleeps: sites whose sleeps are skipped are no case; the user'"'"'s FLAKETRAP_SLEEP is kept' '
	FLAKETRAP_SLEEP=1ns $GUARD "$FLAKETRAP" bisect --sleeps --sleep-skip=pace -- "$FIX" >out 2>err &&
	grep -q "^flaketrap bisect: 1 sleep site whose sleeps were changed$" err &&
	grep -q "^wait_for_worker+0x[0-9a-f]* at $SRC:$guilty_line (sleep-sites+0x[0-9a-f]*): this sleep is used as synchronization$" out
'

test_expect_success 'bisect --sleeps: nothing to blame, status 1 and why' '
	test_expect_code 1 $GUARD "$FLAKETRAP" bisect --sleeps -- "$HELPERS/nap" 3 1000 >out 2>err &&
	grep -q "CMD passes even with every sleep shrunk: no sleep to blame" err &&
	test ! -s out &&
	test_expect_code 1 $GUARD "$FLAKETRAP" bisect --sleeps -- false >out 2>err &&
	grep -q "CMD fails, but changed no sleep at any site" err &&
	test_expect_code 1 $GUARD "$FLAKETRAP" bisect --sleeps -- sh -c "\"$HELPERS/nap\" 3 1000; exit 3" >out 2>err &&
	grep -q "CMD fails even with no sleep changed" err
'

test_expect_success 'bisect --sleeps: bad use is 125' '
	test_expect_code 125 "$FLAKETRAP" bisect --sleeps -i cases -- "$FIX" 2>err &&
	grep -q "takes no -i" err &&
	test_expect_code 125 "$FLAKETRAP" bisect --sleeps --sleep-only=pace -- "$FIX" 2>err &&
	grep -q "sets FLAKETRAP_SLEEP_ONLY itself" err &&
	test_expect_code 125 env FLAKETRAP_SLEEP_ONLY=pace "$FLAKETRAP" bisect --sleeps -- "$FIX" 2>err &&
	"$FLAKETRAP" bisect --help | grep -q "^  --sleeps "
'

test_done
