#!/bin/sh
# Renders each manual page given with groff and with man, warnings on:
# prints every warning and exits 1 when there is one (groff and man
# themselves exit 0 after a warning). Exits 2 when groff or man is missing
# (make deps installs groff-base and man-db).
# Usage: test/check-man.sh PAGE...
for tool in groff man; do
	command -v $tool >/dev/null 2>&1 || {
		echo "check-man: $tool is missing (make deps installs it)" >&2
		exit 2
	}
done
status=0
for page in "$@"; do
	warnings=$( {
		groff -man -ww -z "$page" 2>&1 >/dev/null
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" \
			2>&1 >/dev/null
	} )
	if test -n "$warnings"; then
		printf '%s:\n%s\n' "$page" "$warnings"
		status=1
	fi
done
exit $status
