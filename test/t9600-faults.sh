#!/bin/sh
# Fault injection (make check-faults runs this file alone): the leak and
# crash fixtures under resource limits, descriptors (ulimit -n), file size
# (ulimit -f) and address space (ulimit -v). Seven descriptors are all the
# fixture needs for itself (its pipes): the library finds none left. Under each, with the library
# and a log, the program must end as it does without it (same status, same
# output) and every process must either have written its exit record or
# said on stderr that its records are lost.
. "$(dirname "$0")/lib.sh"

LEAKY=$FIXTURES/leaky
SCENARIOS="clean child-running zombie thread-running crash abort overflow"

# under LIMIT SCENARIO: status and stdout plainly, then with the library.
under () {
	limit=$1 scenario=$2
	$GUARD sh -c "$limit; exec \"\$0\" \"\$1\"" "$LEAKY" "$scenario" \
		>plain.out 2>plain.err
	plain=$?
	rm -rf flog
	mkdir flog && chmod 700 flog
	preload FLAKETRAP_LOG="$PWD/flog" sh -c "$limit; exec \"\$0\" \"\$1\"" \
		"$LEAKY" "$scenario" >lib.out 2>lib.err
	lib=$?
	if [ "$plain" != "$lib" ] || ! cmp -s plain.out lib.out; then
		echo "$limit; $scenario: status $plain plainly, $lib with the library"
		diff plain.out lib.out
		return 1
	fi
	# The leaky process itself: its exit record, or the loss said.
	"$PYTHON" - "$scenario" <<-'EOF' || { cat lib.err; return 1; }
	import glob, json, sys
	recs = []
	for f in glob.glob("flog/leaky.*.jsonl"):
	    for line in open(f, "rb"):
	        try:
	            recs.append(json.loads(line))
	        except ValueError:
	            pass
	root = [r["pid"] for r in recs if r["event"] == "start"
	        and r["argv"][1:] == [sys.argv[1]]]
	exited = [r for r in recs if r["event"] == "exit" and r["pid"] in root]
	said = "records of this process are lost" in open("lib.err").read()
	if not (exited or said):
	    sys.exit("no exit record and no loss said")
	EOF
}

for limit in "ulimit -n 7" "ulimit -f 1" "ulimit -v 400000"; do
	for scenario in $SCENARIOS; do
		test_expect_success "$limit: $scenario ends as without us, or the loss is said" "
			under '$limit' $scenario
		"
	done
done

test_done
