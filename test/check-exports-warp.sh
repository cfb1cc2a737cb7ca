#!/bin/sh
# check-exports-warp.sh WARP MAP LIB: libflaketrap-warp.so exports exactly
# the name@version pairs of its version script MAP (a missing one silently
# stops an interception, STYLE B3/B4), and libflaketrap.so (LIB) exports
# none of them but the sleep family and the timed joins, which both wrap
# (libflaketrap.so for the registry): with warp off
# clock_gettime and the timed waits go straight to libc.
set -eu
warp=$1
map=$2
lib=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$warp" | awk '$2 != "A" {print $3}' |
	sed 's/@@/@/' | sort >"$tmp/exported"
sed 's,/\*.*,,; s,^ \*.*,,' "$map" | awk '
	/^[A-Za-z_][A-Za-z0-9_.]* *{/ { node = $1; next }
	/^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;$/ {
		gsub(/[[:space:];]/, ""); print $0 "@" node
	}' | sort >"$tmp/map"
status=0
if ! diff -u "$tmp/map" "$tmp/exported"; then
	echo "check-exports-warp: $warp does not export exactly $map" >&2
	status=1
fi
sed 's/@.*//' "$tmp/exported" | sort -u >"$tmp/names"
nm -D --defined-only "$lib" | awk '{print $3}' | sort >"$tmp/lib"
comm -12 "$tmp/names" "$tmp/lib" >"$tmp/both"
printf '%s\n' clock_nanosleep nanosleep poll ppoll pselect select sleep \
	thrd_sleep usleep pthread_timedjoin_np pthread_clockjoin_np |
	sort >"$tmp/sleeps"
if ! diff -u "$tmp/sleeps" "$tmp/both"; then
	echo "check-exports-warp: $lib and $warp share other functions than expected" >&2
	status=1
fi
[ $status = 0 ] && echo "check-exports-warp: $(wc -l <"$tmp/exported") symbol versions, as listed"
exit $status
