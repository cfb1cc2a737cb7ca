#!/bin/sh
# make install and uninstall with DESTDIR: every file in its place, and the
# installed command finds the installed library.
. "$(dirname "$0")/lib.sh"

# -o all: install what make check built, never rebuild it here (other
# tests are using the build tree, maybe built with other flags).
install_into () {
	make -C "$ROOT" --no-print-directory -o all "$@" >make.out 2>&1 ||
		{ cat make.out; return 1; }
}

test_expect_success 'make install puts each file in its place' '
	install_into install DESTDIR="$PWD/dest" PREFIX=/usr/local &&
	for f in bin/flaketrap lib/flaketrap/libflaketrap.so \
		lib/flaketrap/libflaketrap-warp.so \
		lib/flaketrap/libflaketrap-chaos.so \
		share/flaketrap/flaketrap.supp \
		share/bash-completion/completions/flaketrap \
		share/man/man1/flaketrap.1 share/man/man7/libflaketrap.7 \
		lib/flaketrap/python/sitecustomize.py include/flaketrap.h \
		include/flaketrap/gtest.h; do
		test -f "dest/usr/local/$f" || { echo "missing $f"; return 1; }
	done &&
	test -x dest/usr/local/bin/flaketrap
'

test_expect_success 'the installed command preloads the installed library' '
	lib=$(cd dest/usr/local/lib/flaketrap && pwd -P)/libflaketrap.so &&
	dest/usr/local/bin/flaketrap run -- sh -c "printf %s \"\$LD_PRELOAD\"" \
		>preload 2>err &&
	test "$(cat preload)" = "$lib" &&
	$GUARD dest/usr/local/bin/flaketrap run --sleep=1ns -- sleep 3600 2>err
'

test_expect_success 'make uninstall removes every file it installed' '
	install_into uninstall DESTDIR="$PWD/dest" PREFIX=/usr/local &&
	find dest -type f >left &&
	test ! -s left || { cat left; return 1; }
'

test_done
