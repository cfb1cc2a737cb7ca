#!/bin/sh
# The manual: the parts written from the code's lists (docs/gen.py) match
# them, the links between the pages hold, and the README stays short and
# leads to every command and every page.
. "$(dirname "$0")/lib.sh"

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

test_done
