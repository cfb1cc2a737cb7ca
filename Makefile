# flaketrap: a hand-written GNU make file (musl spirit).
# Local overrides go in config.mak (git-ignored). `make V=1` shows commands.

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
INCLUDEDIR ?= $(PREFIX)/include
BASH_COMPLETION_DIR ?= $(DATADIR)/bash-completion/completions
DESTDIR ?=
INSTALL ?= install
CC      ?= cc
CFLAGS  ?= -O2 -g
PROVE   ?= prove
VERSION := 0.1.0

-include config.mak

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wold-style-definition -Wpointer-arith -Wwrite-strings -Wvla \
	-Wformat=2 -fno-common
# The test suite builds as a developer would: warnings are errors.
ifneq ($(filter check check-exports check-floors,$(MAKECMDGOALS)),)
DEVELOPER ?= 1
endif

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CPPFLAGS) $(CFLAGS)
ifeq ($(DEVELOPER),1)
ALL_CFLAGS += -Werror
endif
ALL_CFLAGS += -DFT_VERSION='"$(VERSION)"'
# Where an installed tool looks for its library when it is not beside it
# (Debian's multiarch LIBDIR is not the tool's ../lib).
ALL_CFLAGS += -DFT_LIBDIR='"$(LIBDIR)"'

# SANITIZE=address,undefined instruments the tool, the unit tests and the
# fuzz replays (never the preload: a sanitizer runtime cannot be preloaded
# behind our back; SANITIZE_PRELOAD below is for that).
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# SANITIZE_PRELOAD=undefined builds the preload libraries with UBSan in
# trap mode: a failed check is an illegal instruction, no runtime library is
# loaded and nothing is allocated in the program's heap; the library's own
# crash handler logs it (a SIGILL crash record with its backtrace) and the
# program dies of SIGILL. Compile flags only: linked with -fsanitize, gcc
# would add libubsan, whose start-up installs signal handlers of its own.
# SANITIZE_PRELOAD=address: see check-asan-preload (the ASan runtime must
# come first in LD_PRELOAD).
ifeq ($(SANITIZE_PRELOAD),undefined)
LIB_SAN_CFLAGS := -fsanitize=undefined -fsanitize-undefined-trap-on-error \
	-fno-sanitize-recover=all
else ifeq ($(SANITIZE_PRELOAD),address)
# gcc's maybe-uninitialized guesses are wrong under ASan's instrumentation
# (an array every path fills, in sites.c), and DEVELOPER=1 makes them
# errors: this build checks memory, the plain one keeps the warning.
LIB_SAN_CFLAGS := -fsanitize=address -fno-omit-frame-pointer \
	-Wno-maybe-uninitialized
LIB_SAN_LDFLAGS := -fsanitize=address
else ifneq ($(SANITIZE_PRELOAD),)
$(error SANITIZE_PRELOAD must be undefined or address)
endif
# Each function and variable in a section of its own, for fork-path.ld.
# -z noseparate-code: the headers, code and read-only data in one segment,
# two mappings fewer in every process, which each fork copies (and each
# child's end takes down) again.
LIB_CFLAGS := $(ALL_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
	-ffunction-sections -fdata-sections
LIB_LDFLAGS := -shared -Wl,-soname,libflaketrap.so -Wl,-z,now -Wl,-z,noseparate-code \
	-Wl,--version-script=preload/exports.map -Wl,-z,defs \
	-Wl,-T,preload/fork-path.ld $(LDFLAGS)
LIB_LIBS := -ldl -pthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build
LIB := preload/libflaketrap.so
# The virtual clock (FLAKETRAP_TIMERS=warp): a second object, so that with
# warp off nothing wraps clock_gettime or the timed waits.
WARP := preload/libflaketrap-warp.so
# Chaos mode (FLAKETRAP_CHAOS=on): a third object, so that with chaos off
# nothing wraps the program's locks, reads and writes.
CHAOS := preload/libflaketrap-chaos.so
TOOL := tools/flaketrap

# Pure modules: no wrapper, no real-function pointer; linked by the tool and
# the unit tests as they are.
PURE_SRC := preload/config.c preload/values.c preload/fmt.c preload/pattern.c \
	preload/prng.c preload/timespec.c
LIB_SRC := $(wildcard preload/*.c)
LIB_ASM := $(wildcard preload/*.S)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/pic/%.o) $(LIB_ASM:%.S=$(B)/pic/%.o)
PURE_OBJ := $(PURE_SRC:%.c=$(B)/obj/%.o)
WARP_SRC := $(wildcard preload/warp/*.c) preload/timespec.c \
	preload/extra/next.c
WARP_OBJ := $(WARP_SRC:%.c=$(B)/pic/%.o)
WARP_LDFLAGS := -shared -Wl,-soname,libflaketrap-warp.so \
	-Wl,--version-script=preload/warp/exports.map -Wl,-z,defs $(LDFLAGS)
CHAOS_SRC := $(wildcard preload/chaos/*.c) preload/extra/next.c
CHAOS_OBJ := $(CHAOS_SRC:%.c=$(B)/pic/%.o)
CHAOS_LDFLAGS := -shared -Wl,-soname,libflaketrap-chaos.so \
	-Wl,--version-script=preload/chaos/exports.map -Wl,-z,defs $(LDFLAGS)
# The tool's own pure modules, linked by the unit tests too.
JSON_SRC := tools/json.c tools/json-names.c tools/json-tree.c
JSON_OBJ := $(JSON_SRC:%.c=$(B)/obj/%.o)
TOOL_PURE_OBJ := $(JSON_OBJ) $(B)/obj/tools/junk.o
TOOL_SRC := $(wildcard tools/*.c tools/*/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(wildcard test/unit/u-*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(B)/test/unit/%)
HELPER_SRC := $(wildcard test/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:test/helpers/%.c=$(B)/test/helpers/%)
FIXTURE_SRC := $(wildcard test/fixtures/*.c)
FIXTURE_BIN := $(FIXTURE_SRC:test/fixtures/%.c=$(B)/test/fixtures/%)
# Race fixtures of chaos mode, measured by test/races/rates.sh (not tested).
RACE_SRC := $(wildcard test/races/*.c)
RACE_BIN := $(RACE_SRC:test/races/%.c=$(B)/test/races/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
HEADERS := $(wildcard preload/*.h preload/*.def preload/warp/*.h \
	preload/warp/*.def preload/chaos/*.h preload/chaos/*.def \
	preload/extra/*.h tools/*.h tools/*/*.h test/*.h include/*.h \
	include/flaketrap/*.h)

.PHONY: all check check-exports check-stable check-faults check-cpython \
	check-cpython-timers \
	check-asan-preload test-programs demo bench deps fuzz-deps fuzz \
	fuzz-build install uninstall clean deb deb-deps check-deb

all: $(LIB) $(WARP) $(CHAOS) $(TOOL) $(B)/python-hook.stamp

# The Python start-up hook, compiled once here (and at install): Python
# would compile it again at each start where it cannot write __pycache__
# (PYTHONDONTWRITEBYTECODE, a read-only directory), some 5 ms a process.
PYTHON_HOOK := preload/python/sitecustomize.py
PYTHON_BYTECODE ?= yes
$(B)/python-hook.stamp: $(PYTHON_HOOK)
	@mkdir -p $(B)
	$(Q)if [ -x /usr/bin/python3 ]; then \
		/usr/bin/python3 -m compileall -q preload/python; fi
	@touch $@

# Changing flags rebuilds everything (git's GIT-CFLAGS).
$(B)/FLAGS: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(LIB_CFLAGS) $(SAN_FLAGS) $(LIB_SAN_CFLAGS) $(LIB_LDFLAGS) $(LDFLAGS) $(LIBDIR)' > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@
.PHONY: FORCE
FORCE:

$(B)/pic/%.o: %.c $(HEADERS) $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(LIB_CFLAGS) $(LIB_SAN_CFLAGS) -c -o $@ $<

$(B)/pic/%.o: %.S $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(B)/obj/%.o: %.c $(HEADERS) $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -DFT_LIBDIR='"$(LIBDIR)"' -c -o $@ $<

$(LIB): $(LIB_OBJ) preload/exports.map preload/fork-path.ld $(B)/FLAGS
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LIB_CFLAGS) $(LIB_SAN_LDFLAGS) $(LIB_LDFLAGS) -o $@ $(LIB_OBJ) \
		$(LIB_LIBS)

$(WARP): $(WARP_OBJ) preload/warp/exports.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LIB_CFLAGS) $(LIB_SAN_LDFLAGS) $(WARP_LDFLAGS) -o $@ \
		$(WARP_OBJ) $(LIB_LIBS)

$(CHAOS): $(CHAOS_OBJ) preload/chaos/exports.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LIB_CFLAGS) $(LIB_SAN_LDFLAGS) $(CHAOS_LDFLAGS) -o $@ \
		$(CHAOS_OBJ) $(LIB_LIBS)

# libdw: file:line in `flaketrap report` (the tool only, never the preload);
# libstdc++: its demangler, for C++ names.
TOOL_LIBS := -ldw -lm -lstdc++
# -z now: the tool's own calls bound once at start-up; lazily, every
# supervisor that loop forks (one per run) looked up each of its calls the
# loop never made itself again (some 5% of a run of true).
TOOL_LDFLAGS := -Wl,-z,now

$(TOOL): $(TOOL_OBJ) $(PURE_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(TOOL_LDFLAGS) $(LDFLAGS) -o $@ $^ \
		$(TOOL_LIBS)

$(B)/test/unit/%: test/unit/%.c $(PURE_OBJ) $(TOOL_PURE_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Ipreload -Itools -Itest $(LDFLAGS) \
		-o $@ $< $(PURE_OBJ) $(TOOL_PURE_OBJ)

# Helpers and fixtures are programs under test: plain builds, never
# sanitized (the preload goes in front of them).
PROG_BUILD = @mkdir -p $(dir $@); $(if $(Q),echo "  CC      $@";) \
	$(CC) $(ALL_CFLAGS) -g -fno-omit-frame-pointer -fno-inline -pthread \
	$(LDFLAGS) -o $@ $<
$(B)/test/helpers/%: test/helpers/%.c $(B)/FLAGS
	$(PROG_BUILD)
$(B)/test/fixtures/%: test/fixtures/%.c $(B)/FLAGS
	$(PROG_BUILD)
$(B)/test/races/%: test/races/%.c $(B)/FLAGS
	$(PROG_BUILD)
# A program the library cannot reach: run and loop must say so.
$(B)/test/fixtures/static-exit: test/fixtures/static-exit.c $(B)/FLAGS
	$(PROG_BUILD) -static
$(B)/test/fixtures/lib%.so: test/fixtures/lib/%.c $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -g -fPIC -shared -pthread $(LDFLAGS) -o $@ $<

# A GoogleTest binary (Debian's libgtest-dev) with the listener of
# include/flaketrap/gtest.h.
CXX ?= c++
$(B)/test/fixtures/gtest-%: test/fixtures/gtest/%.cc include/flaketrap.h \
		include/flaketrap/gtest.h $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $@")
	$(Q)$(CXX) -std=c++17 $(filter-out -Wstrict-prototypes \
		-Wold-style-definition -Wmissing-prototypes,$(WARNINGS)) \
		$(if $(filter 1,$(DEVELOPER)),-Werror) -g -fno-omit-frame-pointer \
		-Iinclude $(LDFLAGS) -o $@ $< -lgtest -lpthread
GTEST_FIXTURE_BIN := $(patsubst test/fixtures/gtest/%.cc,$(B)/test/fixtures/gtest-%,$(wildcard test/fixtures/gtest/*.cc))

FIXTURE_LIBS := $(patsubst test/fixtures/lib/%.c,$(B)/test/fixtures/lib%.so,$(wildcard test/fixtures/lib/*.c))

# The fuzz targets' seed corpora and past findings, replayed in make check
# by a plain driver (test/fuzz/replay.c): no clang needed.
REPLAY_BIN := $(B)/test/fuzz/replay-config $(B)/test/fuzz/replay-log \
	$(B)/test/fuzz/replay-writer
$(B)/test/fuzz/replay-config: test/fuzz/replay.c test/fuzz/fuzz-config.c \
		$(PURE_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Ipreload $(LDFLAGS) -o $@ \
		test/fuzz/replay.c test/fuzz/fuzz-config.c $(PURE_OBJ)
LOG_READER_OBJ := $(JSON_OBJ) $(patsubst %,$(B)/obj/tools/%.o,schema junit \
	symbolize options) $(patsubst %.c,$(B)/obj/%.o,$(wildcard tools/logs/*.c) \
	$(filter-out tools/report/report.c,$(wildcard tools/report/*.c)))
$(B)/test/fuzz/replay-log: test/fuzz/replay.c test/fuzz/fuzz-log.c \
		$(LOG_READER_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itools $(LDFLAGS) -o $@ \
		test/fuzz/replay.c test/fuzz/fuzz-log.c $(LOG_READER_OBJ) \
		$(TOOL_LIBS)

$(B)/test/fuzz/replay-writer: test/fuzz/replay.c test/fuzz/fuzz-writer.c \
		$(PURE_OBJ) $(JSON_OBJ) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Ipreload -Itools $(LDFLAGS) \
		-o $@ test/fuzz/replay.c test/fuzz/fuzz-writer.c $(PURE_OBJ) \
		$(JSON_OBJ)

test-programs: $(UNIT_BIN) $(HELPER_BIN) $(FIXTURE_BIN) $(FIXTURE_LIBS) \
	$(REPLAY_BIN) $(RACE_BIN) $(GTEST_FIXTURE_BIN)

# The sleep family and the timed joins are libflaketrap.so's too (the
# registry); poll and ppoll too (sleeps that chaos also asks after).
WARP_SHARED := clock_nanosleep nanosleep poll ppoll pselect select sleep \
	thrd_sleep usleep pthread_timedjoin_np pthread_clockjoin_np
CHAOS_SHARED := poll ppoll
check-exports: $(LIB) $(WARP) $(CHAOS)
	$(Q)test/check-exports.sh $(LIB) preload/exports.map
	$(Q)test/check-exports-object.sh $(WARP) preload/warp/exports.map \
		$(LIB) $(WARP_SHARED)
	$(Q)test/check-exports-object.sh $(CHAOS) preload/chaos/exports.map \
		$(LIB) $(CHAOS_SHARED)

# The library's floors (preload/floors): no object refers to one above.
.PHONY: check-floors
check-floors: $(LIB)
	$(Q)test/check-floors.sh preload/floors preload/real.def \
		$(filter $(B)/pic/preload/%,$(LIB_OBJ))

# A sanitized flaketrap may itself run under the preload (nested runs):
# the ASan runtime then is not first in the list, which is fine here.
check: all test-programs check-exports check-floors
	$(Q)$(if $(SAN_FLAGS),ASAN_OPTIONS=verify_asan_link_order=0) \
		$(PROVE) -j$$(nproc) test/t[0-9]*.sh $(UNIT_BIN)

# Each test file STABLE_RUNS times under `flaketrap loop --load 2`: shrunk
# sleeps, random delays, two CPU burners. Our tests must never be flaky.
STABLE_RUNS ?= 20
# The leak and crash fixtures under descriptor, file size and address
# space limits (also part of make check).
check-faults: all test-programs
	$(Q)$(PROVE) test/t9600-faults.sh

check-stable: all test-programs
	$(Q)test/check-stable.py --runs $(STABLE_RUNS)

# The preload built with ASan, the ASan runtime first in LD_PRELOAD (it
# must be: its malloc must be the program's), on the test files that start
# programs through lib.sh's preload helper only: files that set LD_PRELOAD
# themselves, or through flaketrap run (which puts the library first),
# cannot run this way. ASan's signal handlers stay off: the library's crash
# handler and the tests of signal dispositions need the program's own.
# Rebuilds everything as SANITIZE_PRELOAD=address; make clean afterwards.
ASAN_RUNTIME ?= $(shell $(CC) -print-file-name=libasan.so)
ASAN_PRELOAD_TESTS := test/t0010-errno.sh test/t1000-sleep.sh \
	test/t1010-eintr.sh test/t4000-exit-record.sh test/t6100-children.sh
check-asan-preload:
	$(Q)$(MAKE) --no-print-directory SANITIZE_PRELOAD=address DEVELOPER=1 \
		all test-programs
	$(Q)FT_TEST_PRELOAD_FIRST=$(ASAN_RUNTIME) \
		ASAN_OPTIONS=detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0:handle_sigill=0:abort_on_error=1 \
		$(PROVE) -j$$(nproc) $(ASAN_PRELOAD_TESTS)

demo: all $(B)/test/fixtures/sleep-sync
	$(Q)test/demo.sh

# CPython's own tests (Debian's python3 and libpython3.11-testsuite),
# plainly and under flaketrap run: any outcome that differs fails. The short
# form by default (CI); FULL=1 runs every module in full. Not part of check.
CPYTHON_CHECK_FLAGS := $(if $(filter-out 0,$(FULL)),--full)
check-cpython: all
	$(Q)/usr/bin/python3 test/cpython/check.py $(CPYTHON_CHECK_FLAGS)

# Virtual time on CPython's event-loop and timed-wait modules, in full:
# plainly and under each rule (--sleep=off), side by side with wall times.
check-cpython-timers: all
	$(Q)w=0; /usr/bin/python3 test/cpython/check.py --timers=warp \
		--out $(B)/cpython-warp || w=$$?; \
	/usr/bin/python3 test/cpython/check.py --timers=idle \
		--out $(B)/cpython-idle && exit $$w

# Timings are measured, never tested: bench is in neither all nor check.
# Its programs are plain optimized builds, as a program under test would be.
$(B)/bench/%: bench/%.c bench/bench.h $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -O2 -pthread $(LDFLAGS) -o $@ $<

bench: $(LIB) $(WARP) $(CHAOS) $(TOOL) $(BENCH_BIN)
	$(Q)bench/run.py $(LIB) $(B)/bench

# libFuzzer targets (test/fuzz/), built by clang with ASan and UBSan. The
# fuzz build makes the log reader's line limit and read chunk small so that
# overlong lines and lines across chunks are reached. Each target runs
# FUZZ_SECONDS; new inputs go to build/fuzz/corpus-*, crashes to
# build/fuzz/crash-*; the seeds are test/fuzz/* (the knob target's also
# one line per knob of config.def, written here).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARNINGS) -Werror -g -O1 \
	-fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -DFT_VERSION='"$(VERSION)"'
FUZZ_BIN := $(B)/fuzz/fuzz-config $(B)/fuzz/fuzz-log $(B)/fuzz/fuzz-writer \
	$(B)/fuzz/fuzz-symbolize
$(B)/fuzz/fuzz-config: test/fuzz/fuzz-config.c $(PURE_SRC) $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Ipreload -o $@ $< $(PURE_SRC)
$(B)/fuzz/fuzz-log: test/fuzz/fuzz-log.c $(LOG_READER_OBJ:$(B)/obj/%.o=%.c) \
		$(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DFT_LOG_LINE_MAX=4096 \
		-DFT_LOG_READ_CHUNK=64 -Itools -o $@ $< \
		$(LOG_READER_OBJ:$(B)/obj/%.o=%.c) $(TOOL_LIBS)
# Generated from config.def: a dictionary entry and a seed per knob, so a
# knob added there is fuzzed without an edit.
$(B)/fuzz/config.dict: preload/config.def test/fuzz/config.dict
	@mkdir -p $(dir $@)
	$(Q){ cat test/fuzz/config.dict; \
	  awk -F'"' '/^FT_KNOB\(/ { print "\"" $$2 "=\"" }' $<; } >$@
$(B)/fuzz/seeds-config.stamp: preload/config.def
	$(Q)rm -rf $(B)/fuzz/seeds-config && mkdir -p $(B)/fuzz/seeds-config
	$(Q)awk -F'"' '/^FT_KNOB\(/ { f = "$(B)/fuzz/seeds-config/" $$2; \
	  print $$2 "=" $$4 >f; close(f) }' $<
	$(Q)touch $@

$(B)/fuzz/fuzz-writer: test/fuzz/fuzz-writer.c $(PURE_SRC) $(JSON_SRC) \
		$(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Ipreload -Itools -o $@ $< $(PURE_SRC) \
		$(JSON_SRC)
$(B)/fuzz/fuzz-symbolize: test/fuzz/fuzz-symbolize.c tools/symbolize.c \
		$(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itools -o $@ $< tools/symbolize.c \
		$(TOOL_LIBS)
fuzz-build: $(FUZZ_BIN) $(B)/fuzz/config.dict $(B)/fuzz/seeds-config.stamp

# Stops at the first target that crashes (its input is in build/fuzz/).
fuzz: fuzz-build
	@mkdir -p $(B)/fuzz/corpus-config $(B)/fuzz/corpus-log \
		$(B)/fuzz/corpus-writer $(B)/fuzz/corpus-symbolize
	$(Q)$(B)/fuzz/fuzz-config -max_total_time=$(FUZZ_SECONDS) \
		-dict=$(B)/fuzz/config.dict -artifact_prefix=$(B)/fuzz/ \
		-print_final_stats=1 $(FUZZ_FLAGS) $(B)/fuzz/corpus-config \
		test/fuzz/config $(B)/fuzz/seeds-config
	$(Q)$(B)/fuzz/fuzz-log -max_total_time=$(FUZZ_SECONDS) \
		-max_len=16384 -close_fd_mask=2 -dict=test/fuzz/log.dict \
		-artifact_prefix=$(B)/fuzz/ -print_final_stats=1 $(FUZZ_FLAGS) \
		$(B)/fuzz/corpus-log test/fuzz/log test/data
	$(Q)$(B)/fuzz/fuzz-writer -max_total_time=$(FUZZ_SECONDS) \
		-max_len=4096 -artifact_prefix=$(B)/fuzz/ \
		-print_final_stats=1 $(FUZZ_FLAGS) $(B)/fuzz/corpus-writer \
		test/fuzz/writer
	$(Q)$(B)/fuzz/fuzz-symbolize -max_total_time=$(FUZZ_SECONDS) \
		-max_len=511 -timeout=10 -artifact_prefix=$(B)/fuzz/ \
		-print_final_stats=1 $(FUZZ_FLAGS) $(B)/fuzz/corpus-symbolize \
		test/fuzz/symbolize

# The manual's generated parts: the knob tables (from preload/config.def)
# and the options of flaketrap run (from its --help). make docs rewrites
# them in place; check-docs fails, with the difference, when the committed
# pages differ (test/t9200-docs.sh runs the same checks in make check).
# The manual pages render with no warning of groff's or man's.
PYTHON ?= /usr/bin/python3
MAN_PAGES := man/flaketrap.1 man/libflaketrap.7
.PHONY: docs check-docs install-man uninstall-man
docs: $(TOOL)
	$(Q)$(PYTHON) docs/gen.py --tool $(TOOL)
check-docs: $(TOOL)
	$(Q)$(PYTHON) docs/gen.py --check --tool $(TOOL)
	$(Q)$(PYTHON) docs/check-links.py
	$(Q)test/check-man.sh $(MAN_PAGES)

# Called by install: each page in its section under MANDIR.
install-man:
	$(INSTALL) -D -m 644 man/flaketrap.1 $(DESTDIR)$(MANDIR)/man1/flaketrap.1
	$(INSTALL) -D -m 644 man/libflaketrap.7 \
		$(DESTDIR)$(MANDIR)/man7/libflaketrap.7
uninstall-man:
	rm -f $(DESTDIR)$(MANDIR)/man1/flaketrap.1 \
		$(DESTDIR)$(MANDIR)/man7/libflaketrap.7

# Installs what is missing, and nothing when all is there.
# valgrind: t3300 runs the library under memcheck (skipped without it);
# bash-completion: t9100 runs our completion with its helpers.
DEB_PACKAGES := build-essential libunwind-dev libjemalloc-dev libjemalloc2 libdw-dev \
	python3 perl faketime libpython3.11-testsuite valgrind bash-completion
# The per-test blame integrations' tests (t6300): GoogleTest and pytest.
DEB_PACKAGES += libgtest-dev python3-pytest
# groff-base and man-db: the manual pages' check (t9200, make check-docs).
DEB_PACKAGES += groff-base man-db
# strace: t3000 sees which system calls the end of a process makes.
DEB_PACKAGES += strace
# Only for make fuzz: clang and its runtimes (libFuzzer, ASan, UBSan), too
# heavy for every CI run.
FUZZ_PACKAGES := clang libclang-rt-dev
fuzz-deps:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES='$(FUZZ_PACKAGES)'
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq $$missing; \
	else echo "deps: all Debian packages present"; fi

install: all install-man
	$(INSTALL) -D -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap.so
	$(INSTALL) -D -m 644 $(WARP) $(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap-warp.so
	$(INSTALL) -D -m 644 $(CHAOS) $(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap-chaos.so
	$(INSTALL) -D -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/flaketrap
	$(INSTALL) -D -m 644 preload/flaketrap.supp \
		$(DESTDIR)$(DATADIR)/flaketrap/flaketrap.supp
	$(INSTALL) -D -m 644 tools/flaketrap.bash-completion \
		$(DESTDIR)$(BASH_COMPLETION_DIR)/flaketrap
	$(INSTALL) -D -m 644 $(PYTHON_HOOK) \
		$(DESTDIR)$(LIBDIR)/flaketrap/python/sitecustomize.py
	if [ "$(PYTHON_BYTECODE)" = yes ] && [ -x /usr/bin/python3 ]; then \
		/usr/bin/python3 -m compileall -q \
			-d $(LIBDIR)/flaketrap/python \
			$(DESTDIR)$(LIBDIR)/flaketrap/python; fi
	$(INSTALL) -D -m 644 include/flaketrap.h \
		$(DESTDIR)$(INCLUDEDIR)/flaketrap.h
	$(INSTALL) -D -m 644 include/flaketrap/gtest.h \
		$(DESTDIR)$(INCLUDEDIR)/flaketrap/gtest.h

uninstall: uninstall-man
	rm -f $(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap.so \
		$(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap-warp.so \
		$(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap-chaos.so \
		$(DESTDIR)$(BINDIR)/flaketrap \
		$(DESTDIR)$(DATADIR)/flaketrap/flaketrap.supp \
		$(DESTDIR)$(BASH_COMPLETION_DIR)/flaketrap \
		$(DESTDIR)$(LIBDIR)/flaketrap/python/sitecustomize.py \
		$(DESTDIR)$(INCLUDEDIR)/flaketrap.h \
		$(DESTDIR)$(INCLUDEDIR)/flaketrap/gtest.h
	rm -rf $(DESTDIR)$(LIBDIR)/flaketrap/python/__pycache__
	-rmdir $(DESTDIR)$(LIBDIR)/flaketrap/python 2>/dev/null
	-rmdir $(DESTDIR)$(INCLUDEDIR)/flaketrap 2>/dev/null
	-rmdir $(DESTDIR)$(LIBDIR)/flaketrap 2>/dev/null
	-rmdir $(DESTDIR)$(DATADIR)/flaketrap 2>/dev/null

# A Debian package (debian/), built from the files git tracks as they are
# in the work tree (uncommitted changes included, untracked files not), in
# a copy under $(B)/deb so that the build never sees $(B) or a local
# config.mak; then lintian, which fails on an error.
PACKAGING_PACKAGES := debhelper dpkg-dev lintian
DEB_TREE := $(B)/deb/flaketrap-$(VERSION)
DEB_FILE := $(B)/deb/flaketrap_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null).deb
deb-deps:
	@$(MAKE) --no-print-directory deps \
		DEB_PACKAGES='$(PACKAGING_PACKAGES) libunwind-dev libdw-dev'
deb:
	rm -rf $(B)/deb && mkdir -p $(DEB_TREE)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		tree=$$(git stash create) && \
		git archive --format=tar $${tree:-HEAD} | tar -x -C $(DEB_TREE); \
	else \
		tar -c --exclude=./$(B) --exclude=./config.mak . | \
			tar -x -C $(DEB_TREE); \
	fi
	cd $(DEB_TREE) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error --info $(DEB_FILE)
	@echo "deb: $(DEB_FILE)"

# Installs the package (as root, with apt to pull its dependencies), runs
# the installed command under its installed library, and removes it.
check-deb: deb
	apt-get install -y -qq ./$(DEB_FILE)
	test/check-deb.sh
	apt-get remove -y -qq flaketrap

clean:
	rm -rf $(B) $(LIB) $(WARP) $(CHAOS) $(TOOL) preload/python/__pycache__
