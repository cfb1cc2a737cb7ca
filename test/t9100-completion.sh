#!/bin/sh
# The bash completion (tools/flaketrap.bash-completion): commands, options
# read from each command's --help, values, and the command after --.
. "$(dirname "$0")/lib.sh"

BASH_COMPLETION=/usr/share/bash-completion/bash_completion
if command -v bash >/dev/null 2>&1 && test -r "$BASH_COMPLETION"; then
	test_set_prereq BASH_COMPLETION
else
	test_missing_prereq BASH_COMPLETION "bash-completion is not installed"
fi

# complete WORD...: what TAB offers after the words (the last is the one
# being completed), one per line, sorted.
cat >complete.bash <<EOS
. "$BASH_COMPLETION"
. "$ROOT/tools/flaketrap.bash-completion"
COMP_WORDS=("\$@")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
COMP_LINE="\${COMP_WORDS[*]}"
COMP_POINT=\${#COMP_LINE}
_flaketrap 2>/dev/null
printf '%s\n' "\${COMPREPLY[@]}" | sort -u
EOS
complete () {
	bash complete.bash "$FLAKETRAP" "$@"
}

test_expect_success BASH_COMPLETION 'the commands' '
	complete "" >out &&
	for c in run loop bisect report children; do
		grep -qx "$c" out || return 1
	done &&
	complete lo >out && test "$(cat out)" = loop
'

test_expect_success BASH_COMPLETION 'options of a command, with = where they take a value' '
	complete loop --until >out && test "$(cat out)" = --until-fail &&
	complete run --sleep-p >out && test "$(cat out)" = --sleep-prob= &&
	complete run --fail-on >out && test "$(cat out)" = --fail-on-leak
'

test_expect_success BASH_COMPLETION 'loop and bisect complete the options of run too' '
	complete loop --sleep-m >out && test "$(cat out)" = --sleep-min= &&
	complete bisect --chaos-bu >out && test "$(cat out)" = --chaos-budget=
'

# An option named in the help but not taken by the parser would be
# offered and then refused: each one offered must parse (given --help
# after it, nothing runs).
test_expect_success BASH_COMPLETION 'every option offered is one the command takes' '
	for c in run loop bisect report children; do
		complete $c -- >opts.$c &&
		test -s opts.$c || { echo "$c: none offered"; return 1; }
		while read -r opt; do
			case $opt in *=) opt=${opt}1 ;; esac
			"$FLAKETRAP" $c "$opt" --help >/dev/null 2>err
			if grep -q "unrecognized option\|invalid option" err; then
				echo "$c $opt:"; cat err; return 1
			fi
		done <opts.$c || return 1
	done
'

test_expect_success BASH_COMPLETION 'values: directories for --log, a fixed list for --leaks' '
	mkdir -p logdir.d &&
	complete run --log logd >out && grep -qx "logdir.d" out &&
	complete run --leaks thr >out && test "$(cat out)" = threads
'

test_expect_success BASH_COMPLETION 'after --, the command under test' '
	complete run --sleep=1ns -- tru >out && grep -qx true out
'

test_done
