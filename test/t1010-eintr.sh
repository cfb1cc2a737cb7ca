#!/bin/sh
# A signal that interrupts a changed sleep still gives EINTR (or the error
# number) and a sane remaining time, in the caller's scale.
. "$(dirname "$0")/lib.sh"

test_expect_success 'reference: interrupted sleeps without the library' '
	$GUARD "$HELPERS/sig-sleeper" 1800
'

for mode in off x2 3600s 1000s..2000s; do
	test_expect_success "interrupted sleeps keep their contract with FLAKETRAP_SLEEP=$mode" '
		FLAKETRAP_SLEEP=$mode preload "$HELPERS/sig-sleeper" 1800
	'
done

test_done
