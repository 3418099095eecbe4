# SPDX-License-Identifier: MIT
# netd, spawn and their shared proto library.
#
#   make                 build proto/libproto.a and netd/netd
#   make check           build and run every test (unit, fuzz regression, kernel integration)
#   make check SANITIZE=1  the same under ASan+UBSan (objects go to build/san)
#   make demo            run netd on config.example in a throw-away namespace
#   make bench           netd against one `ip` fork per step (BENCH_LINKS, default 2000)
#   make fuzz            run each libFuzzer target for FUZZ_SECONDS (default 60)
#   make install         binaries, units, man pages, config example: PREFIX=/usr/local DESTDIR=
#                        (BINDIR SBINDIR SYSCONFDIR MANDIR UNITDIR for each place on its own)

VERSION := 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
FUZZ_SECONDS ?= 60

PKG_CONFIG ?= pkg-config
PKGS := libmnl libnftnl libsystemd

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -DNETD_VERSION=\"$(VERSION)\" -Iproto -Inetd
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN)

ifeq ($(SANITIZE),1)
B := build/san
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
B := .
endif

# Debian packages the targets below need; `make deps` installs what is missing.
DEPS_BUILD := gcc make pkg-config libmnl-dev libsystemd-dev libnftnl-dev
DEPS_TEST := libcriterion-dev iproute2 nftables inotify-tools busybox-static jq \
	systemd procps groff-base man-db mandoc
DEPS_FUZZ := clang libfuzzer-14-dev

PROTO_SRC := $(wildcard proto/*.c)
NETD_SRC := $(wildcard netd/*.c)
NETD_LIB_SRC := $(filter-out netd/main.c,$(NETD_SRC))
UNIT_TESTS := conf ifname state nlmsg reconcile link forward
KERNEL_TESTS := nl netd reload heal burst churn nft
TESTS := $(UNIT_TESTS) $(KERNEL_TESTS)

PROTO_OBJ := $(PROTO_SRC:%.c=$(B)/%.o)
NETD_LIB_OBJ := $(NETD_LIB_SRC:%.c=$(B)/%.o)
LIBPROTO := $(B)/proto/libproto.a
LIBNETD := $(B)/netd/libnetd.a
NETD := $(B)/netd/netd
TEST_BINS := $(TESTS:%=$(B)/tests/test-%)
SANDBOX_OBJ := $(B)/tests/sandbox.o
HARNESS_OBJ := $(B)/tests/harness.o $(B)/tests/query.o $(SANDBOX_OBJ)
BENCH := $(if $(filter 1,$(SANITIZE)),build/san,build)/bench/bench

LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS))
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))

all: $(LIBPROTO) $(NETD)

# V=1 shows the commands.
ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-6s %s\n'
endif

$(B)/%.o: %.c $(wildcard proto/*.h netd/*.h tests/*.h tests/fuzz/*.c)
	@mkdir -p $(dir $@)
	$(say) CC $@
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

# Rebuilt from scratch, so that objects of removed sources do not linger in the archive.
$(LIBPROTO): $(PROTO_OBJ)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBNETD): $(NETD_LIB_OBJ)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(NETD): $(B)/netd/main.o $(LIBNETD) $(LIBPROTO)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/test-%: $(B)/tests/test-%.o $(HARNESS_OBJ) $(LIBNETD) $(LIBPROTO)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcriterion

tests: $(TEST_BINS) $(NETD)

deps:
	@tests/install-deps $(DEPS_BUILD) $(DEPS_TEST)

check: deps
	@$(MAKE) --no-print-directory tests
	@tests/check-structure $(B)
	@MAKE="$(MAKE)" tests/check-units
	@NETD=$(abspath $(NETD)) SRCDIR=$(CURDIR) tests/run-tests $(TEST_BINS)

# libFuzzer targets: built with clang, run for FUZZ_SECONDS each; crashers land in
# tests/fuzz/corpus/NAME and are replayed by test-conf / test-nlmsg.
FUZZ_TARGETS := conf nlmsg
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/fuzz-%)
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(PROTO_SRC) $(wildcard proto/*.h)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(PKG_CFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(PROTO_SRC) $(LIBS)

fuzz: deps
	@tests/install-deps $(DEPS_FUZZ)
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p tests/fuzz/corpus/$$t build/fuzz/work-$$t && \
		echo "fuzz-$$t: $(FUZZ_SECONDS)s" && \
		build/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=tests/fuzz/corpus/$$t/ \
			build/fuzz/work-$$t tests/fuzz/corpus/$$t >build/fuzz/fuzz-$$t.log 2>&1 || \
			{ tail -n 40 build/fuzz/fuzz-$$t.log; exit 1; }; \
		tail -n 1 build/fuzz/fuzz-$$t.log; \
	done

demo: deps
	@$(MAKE) --no-print-directory $(NETD)
	@NETD=$(abspath $(NETD)) tests/demo config.example

# No Criterion and no harness: libc, proto/util.h and tests/sandbox.o (shared with the harness).
$(BENCH): $(B)/tests/bench.o $(SANDBOX_OBJ)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

bench: deps
	@$(MAKE) --no-print-directory $(NETD) $(BENCH)
	@NETD=$(abspath $(NETD)) $(BENCH)

# Config parse + check on generated configs of 1,000 and 10,000 containers: no root, no netd.
# It runs first in `make bench`.
BENCH_CONF := $(dir $(BENCH))bench-conf
$(BENCH_CONF): $(B)/tests/bench-conf.o $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

bench-conf: $(BENCH_CONF)
	@$(BENCH_CONF)

bench: bench-conf
.PHONY: bench-conf

# The units and man pages with the install paths and version filled in. Made again by every
# `make install`, since PREFIX and the other places may differ from the last one.
GEN := build/gen
UNITS := $(GEN)/netd.service $(GEN)/spawn@.service
MAN8 := $(GEN)/netd.8 $(GEN)/spawn.8
MAN5 := $(GEN)/netd.conf.5
SUBST := sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@VERSION@|$(VERSION)|g'

$(GEN)/%: units/%.in FORCE
	@mkdir -p $(dir $@)
	$(Q)$(SUBST) $< >$@

$(GEN)/%: man/%.in FORCE
	@mkdir -p $(dir $@)
	$(Q)$(SUBST) $< >$@

# spawn and netdctl are built by their own parts of this Makefile; each binary is installed
# when it has been built. spawn@.service names $(SBINDIR)/spawn either way.
SPAWN := $(B)/spawn/spawn
NETDCTL := $(B)/netdctl/netdctl

install: $(NETD) $(UNITS) $(MAN8) $(MAN5)
	install -D -m 0755 $(NETD) $(DESTDIR)$(SBINDIR)/netd
	if [ -e $(SPAWN) ]; then install -D -m 0755 $(SPAWN) $(DESTDIR)$(SBINDIR)/spawn; fi
	if [ -e $(NETDCTL) ]; then install -D -m 0755 $(NETDCTL) $(DESTDIR)$(BINDIR)/netdctl; fi
	install -D -m 0644 config.example $(DESTDIR)$(SYSCONFDIR)/netd/netd.conf.example
	install -D -m 0644 -t $(DESTDIR)$(UNITDIR) $(UNITS)
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(MAN8)
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man5 $(MAN5)

clean:
	rm -rf build proto/*.o proto/*.a netd/*.o netd/*.a netd/netd tests/*.o tests/test-*[!.c]

format:
	clang-format -i proto/*.[ch] netd/*.[ch] tests/*.[ch] tests/fuzz/*.c

.PHONY: all deps check tests fuzz demo bench install clean format FORCE
.DELETE_ON_ERROR:
.SECONDARY:
