#!/bin/sh
# check-exports-object.sh OBJ MAP LIB SHARED...: an object loaded beside
# libflaketrap.so (libflaketrap-warp.so, libflaketrap-chaos.so) exports
# exactly the name@version pairs of its version script MAP (a missing one
# silently stops an interception, STYLE B3/B4), and libflaketrap.so (LIB)
# exports none of them but the names SHARED, which both wrap: with the
# object's mode off, everything else it wraps goes straight to libc.
set -eu
warp=$1
map=$2
lib=$3
shift 3
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
	echo "check-exports-object: $warp does not export exactly $map" >&2
	status=1
fi
sed 's/@.*//' "$tmp/exported" | sort -u >"$tmp/names"
nm -D --defined-only "$lib" | awk '{print $3}' | sort >"$tmp/lib"
comm -12 "$tmp/names" "$tmp/lib" >"$tmp/both"
printf '%s\n' "$@" | sort >"$tmp/sleeps"
if ! diff -u "$tmp/sleeps" "$tmp/both"; then
	echo "check-exports-object: $lib and $warp share other functions than expected" >&2
	status=1
fi
[ $status = 0 ] && echo "check-exports-object: $(wc -l <"$tmp/exported") symbol versions, as listed"
exit $status
