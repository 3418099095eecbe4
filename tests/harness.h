/* SPDX-License-Identifier: MIT */
/*
 * Kernel integration test harness: the namespace sandbox, shell helpers, netd process
 * control over the sd_notify socket, event-driven waits (inotify, ip monitor, pidfd) and
 * kernel-state queries built on `ip -j` + jq (query.c). The Criterion-free parts (sandbox,
 * pidfds, notify socket, struct netd_status) are in sandbox.h, shared with bench.c.
 *
 * Every helper that cannot do its job fails the current Criterion test (cr_assert_fail) with
 * a message saying what was expected and what was last seen, and prints netd's log. Nothing
 * here sleeps: every wait is a poll() on events with a bound.
 *
 * Strings returned by q_*() live in a small static ring (valid for the next 16 calls); strings
 * returned by sh_out(), file_read() and state_get() are malloc'ed and owned by the caller.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#include "sandbox.h"
#include "util.h"

#define TEST_DIR "/run/test"
#define NETD_CONF TEST_DIR "/netd.conf"
#define NETD_LOG TEST_DIR "/netd.log"
#define NOTIFY_PATH TEST_DIR "/notify"
#define STATE_DIR "/run/netd"

/* Container x, host-address mode, v4 + v6 (q_ct("x", "10.0.0.1", "10.0.0.2", "fd00::1",
 * "fd00::2") holds once it is configured). */
#define CT_X                          \
	"[Container x]\n"             \
	"PrivateNetwork=yes\n"        \
	"HostAddress=10.0.0.1\n"      \
	"LocalAddress=10.0.0.2\n"     \
	"HostAddress6=fd00::1\n"      \
	"LocalAddress6=fd00::2\n"

/* Default bound for waits, in milliseconds. */
#define WAIT_MS 20000

/*
 * Enter a fresh network + mount namespace (mount propagation private, tmpfs on /run, sysfs
 * of the new netns on /sys, lo up). Fails the test on any error: a test never runs in the
 * host namespaces. Use it as the .init of every kernel suite.
 */
void sandbox_enter(void);
/*
 * .fini: a netd still running gets SIGTERM and must exit 0 within 10 s, else the test fails
 * and netd's log is printed (under SANITIZE=1 that is how leaks are reported). Then every
 * other process the harness started that still runs is killed (SIGKILL, by pidfd).
 */
void sandbox_leave(void);

/* Run `/bin/sh -c CMD` (stdout discarded, stderr kept). Returns the exit status, 128+sig. */
int sh(const char *fmt, ...) _printf_(1, 2);
/* Same, stdout kept; fails the test unless the status is 0. */
void sh_ok(const char *fmt, ...) _printf_(1, 2);
/* Run and capture stdout (malloc'ed, owned by caller); fails the test unless the status is 0. */
char *sh_out(const char *fmt, ...) _printf_(1, 2);
/* Run, capture stdout and parse it as one integer; fails the test otherwise. */
long sh_num(const char *fmt, ...) _printf_(1, 2);

/* Whole file as a malloc'ed string, or NULL when it cannot be read. */
char *file_read(const char *path);
/* Atomically replace path with text (temp file + rename). */
void file_write(const char *path, const char *text);

/*
 * Write conf to NETD_CONF (when not NULL), bind NOTIFY_PATH, spawn $NETD --config NETD_CONF
 * --state-dir STATE_DIR EXTRA (EXTRA is split on spaces; may be NULL), stderr appended to
 * NETD_LOG. Does not wait.
 */
void netd_spawn(const char *conf, const char *extra);
/* netd_spawn() + netd_wait_ready(WAIT_MS). */
struct netd_status netd_start(const char *conf, const char *extra);
/* Wait for a READY=1 message (bounded); fails if netd exits. Returns the status it carried. */
struct netd_status netd_wait_ready(int timeout_ms);
/* Wait until STATUS counter key (e.g. "configured") equals value. */
struct netd_status netd_wait_counter(const char *key, long value, int timeout_ms);
/* Wait until STATUS counter key is greater than value. */
struct netd_status netd_wait_above(const char *key, long value, int timeout_ms);
/* The last STATUS seen on the notify socket. */
struct netd_status netd_last_status(void);
/* The same after reading every message already queued on the notify socket. */
struct netd_status netd_status_now(void);
/*
 * SIGHUP reload: write conf first when not NULL, then signal, wait for RELOADING=1 with
 * MONOTONIC_USEC not before the signal, then READY=1. Returns the READY status.
 */
struct netd_status netd_reload(const char *conf);
/* Only the signalling half: write conf, record the time, SIGHUP. Returns the time (usec). */
unsigned long long netd_hup(const char *conf);
/* The waiting half: RELOADING=1 with MONOTONIC_USEC >= since, then READY=1. */
struct netd_status netd_wait_reload(unsigned long long since, int timeout_ms);
/* SIGTERM, wait (bounded) and assert exit status 0. */
void netd_stop(void);
/* SIGKILL, wait (bounded) and assert netd died of it: nothing of it cleans up. */
void netd_kill(void);
/* True while the running netd has not exited. */
bool netd_alive(void);
pid_t netd_pid(void);
/* Print NETD_LOG to stderr (done automatically when a harness wait fails). */
void netd_dump_log(void);
/* Run $NETD ARGS to completion (bounded), stderr captured into *ret_err (may be NULL). */
int netd_run(char **ret_err, const char *fmt, ...) _printf_(2, 3);

/* Wait (inotify on dir, bounded) until DIR/NAME.state has STATE=state. */
void wait_state(const char *dir, const char *name, const char *state, int timeout_ms);
/* Wait (inotify on dir, bounded) until DIR/FILE exists (and can be read). */
void wait_exists(const char *dir, const char *file, int timeout_ms);
/* Wait (inotify on dir, bounded) until DIR/FILE holds exactly text. */
void wait_file(const char *dir, const char *file, const char *text, int timeout_ms);
/* Wait until DIR/NAME.state does not exist. */
void wait_state_gone(const char *dir, const char *name, int timeout_ms);
/* Value of KEY in DIR/NAME.state (malloc'ed) or NULL. */
char *state_get(const char *dir, const char *name, const char *key);
bool state_exists(const char *dir, const char *name);

/*
 * Create the links a container start creates: `ip netns add NAME` when with_netns, then
 * ve-NAME (vb-NAME when bridged) with peer host0 in the netns, or with peer vp-NAME in the
 * host namespace when there is no netns.
 */
void ct_add(const char *name, bool bridged, bool with_netns);

/*
 * ip monitor capture. monitor_start() starts `ip [-n NETNS] -o monitor link address route`
 * into a file and returns once it provably receives events (a sentinel address change on a
 * dedicated veth pair hsent0/hsent1 in that namespace shows up). monitor_sync_stop() makes a
 * second sentinel change, waits until it shows up (so every earlier event is in the file),
 * kills the monitor and returns the captured lines without sentinel lines (malloc'ed; "" when
 * nothing happened).
 */
struct monitor;
struct monitor *monitor_start(const char *netns);
char *monitor_sync_stop(struct monitor *m);

/*
 * Keep a monitor running in NETNS (NULL: host) as an event source for wait_cond(). Idempotent.
 */
void watch_ns(const char *netns);

/*
 * Call fn with the bytes of every file in $SRCDIR/tests/fuzz/corpus/NAME (NUL-terminated
 * beyond len, for text parsers). Returns how many files there were.
 */
size_t corpus_replay(const char *name, void (*fn)(const char *file, const uint8_t *data,
						 size_t len));
/*
 * Wait until the shell condition exits 0. It is evaluated now and again after each event:
 * a notify message from netd, a line from any watch_ns() monitor, netd exiting. Fails with
 * the condition and the last seen status after timeout_ms.
 */
void wait_cond(int timeout_ms, const char *fmt, ...) _printf_(2, 3);

/* One ping from NETNS (NULL: host) to addr (v4 or v6); returns true when answered. */
bool ping_ok(const char *netns, const char *addr);

/* "-n NS" for an ip command line, or "" for the host (ns NULL or ""); 4 static buffers. */
const char *q_nsopt(const char *ns);

/*
 * Shell conditions (exit 0 when true) for sh()/wait_cond(); ns NULL means the host.
 *   q_addr:  dev carries addr with prefix (e.g. "10.0.0.1/32")
 *   q_noaddr: dev does not carry that address (any prefix)
 *   q_route: a main-table route to dst as `ip -j route` prints it ("10.0.0.2", "default",
 *            "10.5.0.0/24") out of dev, with gateway gw (NULL: none)
 *   q_noroute: no route to dst out of dev
 *   q_up:    dev has IFF_UP; q_master: dev is enslaved to master
 *   q_link:  dev exists
 */
const char *q_addr(const char *ns, const char *dev, const char *addr);
const char *q_noaddr(const char *ns, const char *dev, const char *addr);
const char *q_route(const char *ns, const char *dst, const char *dev, const char *gw);
const char *q_noroute(const char *ns, const char *dst, const char *dev);
const char *q_up(const char *ns, const char *dev);
/*
 * The kernel's own late events about the link have landed: operstate UP (reported up to a
 * second after the link came up) and its IPv6 link-local address past DAD (about a second
 * more). An ip monitor capture started after that holds only what others do.
 */
const char *q_settled(const char *ns, const char *dev);
const char *q_master(const char *dev, const char *master);
const char *q_nomaster(const char *dev);
const char *q_link(const char *ns, const char *dev);

/*
 * Container NAME fully configured in host-address mode: ve-NAME up with h4 (and h6), a route
 * to l4 (l6) through it; eth0 in netns NAME up with l4 (l6), a route to h4 (h6) and a default
 * route via h4 (h6). Plain addresses without prefix (the addresses are expected as /32, /128).
 * h4 or h6 may be NULL to skip that family.
 */
const char *q_ct(const char *name, const char *h4, const char *l4, const char *h6, const char *l6);

/* Append a route attribute (type, len bytes of data) to a hand-built netlink message. */
struct nlmsghdr;
void harness_rta_put(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len);

/* Check a shell condition now; prints the condition when it does not hold. */
#define expect_sh(cond)                                                                        \
	do {                                                                                   \
		const char *_c_ = (cond);                                                      \
		cr_expect(sh("%s", _c_) == 0, "expected to hold: %s", _c_);                    \
	} while (0)
#define assert_sh(cond)                                                                        \
	do {                                                                                   \
		const char *_c_ = (cond);                                                      \
		if (sh("%s", _c_) != 0) {                                                      \
			netd_dump_log();                                                       \
			cr_assert_fail("expected to hold: %s", _c_);                           \
		}                                                                              \
	} while (0)
