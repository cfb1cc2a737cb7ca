#!/bin/sh
# flaketrap report: grouping across processes and runs, file:line from debug
# information, the JSON document, and every kind of bad input.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_DIRECTORY/data
SRC=$ROOT/test/fixtures/fake-leak.c
leak_line=$(grep -n '/\* LEAK_HERE \*/' "$SRC" | cut -d: -f1)
main_line=$(grep -n '/\* MAIN_CALLS_LEAK_HERE \*/' "$SRC" | cut -d: -f1)

# json_get FILE EXPR: EXPR over the JSON document in FILE (as `doc`); a
# tuple prints as its items separated by spaces.
json_get () {
	"$PYTHON" -c 'import json, sys
doc = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$@"
}

test_expect_success 'setup: three processes in two runs leak from one place' '
	test -n "$leak_line" && test -n "$main_line" &&
	for dir in runs/a runs/a runs/b; do
		preload FLAKETRAP_LOG=$dir "$FIXTURES/fake-leak" || return 1
	done &&
	grep -l leaked_child runs/*/*.jsonl >leakers &&
	test "$(wc -l <leakers)" = 3
'

test_expect_success 'identical leaks are one group, counted, with every pid' '
	"$FLAKETRAP" report runs >out 2>err &&
	test ! -s err &&
	# Each fake-leak forks a child, which logs its own start and exit
	# (in the file of the fake-leak that made it: nothing else to say).
	grep -q "^flaketrap: 3 leaks (3 children), no crash; 6 processes in 2 runs$" out &&
	grep -q "^leaked child x3, made by fork (3 processes, 2 runs)$" out &&
	for f in $(cat leakers); do
		pid=${f##*fake-leak.} && pid=${pid%.jsonl} &&
		line=$(grep -n leaked_child "$f" | cut -d: -f1) &&
		grep -q "left by pid $pid fake-leak; $f:$line)$" out || return 1
	done
'

test_expect_success 'frames get function and file:line from debug information' '
	"$FLAKETRAP" report runs >out &&
	grep "^    #0 0x[0-9a-f]* leak_here+0x[0-9a-f]* ($FIXTURES/fake-leak+0x[0-9a-f]*) at $SRC:$leak_line$" out &&
	grep "^    #1 0x[0-9a-f]* main+0x[0-9a-f]* ($FIXTURES/fake-leak+0x[0-9a-f]*) at $SRC:$main_line$" out
'

test_expect_success 'a return address is looked up at the call, not after it' '
	off=$(sed -n "s/.*\"offset\":\"\(0x[0-9a-f]*\)\".*\"offset\":\"\(0x[0-9a-f]*\)\".*/\2/p" $(cat leakers) | sort -u) &&
	after=$(addr2line -e "$FIXTURES/fake-leak" "$off" | sed "s/ .*//") &&
	test "$after" != "$SRC:$main_line" &&
	"$FLAKETRAP" report runs | grep -q "#1 .* at $SRC:$main_line$"
'

test_expect_success '--json: one document with the groups, frames and instances' '
	"$FLAKETRAP" report --json runs >doc.json &&
	test "$(json_get doc.json "doc[\"flaketrap_report\"], doc[\"logs\"][\"processes\"], doc[\"logs\"][\"runs\"], doc[\"logs\"][\"files\"], doc[\"logs\"][\"skipped\"], doc[\"errors\"], doc[\"crashes\"]")" = "1 6 2 3 0 [] []" &&
	test "$(json_get doc.json "len(doc[\"leaks\"]), doc[\"leaks\"][0][\"count\"], doc[\"leaks\"][0][\"processes\"], doc[\"leaks\"][0][\"event\"], doc[\"leaks\"][0][\"origin\"]")" = "1 3 3 leaked_child fork" &&
	test "$(json_get doc.json "\" \".join(\"%s:%s:%d\" % (f[\"function\"], f[\"file\"], f[\"line\"]) for f in doc[\"leaks\"][0][\"backtrace\"])")" = "leak_here:$SRC:$leak_line main:$SRC:$main_line" &&
	test "$(json_get doc.json "sorted(i[\"pid\"] for i in doc[\"leaks\"][0][\"instances\"]) == sorted(int(i[\"log\"].split(\".\")[-2]) for i in doc[\"leaks\"][0][\"instances\"])")" = True &&
	test "$(json_get doc.json "\" \".join(sorted(doc[\"leaks\"][0][\"instances\"][0]))")" = "child cmdline comm created_ns creator_tid line log pid program state time_ns"
'

test_expect_success 'a module rebuilt since (other build-id) gets no file:line' '
	mkdir rebuilt && sed "s/\"build_id\":\"[0-9a-f]*\"/\"build_id\":\"00ff\"/g" \
		$(grep -l leaked_child runs/b/*.jsonl) >rebuilt/fake-leak.1.jsonl &&
	"$FLAKETRAP" report rebuilt >out &&
	grep -q "^    #0 .*(.*) \[build-id differs: the module was rebuilt\]$" out &&
	! grep -q " at $SRC" out
'

test_expect_success 'a module that is gone gets no file:line' '
	cp "$FIXTURES/fake-leak" ./gone && mkdir gonelog &&
	FLAKETRAP_LOG=gonelog ./gone && rm gone &&
	"$FLAKETRAP" report gonelog >out &&
	grep -q "^    #0 0x[0-9a-f]* ($PWD/gone+0x[0-9a-f]*) \[module not found\]$" out
'

test_expect_success 'a module path that names a FIFO: no hang, no file:line' '
	cp "$FIXTURES/fake-leak" ./fifo-mod && mkdir fifolog &&
	FLAKETRAP_LOG=fifolog ./fifo-mod && rm fifo-mod && mkfifo fifo-mod &&
	$GUARD "$FLAKETRAP" report fifolog >out &&
	grep -q "^    #0 0x[0-9a-f]* ($PWD/fifo-mod+0x[0-9a-f]*) \[module not a regular file\]$" out
'

test_expect_success 'threads and crashes: grouped by backtrace, counted per run' '
	"$FLAKETRAP" report "$DATA/run1" "$DATA/run2" >out 2>err &&
	test ! -s err &&
	grep -q "^flaketrap: 5 leaks (1 child, 4 threads), 3 crashes; 3 processes in 2 runs$" out &&
	grep -q "^leaked thread x3, made by pthread_create, start routine spin_forever+0x0 (2 processes, 2 runs)$" out &&
	grep -q "^  thread 102 \"worker\" finished, never joined (in pid 100 pool; $DATA/run1/pool.100.jsonl:3)$" out &&
	grep -q "^  current stack of thread 101:$" out &&
	grep -q "^leaked thread x1, origin unknown (1 process, 1 run)$" out &&
	grep -q "^  current stack unavailable: the thread blocks SIGURG$" out &&
	grep -q "^  child 104 zombie: \[sh\] (left by pid 100 pool; " out &&
	grep -q "^crash x2, SIGSEGV (signal 11) (2 processes, 1 run)$" out &&
	grep -q "^  thread 200, address 0x0, during exit (pid 200 pool; " out &&
	grep -q "^crash x1, SIGABRT (signal 6) (1 process, 1 run)$" out &&
	"$FLAKETRAP" report --json "$DATA/run1" "$DATA/run2" >doc.json &&
	test "$(json_get doc.json "\" \".join(\"%s:%d\" % (g[\"event\"], g[\"count\"]) for g in doc[\"leaks\"])")" = "leaked_child:1 leaked_thread:3 leaked_thread:1" &&
	test "$(json_get doc.json "\" \".join(\"%s:%d\" % (g[\"signal_name\"], g[\"count\"]) for g in doc[\"crashes\"])")" = "SIGSEGV:2 SIGABRT:1" &&
	test "$(json_get doc.json "doc[\"leaks\"][1][\"instances\"][0][\"stack\"][0][\"symbol\"]")" = spin_forever
'

test_expect_success 'bad lines are named by file and line; the rest is reported; status 1' '
	test_expect_code 1 "$FLAKETRAP" report "$DATA/bad.jsonl" >out 2>err &&
	cat >want <<-EOF &&
	flaketrap report: $DATA/bad.jsonl:2: invalid JSON: column 29: expected a member name, found the end of the line
	flaketrap report: $DATA/bad.jsonl:3: not a record (a JSON object)
	flaketrap report: $DATA/bad.jsonl:4: bad record: "event" is missing
	flaketrap report: $DATA/bad.jsonl:5: empty line
	flaketrap report: $DATA/bad.jsonl:6: bad leaked_child record: "child" is not an integer
	flaketrap report: $DATA/bad.jsonl:7: bad leaked_child record: "backtrace" frame 1: "ip" is missing
	flaketrap report: $DATA/bad.jsonl:9: truncated line (no newline at the end of the file): column 71: unterminated string
	EOF
	diff -u want err &&
	grep -q "^flaketrap: 1 leak (1 child), no crash; 1 process in 1 run; 7 skipped (see above)$" out &&
	grep -q "^  child 303 stopped: python3 -m http.server (left by pid 300 bad; $DATA/bad.jsonl:8)$" out
'

test_expect_success 'another schema version: the whole file is skipped' '
	test_expect_code 1 "$FLAKETRAP" report "$DATA/schema2.jsonl" "$DATA/run1" >out 2>err &&
	test "$(cat err)" = "flaketrap report: $DATA/schema2.jsonl:1: unknown schema version 2: the file is skipped" &&
	grep -q "^flaketrap: 4 leaks (1 child, 3 threads), no crash; 1 process in 1 run; 1 skipped" out &&
	! grep -q "child 401" out
'

test_expect_success 'binary garbage: named, skipped, capped at 10 messages' '
	mkdir garbage && cp "$DATA/run1/pool.100.jsonl" garbage/ &&
	{ printf "\177ELF\002\001\001\000\000\n" &&
	  for i in 1 2 3 4 5 6 7 8 9 10 11 12; do printf "\377\376\000x\n"; done; } >garbage/junk.jsonl &&
	test_expect_code 1 "$FLAKETRAP" report --json garbage >doc.json 2>err &&
	grep -q "^flaketrap report: garbage/junk.jsonl:1: invalid JSON: column 1: expected a value, found byte 0x7f$" err &&
	grep -q "^flaketrap report: garbage/junk.jsonl:2: invalid JSON: column 1: expected a value, found byte 0xff$" err &&
	test "$(grep -c "garbage/junk.jsonl:[0-9]*: invalid JSON" err)" = 10 &&
	grep -q "^flaketrap report: garbage/junk.jsonl: 3 more bad lines, not shown$" err &&
	test "$(json_get doc.json "doc[\"logs\"][\"skipped\"], len(doc[\"errors\"]), doc[\"errors\"][0][\"line\"], sum(g[\"count\"] for g in doc[\"leaks\"])")" = "13 11 1 4"
'

test_expect_success 'a 1 GB line is skipped without holding it in memory' '
	limit=
	# An ASan build reserves terabytes of address space: no limit then.
	nm "$FLAKETRAP" | grep -q __asan_init || limit="ulimit -v 300000;"
	{ head -n 1 "$DATA/run1/pool.100.jsonl" &&
	  head -c 1073741824 /dev/zero &&
	  echo &&
	  sed -n 2p "$DATA/run1/pool.100.jsonl"; } |
	$GUARD sh -c "$limit exec \"\$0\" report /dev/stdin" "$FLAKETRAP" >out 2>err;
	test $? = 1 &&
	test "$(cat err)" = "flaketrap report: /dev/stdin:2: line longer than 1048576 bytes, skipped" &&
	grep -q "^  thread 101 \"worker\" running (in pid 100 stdin; /dev/stdin:3)$" out
'

test_expect_success 'a missing file and an empty directory are errors, status 1' '
	mkdir empty &&
	test_expect_code 1 "$FLAKETRAP" report nowhere.jsonl empty "$DATA/run1" >out 2>err &&
	grep -q "^flaketrap report: nowhere.jsonl: No such file or directory$" err &&
	grep -q "^flaketrap report: empty: no \*.jsonl file in this directory$" err &&
	grep -q "^flaketrap: 4 leaks" out
'

test_expect_success 'clean logs of the library: no leak, status 0, what the knobs did' '
	preload FLAKETRAP_LOG=clean sh -c "true; true" &&
	"$FLAKETRAP" report clean >out 2>err &&
	test ! -s err &&
	test "$(cat out)" = "flaketrap: no leak, no crash; 1 process in 1 run
flaketrap: 1 process ended with the library: no sleep; no delay"
'

test_expect_success '--fail-on-leak: 3 on a leak, 0 on clean logs (a CI gate)' '
	test_expect_code 3 "$FLAKETRAP" report --fail-on-leak runs >out &&
	grep -q "^leaked child x3" out &&
	test_expect_code 3 "$FLAKETRAP" report --fail-env-changed runs/a >/dev/null &&
	"$FLAKETRAP" report --fail-on-leak clean >out &&
	grep -q "^flaketrap: no leak, no crash" out &&
	"$FLAKETRAP" report runs >/dev/null
'

test_expect_success '--junit: one failing case per distinct leak, one passing case when clean' '
	cat >junit.py <<-\EOF &&
	import sys, xml.etree.ElementTree as ET
	suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
	cases = suite.findall("testcase")
	failed = [c for c in cases if c.find("failure") is not None]
	assert int(suite.get("tests")) == len(cases) == int(sys.argv[2]), suite.attrib
	assert int(suite.get("failures")) == len(failed) == int(sys.argv[3]), suite.attrib
	for c, name in zip(cases, sys.argv[4:]):
	    assert c.get("name").startswith(name), (c.get("name"), name)
	EOF
	test_expect_code 3 "$FLAKETRAP" report --fail-on-leak --junit=leaks.xml runs >out &&
	groups=$(grep -c "^leaked\|^crash" out) &&
	"$PYTHON" junit.py leaks.xml "$groups" "$groups" "leaked child x3" &&
	grep -q "created at:" leaks.xml &&
	"$FLAKETRAP" report --junit=clean.xml clean >out &&
	"$PYTHON" junit.py clean.xml 1 0 "no leak, no crash" &&
	test_expect_code 125 "$FLAKETRAP" report --junit=no/such/dir/x.xml clean >out 2>err &&
	grep -q "^flaketrap report: --junit=no/such/dir/x.xml: No such file or directory$" err
'

test_expect_success 'C++ names demangled: a thread left by pool::Worker::spawn' '
	cat >pool.cc <<-\EOF &&
	#include <pthread.h>
	#include <unistd.h>
	namespace pool {
	struct Worker {
		static void *run(void *) { pause(); return nullptr; }
		void spawn() { pthread_t t; pthread_create(&t, nullptr, run, nullptr); }
	};
	}
	int main() { pool::Worker w; w.spawn(); return 0; }
	EOF
	c++ -g -O0 -pthread -o pool pool.cc &&
	preload FLAKETRAP_LOG=cxx ./pool &&
	"$FLAKETRAP" report cxx >out &&
	grep -q "start routine pool::Worker::run(void\*)+0x0" out &&
	grep -q "#[0-9] 0x[0-9a-f]* pool::Worker::spawn()+0x[0-9a-f]* " out &&
	! grep -q "_ZN4pool" out &&
	GITHUB_WORKSPACE=$PWD "$FLAKETRAP" report --github cxx >out &&
	grep -q "^::warning file=pool.cc,line=6,title=flaketrap%3A leaked thread x1%2C .*::leaked thread x1, .*%0A  created at:%0A" out &&
	GITHUB_WORKSPACE=$PWD test_expect_code 3 "$FLAKETRAP" report --github --fail-on-leak --json cxx >out 2>err &&
	"$PYTHON" -c "import json, sys; json.load(sys.stdin)" <out &&
	grep -q "^::error file=pool.cc,line=6," err
'

test_expect_success 'a log that cannot be read: "nothing read", never "no leak"' '
	test_expect_code 1 "$FLAKETRAP" report does-not-exist >out 2>err &&
	test "$(cat out)" = "flaketrap: nothing read; 1 skipped (see above)" &&
	grep -q "does-not-exist" err
'

test_expect_success 'usage: --help, no log given, a bad option' '
	"$FLAKETRAP" report --help >out &&
	grep -q "^Usage: flaketrap report \[--json\] \[--fail-on-leak\] \[--junit FILE\] \[--github\]" out &&
	grep -q "1 when anything was" out &&
	test_expect_code 125 "$FLAKETRAP" report 2>err &&
	grep -q "no log given" err &&
	test_expect_code 125 "$FLAKETRAP" report --jsn x 2>err &&
	grep -q "^flaketrap report: unrecognized option" err &&
	"$FLAKETRAP" report --version | grep -q "^flaketrap [0-9]" &&
	"$FLAKETRAP" --help | grep -q "^  report "
'

test_expect_success 'our own frames stay in the log, out of what report prints' '
	preload FLAKETRAP_LOG=ownframes "$FIXTURES/leaky" thread-running &&
	"$PYTHON" "$TEST_DIRECTORY/logq.py" ownframes "any(\"libflaketrap\" in fr.get(\"module\", \"\") for r in recs for fr in r.get(\"backtrace\", []))" >inlog &&
	test "$(cat inlog)" = True &&
	"$FLAKETRAP" report ownframes >out &&
	grep -q "created at:" out &&
	! grep -q "libflaketrap\|main_trampoline" out &&
	grep -q "^    #0 " out
'

test_expect_success 'the library on stderr (no log) leaves our own frames out too' '
	for scenario in thread-running child-running; do
		preload "$FIXTURES/leaky" $scenario 2>err &&
		grep -q "created at:" err &&
		! grep -q "libflaketrap\|main_trampoline" err &&
		grep -q "^    #0 " err || return 1
	done
'

test_done
