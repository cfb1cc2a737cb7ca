# flaketrap: a hand-written GNU make file (musl spirit).
# Local overrides go in config.mak (git-ignored). `make V=1` shows commands.

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
BINDIR  ?= $(PREFIX)/bin
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
ifneq ($(filter check check-exports,$(MAKECMDGOALS)),)
DEVELOPER ?= 1
endif

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CPPFLAGS) $(CFLAGS)
ifeq ($(DEVELOPER),1)
ALL_CFLAGS += -Werror
endif
ALL_CFLAGS += -DFT_VERSION='"$(VERSION)"'

# SANITIZE=address,undefined instruments the tool and the unit tests (never
# the preload: a sanitizer runtime cannot be preloaded behind our back).
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

LIB_CFLAGS := $(ALL_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec
LIB_LDFLAGS := -shared -Wl,-soname,libflaketrap.so \
	-Wl,--version-script=preload/exports.map -Wl,-z,defs $(LDFLAGS)
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
TOOL := tools/flaketrap

# Pure modules: no wrapper, no real-function pointer; linked by the tool and
# the unit tests as they are.
PURE_SRC := preload/config.c preload/fmt.c preload/prng.c preload/timespec.c
LIB_SRC := $(wildcard preload/*.c)
LIB_ASM := $(wildcard preload/*.S)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/pic/%.o) $(LIB_ASM:%.S=$(B)/pic/%.o)
PURE_OBJ := $(PURE_SRC:%.c=$(B)/obj/%.o)
WARP_SRC := $(wildcard preload/warp/*.c) preload/timespec.c
WARP_OBJ := $(WARP_SRC:%.c=$(B)/pic/%.o)
WARP_LDFLAGS := -shared -Wl,-soname,libflaketrap-warp.so \
	-Wl,--version-script=preload/warp/exports.map -Wl,-z,defs $(LDFLAGS)
# The tool's own pure modules, linked by the unit tests too.
TOOL_PURE_OBJ := $(B)/obj/tools/json.o $(B)/obj/tools/junk.o
TOOL_SRC := $(wildcard tools/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(wildcard test/unit/u-*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(B)/test/unit/%)
HELPER_SRC := $(wildcard test/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:test/helpers/%.c=$(B)/test/helpers/%)
FIXTURE_SRC := $(wildcard test/fixtures/*.c)
FIXTURE_BIN := $(FIXTURE_SRC:test/fixtures/%.c=$(B)/test/fixtures/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
HEADERS := $(wildcard preload/*.h preload/*.def preload/warp/*.h \
	preload/warp/*.def tools/*.h test/*.h)

.PHONY: all check check-exports check-cpython test-programs demo bench deps \
	install uninstall clean

all: $(LIB) $(WARP) $(TOOL)

# Changing flags rebuilds everything (git's GIT-CFLAGS).
$(B)/FLAGS: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $(LIBDIR)' > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@
.PHONY: FORCE
FORCE:

$(B)/pic/%.o: %.c $(HEADERS) $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(B)/pic/%.o: %.S $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(B)/obj/%.o: %.c $(HEADERS) $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -DFT_LIBDIR='"$(LIBDIR)"' -c -o $@ $<

$(LIB): $(LIB_OBJ) preload/exports.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LIB_CFLAGS) $(LIB_LDFLAGS) -o $@ $(LIB_OBJ) $(LIB_LIBS)

$(WARP): $(WARP_OBJ) preload/warp/exports.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LIB_CFLAGS) $(WARP_LDFLAGS) -o $@ $(WARP_OBJ) $(LIB_LIBS)

# libdw: file:line in `flaketrap report` (the tool only, never the preload).
TOOL_LIBS := -ldw

$(TOOL): $(TOOL_OBJ) $(PURE_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(TOOL_LIBS)

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
$(B)/test/fixtures/lib%.so: test/fixtures/lib/%.c $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -g -fPIC -shared -pthread $(LDFLAGS) -o $@ $<

FIXTURE_LIBS := $(patsubst test/fixtures/lib/%.c,$(B)/test/fixtures/lib%.so,$(wildcard test/fixtures/lib/*.c))

test-programs: $(UNIT_BIN) $(HELPER_BIN) $(FIXTURE_BIN) $(FIXTURE_LIBS)

check-exports: $(LIB) $(WARP)
	$(Q)test/check-exports.sh $(LIB) preload/exports.map
	$(Q)test/check-exports-warp.sh $(WARP) preload/warp/exports.map $(LIB)

# A sanitized flaketrap may itself run under the preload (nested runs):
# the ASan runtime then is not first in the list, which is fine here.
check: all test-programs check-exports
	$(Q)$(if $(SAN_FLAGS),ASAN_OPTIONS=verify_asan_link_order=0) \
		$(PROVE) -j$$(nproc) test/t[0-9]*.sh $(UNIT_BIN)

demo: all $(B)/test/fixtures/sleep-sync
	$(Q)test/demo.sh

# CPython's own tests (Debian's python3 and libpython3.11-testsuite),
# plainly and under flaketrap run: any outcome that differs fails. The short
# form by default (CI); FULL=1 runs every module in full. Not part of check.
CPYTHON_CHECK_FLAGS := $(if $(filter-out 0,$(FULL)),--full)
check-cpython: all
	$(Q)/usr/bin/python3 test/cpython/check.py $(CPYTHON_CHECK_FLAGS)

# Timings are measured, never tested: bench is in neither all nor check.
# Its programs are plain optimized builds, as a program under test would be.
$(B)/bench/%: bench/%.c bench/bench.h $(B)/FLAGS
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -O2 -pthread $(LDFLAGS) -o $@ $<

bench: $(LIB) $(WARP) $(TOOL) $(BENCH_BIN)
	$(Q)bench/run.py $(LIB) $(B)/bench

# Installs what is missing, and nothing when all is there.
DEB_PACKAGES := build-essential libunwind-dev libjemalloc-dev libjemalloc2 libdw-dev \
	python3 perl libpython3.11-testsuite
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

install: all
	$(INSTALL) -D -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap.so
	$(INSTALL) -D -m 644 $(WARP) $(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap-warp.so
	$(INSTALL) -D -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/flaketrap

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap.so \
		$(DESTDIR)$(LIBDIR)/flaketrap/libflaketrap-warp.so \
		$(DESTDIR)$(BINDIR)/flaketrap
	-rmdir $(DESTDIR)$(LIBDIR)/flaketrap 2>/dev/null

clean:
	rm -rf $(B) $(LIB) $(WARP) $(TOOL)
