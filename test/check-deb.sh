#!/bin/sh
# After the package is installed (make check-deb): the installed command
# finds the installed library, shrinks a sleep with it, and the manual and
# the completion are where man and bash look.
set -eu
unset FLAKETRAP_LIB LD_PRELOAD
cd /
fail() { echo "check-deb: $*" >&2; exit 1; }

tool=$(command -v flaketrap) || fail "no flaketrap in PATH"
[ "$tool" = /usr/bin/flaketrap ] || fail "flaketrap is $tool, not /usr/bin's"
lib=$(dpkg -L flaketrap | grep '/flaketrap/libflaketrap\.so$') ||
	fail "the package holds no libflaketrap.so"

preload=$(flaketrap run -- sh -c 'printf %s "$LD_PRELOAD"')
[ "$preload" = "$lib" ] || fail "run preloads '$preload', not $lib"
flaketrap --version | grep -qF "$lib" ||
	fail "--version does not name $lib"

# Returns at all only if the installed library shrank the sleep.
timeout -k 10 300 flaketrap run --sleep=1ns -- sleep 3600 ||
	fail "sleep 3600 under the installed library did not return 0"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
timeout -k 10 300 flaketrap run --sleep=1ns --timers=warp --log="$log" \
	-- sleep 3600 || fail "run --timers=warp failed"
grep -q '"event":"exit"' "$log"/*.jsonl || fail "no exit record in $log"
flaketrap report "$log" >/dev/null || fail "report of $log failed"

[ -r /usr/share/bash-completion/completions/flaketrap ] ||
	fail "no bash completion installed"
for page in flaketrap.1 libflaketrap.7; do
	[ -r /usr/share/man/man${page##*.}/$page.gz ] || fail "no man page $page"
done
echo "check-deb: $tool runs under $lib"
