#!/bin/sh
# test/races/rates.sh [-n RUNS] [-j JOBS] [FIXTURE...]: how often each race
# fixture fails, in RUNS runs each (default 200): plainly (no library, a
# shell loop), under `flaketrap loop --load 2` (the library, sleeps off,
# two busy processes beside), and under `flaketrap loop --chaos`. One
# table row per fixture, "k/N" in each column. A measurement, not a test:
# the figures vary between machines and runs (docs/chaos.md).
# Needs `make all test-programs`.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=200
jobs=2
while getopts n:j: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-j JOBS] [FIXTURE...]" >&2; exit 125 ;;
	esac
done
shift $((OPTIND - 1))
flaketrap=$root/tools/flaketrap
python=/usr/bin/python3
if [ $# = 0 ]; then
	set -- order atomicity lost-wakeup teardown fork-lock split-reply \
		order.py asyncio-threadsafe.py
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# command FIXTURE: the argv of a fixture, C or Python.
command () {
	case $1 in
	*.py) echo "$python $root/test/races/$1" ;;
	*) echo "$root/build/test/races/$1" ;;
	esac
}

# failures OPTIONS...: k of `flaketrap loop -n RUNS OPTIONS -- CMD`.
failures () {
	"$flaketrap" loop -n "$runs" -j "$jobs" --keep-going --json \
		--out="$tmp/out" "$@" -- $cmd >"$tmp/sum.json" 2>/dev/null || :
	"$python" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["failed"] + d["timed_out"])' "$tmp/sum.json"
}

printf '%-24s %10s %10s %10s\n' fixture plain "load 2" chaos
for f in "$@"; do
	cmd=$(command "$f")
	plain=0 i=0
	while [ $i -lt "$runs" ]; do
		$cmd >/dev/null 2>&1 || plain=$((plain + 1))
		i=$((i + 1))
	done
	load=$(failures --sleep=off --load 2)
	chaos=$(failures --sleep=off --chaos)
	printf '%-24s %10s %10s %10s\n' "$f" "$plain/$runs" "$load/$runs" \
		"$chaos/$runs"
done
