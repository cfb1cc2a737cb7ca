#!/bin/sh
# check-floors.sh FLOORS REAL_DEF OBJECT...: no object of the library refers
# to a symbol defined by an object of a higher floor (FLOORS: "floor:
# objects" lines, lowest floor first, a floor's lines may be several), and
# every object is on one floor. real.o takes the address of every wrapped
# function (REAL_DEF) to refuse our own wrapper: names of libc's, which
# the dynamic linker resolves, exempt there.
set -eu
floors=$1
realdef=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for o in "$@"; do
	name=$(basename "$o" .o)
	nm -P "$o" | awk -v o="$name" '{ print o, $1, $2 }'
done >"$tmp/symbols"
sed -n 's/^FT_REAL(\([A-Za-z0-9_]*\),.*/\1/p' "$realdef" >"$tmp/wrapped"
awk -v floors="$floors" -v wrapped="$tmp/wrapped" '
BEGIN {
	n = 0
	while ((getline line <floors) > 0) {
		if (line ~ /^[[:space:]]*(#|$)/)
			continue
		split(line, half, ":")
		if (!(half[1] in number)) {
			number[half[1]] = ++n
			name[n] = half[1]
		}
		k = split(half[2], objs, " ")
		for (i = 1; i <= k; i++) {
			if (objs[i] in floor_of)
				problem("check-floors: " objs[i] " is on two floors")
			floor_of[objs[i]] = number[half[1]]
		}
	}
	while ((getline w <wrapped) > 0)
		exempt["real", w] = 1
}
function problem(msg) { print msg >"/dev/stderr"; bad = 1 }
{
	seen[$1] = 1
	if ($3 == "U")
		refs[$1, $2] = 1
	else if ($3 ~ /^[A-TV-Z]$/)
		def[$2] = $1
}
END {
	for (o in seen)
		if (!(o in floor_of))
			problem("check-floors: " o ".o is on no floor of " floors)
	for (o in floor_of)
		if (!(o in seen))
			problem("check-floors: " o " of " floors " has no object")
	for (r in refs) {
		split(r, p, SUBSEP)
		o = p[1]; s = p[2]
		if (!(s in def) || ((o, s) in exempt))
			continue
		d = def[s]
		if ((o in floor_of) && (d in floor_of) &&
		    floor_of[d] > floor_of[o]) {
			problem("check-floors: " o ".o (" name[floor_of[o]] \
				") refers to " s " of " d ".o (" \
				name[floor_of[d]] ")")
		}
	}
	for (o in seen)
		objects++
	if (!bad)
		print "check-floors: " objects " objects on " n \
			" floors, none refers upward"
	exit bad
}' "$tmp/symbols"
