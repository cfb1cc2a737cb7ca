#!/bin/sh
# The manual: the parts written from the code's lists (docs/gen.py) match
# them, the links between the pages hold, the README stays short and leads
# to every command and every page, and the manual pages render with no
# warning and name every command, option and knob.
. "$(dirname "$0")/lib.sh"

if command -v groff >/dev/null 2>&1 && command -v man >/dev/null 2>&1; then
	test_set_prereq MAN
else
	test_missing_prereq MAN "groff or man missing (make deps installs groff-base and man-db)"
fi

test_expect_success 'the generated parts match config.def and run --help' '
	"$PYTHON" "$ROOT/docs/gen.py" --check --tool "$FLAKETRAP"
'

# A copy of what gen.py reads and writes, in which one knob's help is
# changed: the check must fail and show the line that would change.
test_expect_success 'a knob whose help changed fails the check, with a diff' '
	mkdir -p tree/preload tree/docs tree/man &&
	cp "$ROOT/preload/config.def" tree/preload/ &&
	cp "$ROOT"/docs/*.md tree/docs/ &&
	if test -d "$ROOT/man"; then cp "$ROOT"/man/* tree/man/; fi &&
	sed "s/only sleeps at least this long are changed/only sleeps this long or longer are changed/" \
		"$ROOT/preload/config.def" >tree/preload/config.def &&
	! cmp -s "$ROOT/preload/config.def" tree/preload/config.def &&
	test_expect_code 1 "$PYTHON" "$ROOT/docs/gen.py" --check \
		--root tree --tool "$FLAKETRAP" >diff 2>err &&
	grep -q "^+.*only sleeps this long or longer are changed" diff &&
	grep -q "^-.*only sleeps at least this long are changed" diff &&
	grep -q "docs/knobs.md differs from what docs/gen.py writes" err
'

test_expect_success 'every link between the pages leads to a file and heading' '
	"$PYTHON" "$ROOT/docs/check-links.py" "$ROOT"
'

test_expect_success 'the README is under 300 lines' '
	test "$(wc -l <"$ROOT/README.md")" -lt 300
'

test_expect_success 'the README links every command, the knobs and every page' '
	"$FLAKETRAP" --help | sed -n "/^Commands:/,/^\$/s/^  \([a-z]\{1,\}\) .*/\1/p" \
		>commands &&
	test "$(wc -l <commands)" -ge 5 &&
	while read cmd; do
		grep -q "](docs/commands.md#flaketrap-$cmd)" "$ROOT/README.md" || {
			echo "README lacks a link to $cmd"; return 1; }
	done <commands &&
	for page in "$ROOT"/docs/*.md; do
		grep -q "](docs/${page##*/})" "$ROOT/README.md" || {
			echo "README lacks a link to docs/${page##*/}"; return 1; }
	done
'

test_expect_success 'the README keeps the two set-up commands CI runs' '
	grep -q "^make deps demo  " "$ROOT/README.md" &&
	grep -q "^make check  " "$ROOT/README.md" &&
	grep -q "^make deps demo$" "$ROOT/.ci/run" &&
	grep -q "^make check$" "$ROOT/.ci/run"
'

test_expect_success MAN 'the manual pages render with no warning' '
	"$ROOT/test/check-man.sh" "$ROOT/man/flaketrap.1" "$ROOT/man/libflaketrap.7"
'

test_expect_success 'flaketrap(1) names every command and the options of each' '
	"$FLAKETRAP" --help | sed -n "/^Commands:/,/^\$/s/^  \([a-z]\{1,\}\) .*/\1/p" \
		>commands &&
	while read cmd; do
		grep -qx "\.B $cmd" "$ROOT/man/flaketrap.1" || {
			echo "flaketrap.1 lacks the command $cmd"; return 1; }
		"$FLAKETRAP" $cmd --help |
			sed -n "s/^ \{1,\}\(-., \)\{0,1\}\(--[a-z-]*\).*/\2/p" >opts &&
		while read opt; do
			grep -qF -- "$(echo "$opt" | sed "s/-/\\\\-/g")" \
				"$ROOT/man/flaketrap.1" || {
				echo "flaketrap.1 lacks $cmd $opt"; return 1; }
		done <opts || return 1
	done <commands
'

test_expect_success 'libflaketrap(7) describes every knob' '
	names=$(sed -n "s/^FT_KNOB([a-z_]*, \"\([A-Z_]*\)\".*/\1/p" \
		"$ROOT/preload/config.def") &&
	test "$(echo $names | wc -w)" -ge 5 &&
	for name in $names; do
		grep -qx "\.B FLAKETRAP_$name" "$ROOT/man/libflaketrap.7" || {
			echo "libflaketrap.7 lacks FLAKETRAP_$name"; return 1; }
	done
'

test_expect_success 'make install-man puts each page in its section' '
	make -C "$ROOT" --no-print-directory install-man DESTDIR="$PWD/dest" \
		PREFIX=/usr >make.out 2>&1 || { cat make.out; return 1; } &&
	cmp "$ROOT/man/flaketrap.1" dest/usr/share/man/man1/flaketrap.1 &&
	cmp "$ROOT/man/libflaketrap.7" dest/usr/share/man/man7/libflaketrap.7 &&
	make -C "$ROOT" --no-print-directory uninstall-man DESTDIR="$PWD/dest" \
		PREFIX=/usr >make.out 2>&1 &&
	! test -e dest/usr/share/man/man1/flaketrap.1 &&
	! test -e dest/usr/share/man/man7/libflaketrap.7
'

test_done
