#!/bin/sh
# check-exports.sh LIB MAP: the library exports exactly the functions listed
# in MAP, and they are the functions resolved in preload/real.def, but for
# the API of include/flaketrap.h (flaketrap_*), which wraps nothing. A missing
# export silently stops an interception (STYLE B3, B4); an extra one leaks
# an internal name into every program.
set -eu
lib=$1
map=$2
def=$(dirname "$map")/real.def
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '{print $3}' | sort >"$tmp/exported"
sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);$/\1/p' "$map" | sort >"$tmp/map"
sed -n 's/^FT_REAL(\([A-Za-z0-9_]*\),.*/\1/p' "$def" | sort >"$tmp/def"
api="flaketrap_test_begin flaketrap_test_end"
for name in $api; do
	if ! grep -qx "$name" "$tmp/map"; then
		echo "check-exports: $map does not list $name" >&2
		exit 1
	fi
done
printf '%s\n' $api >"$tmp/api"
grep -vxFf "$tmp/api" "$tmp/map" >"$tmp/wrapped" || true
status=0
if ! diff -u "$tmp/map" "$tmp/exported"; then
	echo "check-exports: $lib does not export exactly $map" >&2
	status=1
fi
if ! diff -u "$tmp/wrapped" "$tmp/def"; then
	echo "check-exports: $map and $def list different functions" >&2
	status=1
fi
[ $status = 0 ] && echo "check-exports: $(wc -l <"$tmp/exported") symbols, as listed"
exit $status
