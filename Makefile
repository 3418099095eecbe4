# SPDX-License-Identifier: MIT
# netd, spawn and their shared proto library.
#
#   make                 build proto/libproto.a and netd/netd
#   make check           build and run every test (unit, fuzz regression, kernel integration)
#   make check SANITIZE=1  the same under ASan+UBSan (objects go to build/san)
#   make demo            run netd on config.example in a throw-away namespace
#   make bench           netd against the seed, the floor and networkd (QUICK=1: a subset)
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
# coexist/ (networkd and NetworkManager leave ve-*/vb-* to netd; README): systemd-udevd and
# systemd-networkd read /usr/lib and /usr/local/lib alike
NETWORKDIR ?= $(PREFIX)/lib/systemd/network
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
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
UNIT_TESTS := conf nixos ifname state nlmsg reconcile link forward
KERNEL_TESTS := nl netd reload heal burst churn nft coexist netdctl fwd
TESTS := $(UNIT_TESTS) $(KERNEL_TESTS)

PROTO_OBJ := $(PROTO_SRC:%.c=$(B)/%.o)
NETD_LIB_OBJ := $(NETD_LIB_SRC:%.c=$(B)/%.o)
LIBPROTO := $(B)/proto/libproto.a
LIBNETD := $(B)/netd/libnetd.a
NETD := $(B)/netd/netd
TEST_BINS := $(TESTS:%=$(B)/tests/test-%)
SANDBOX_OBJ := $(B)/tests/sandbox.o
HARNESS_OBJ := $(B)/tests/harness.o $(B)/tests/query.o $(B)/tests/traffic.o $(SANDBOX_OBJ)
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

# netdctl: reads the state directory; links proto only (no libnetd, no libsystemd). Its
# test links its modules (all but main.c) to check the formatting without a kernel.
BINDIR ?= $(PREFIX)/bin
NETDCTL := $(B)/netdctl/netdctl
NETDCTL_OBJ := $(patsubst %.c,$(B)/%.o,$(filter-out netdctl/main.c,$(wildcard netdctl/*.c)))
$(NETDCTL_OBJ) $(B)/netdctl/main.o $(B)/tests/test-netdctl.o: CPPFLAGS += -Inetdctl
$(NETDCTL_OBJ) $(B)/netdctl/main.o $(B)/tests/test-netdctl.o: $(wildcard netdctl/*.h)
$(NETDCTL): $(B)/netdctl/main.o $(NETDCTL_OBJ) $(LIBPROTO)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^
$(B)/tests/test-netdctl: $(B)/tests/test-netdctl.o $(NETDCTL_OBJ) $(HARNESS_OBJ) $(LIBPROTO)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lcriterion
all tests: $(NETDCTL)

tests: $(TEST_BINS) $(NETD)

deps:
	@tests/install-deps $(DEPS_BUILD) $(DEPS_TEST)

check: deps
	@$(MAKE) --no-print-directory tests
	@tests/check-structure $(B)
	@MAKE="$(MAKE)" tests/check-units
	@NETD=$(abspath $(NETD)) NETDCTL=$(abspath $(NETDCTL)) SRCDIR=$(CURDIR) \
		tests/run-tests $(TEST_BINS)

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

# No Criterion and no harness: tests/bench-*.c, tests/sandbox.o (shared with the harness) and
# proto (rtnetlink). QUICK=1: a subset for every day; BENCH_* choose N, runs, experiments.
DEPS_BENCH := bubblewrap systemd-container
BENCH_OBJ := $(patsubst %.c,$(B)/%.o,$(filter-out tests/bench-conf.c tests/bench-spawn.c,\
	$(wildcard tests/bench-*.c)))
$(BENCH): $(BENCH_OBJ) $(SANDBOX_OBJ) $(LIBPROTO)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lm

bench: deps
	@tests/install-deps $(DEPS_BENCH)
	@$(MAKE) --no-print-directory $(NETD) $(SPAWN) $(BENCH) $(BENCH_SPAWN)
	@NETD=$(abspath $(NETD)) QUICK=$(QUICK) $(BENCH)
	@NETD=$(abspath $(NETD)) SPAWN=$(abspath $(SPAWN)) \
		$(BENCH_SPAWN) $(or $(BENCH_SPAWN_RUNS),$(if $(filter 1,$(QUICK)),10,50))

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

# SPAWN and NETDCTL are defined with the rules that build them (below, above).
SPAWN := $(B)/spawn/spawn

install: $(NETD) $(SPAWN) $(NETDCTL) $(UNITS) $(MAN8) $(MAN5)
	install -D -m 0755 $(NETD) $(DESTDIR)$(SBINDIR)/netd
	install -D -m 0755 $(SPAWN) $(DESTDIR)$(SBINDIR)/spawn
	install -D -m 0755 $(NETDCTL) $(DESTDIR)$(BINDIR)/netdctl
	install -D -m 0644 config.example $(DESTDIR)$(SYSCONFDIR)/netd/netd.conf.example
	install -D -m 0644 -t $(DESTDIR)$(UNITDIR) $(UNITS)
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(MAN8)
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man5 $(MAN5)
	install -D -m 0644 -t $(DESTDIR)$(NETWORKDIR) coexist/70-netd-containers.link \
		coexist/70-netd-containers.network
	install -D -m 0644 -t $(DESTDIR)$(UDEVRULESDIR) coexist/90-netd-containers.rules

clean:
	rm -rf build proto/*.o proto/*.a netdctl/*.o netdctl/netdctl netd/*.o netd/*.a netd/netd tests/*.o tests/test-*[!.c]

# ---- spawn: the per-container spawner (spawn/, its unit, its tests) -------------------------
SPAWN_SRC := $(wildcard spawn/*.c)
SPAWN_LIB_OBJ := $(patsubst %.c,$(B)/%.o,$(filter-out spawn/main.c,$(SPAWN_SRC)))
LIBSPAWN := $(B)/spawn/libspawn.a
SPAWN_TESTS := mount-plan spawn
SPAWN_TEST_BINS := $(SPAWN_TESTS:%=$(B)/tests/test-%)
TEST_BINS += $(SPAWN_TEST_BINS)
CPPFLAGS += -iquote spawn

$(SPAWN_LIB_OBJ) $(B)/spawn/main.o $(SPAWN_TEST_BINS:%=%.o): $(wildcard spawn/*.h)

$(LIBSPAWN): $(SPAWN_LIB_OBJ)
	$(say) AR $@
	$(Q)$(AR) rcs $@ $^

$(SPAWN): $(B)/spawn/main.o $(LIBSPAWN) $(LIBPROTO)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(SPAWN_TEST_BINS): $(B)/tests/test-%: $(B)/tests/test-%.o $(HARNESS_OBJ) $(LIBSPAWN) $(LIBNETD) $(LIBPROTO)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcriterion

all: $(SPAWN)
tests: $(SPAWN_TEST_BINS) $(SPAWN)
demo: $(SPAWN)

# spawn's start-to-exec time next to unshare and bwrap (BENCH_SPAWN_RUNS, default 50).
BENCH_SPAWN := $(if $(filter 1,$(SANITIZE)),build/san,build)/bench/bench-spawn
$(BENCH_SPAWN): $(B)/tests/bench-spawn.o $(SANDBOX_OBJ)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

bench-spawn: deps
	@$(MAKE) --no-print-directory $(NETD) $(SPAWN) $(BENCH_SPAWN)
	@NETD=$(abspath $(NETD)) SPAWN=$(abspath $(SPAWN)) BENCH_SPAWN=$(BENCH_SPAWN) tests/bench-spawn

clean-spawn:
	rm -f spawn/*.o spawn/*.a spawn/spawn
clean: clean-spawn

.PHONY: bench-spawn clean-spawn
# ---- end of spawn ---------------------------------------------------------------------------

format:
	clang-format -i proto/*.[ch] netd/*.[ch] netdctl/*.[ch] tests/*.[ch] tests/fuzz/*.c

.PHONY: all deps check tests fuzz demo bench install clean format FORCE
.DELETE_ON_ERROR:
.SECONDARY:
