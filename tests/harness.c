/* SPDX-License-Identifier: MIT */
/*
 * Kernel integration test harness (see harness.h): Criterion failures around sandbox.c
 * (namespaces, processes by pidfd, netd's notify socket), shell helpers, netd control,
 * inotify/ip-monitor driven waits.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "harness.h"

/* Bound for a netd still running at the end of a test to exit after SIGTERM (LSan included). */
#define LEAVE_MS 10000

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* ---- processes, tracked by pidfd (sandbox.c); every one is killed in sandbox_leave() ---- */

static struct proc procs[64];
static size_t n_procs;

/* Fork and exec argv (see proc_spawn()). Returns the proc index. */
static size_t spawn(char *const argv[], int out_fd, int err_fd, const char *notify)
{
	int r;

	cr_assert(n_procs < ARRAY_SIZE(procs), "too many processes started by one test");
	r = proc_spawn(argv, out_fd, err_fd, notify, &procs[n_procs]);
	cr_assert(r == 0, "spawn %s: %s", argv[0], strerror(-r));
	return n_procs++;
}

/* Wait (bounded) for proc i to exit. Returns its status, or -1 on timeout. */
static int wait_proc(size_t i, int timeout_ms)
{
	int r = proc_wait(&procs[i], timeout_ms);

	cr_assert(r >= 0 || r == -ETIME || r == -EINTR, "waitid: %s", strerror(-r));
	return r < 0 ? -1 : r;
}

static void kill_proc(size_t i)
{
	(void)proc_stop(&procs[i], SIGKILL, 5000);
}

/* ---- shell ---------------------------------------------------------------------------- */

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	cr_assert(vasprintf(&s, fmt, ap) >= 0, "out of memory");
	return s;
}

/* Run cmd with stdout to out_fd (-1: inherit) and wait. */
static int run_sh(const char *cmd, int out_fd)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	size_t i = spawn(argv, out_fd, -1, NULL);
	int r = wait_proc(i, -1);

	proc_done(&procs[i]);
	/* Finished short-lived shells free their slot when they are the last one. */
	if (i == n_procs - 1)
		n_procs--;
	return r;
}

int sh(const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *cmd = NULL;
	_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	va_start(ap, fmt);
	cmd = vfmt(fmt, ap);
	va_end(ap);
	return run_sh(cmd, null);
}

void sh_ok(const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *cmd = NULL;
	int r;

	va_start(ap, fmt);
	cmd = vfmt(fmt, ap);
	va_end(ap);
	r = run_sh(cmd, -1);
	if (r != 0) {
		netd_dump_log();
		cr_assert_fail("command failed (status %d): %s", r, cmd);
	}
}

static char *vsh_out(const char *fmt, va_list ap)
{
	_cleanup_free_ char *cmd = vfmt(fmt, ap);
	char path[] = TEST_DIR "/out.XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);
	char *out;
	int r;

	cr_assert(fd >= 0, "mkostemp: %s", strerror(errno));
	r = run_sh(cmd, fd);
	close(fd);
	out = file_read(path);
	(void)unlink(path);
	if (r != 0) {
		netd_dump_log();
		cr_assert_fail("command failed (status %d): %s\noutput: %s", r, cmd, strna(out));
	}
	cr_assert(out, "cannot read output of %s", cmd);
	return out;
}

char *sh_out(const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = vsh_out(fmt, ap);
	va_end(ap);
	return out;
}

long sh_num(const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *out = NULL;
	char *end;
	long n;

	va_start(ap, fmt);
	out = vsh_out(fmt, ap);
	va_end(ap);
	errno = 0;
	n = strtol(out, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	cr_assert(errno == 0 && end != out && *end == '\0', "expected a number, got '%s'", out);
	return n;
}

char *file_read(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *p = realloc(buf, len + n + 1);

		cr_assert(p, "out of memory");
		buf = p;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	if (!buf) {
		buf = strdup("");
		cr_assert(buf, "out of memory");
	}
	buf[len] = '\0';
	return buf;
}

void file_write(const char *path, const char *text)
{
	_cleanup_free_ char *tmp = NULL;
	FILE *f;

	cr_assert(asprintf(&tmp, "%s.tmp", path) >= 0, "out of memory");
	f = fopen(tmp, "we");
	cr_assert(f, "open %s: %s", tmp, strerror(errno));
	cr_assert(fputs(text, f) >= 0 && fclose(f) == 0, "write %s: %s", tmp, strerror(errno));
	cr_assert(rename(tmp, path) == 0, "rename %s: %s", path, strerror(errno));
}

/* ---- netd ------------------------------------------------------------------------------ */

static struct {
	bool started;
	size_t proc;
	int notify_fd;
	struct netd_status last;
	bool log_dumped;
	size_t log_dumped_len; /* bytes of NETD_LOG printed by netd_dump_log() */
} nd = { .notify_fd = -1 };

void netd_dump_log(void)
{
	_cleanup_free_ char *log = NULL;

	if (nd.log_dumped)
		return;
	nd.log_dumped = true;
	log = file_read(NETD_LOG);
	nd.log_dumped_len = log ? strlen(log) : 0;
	fprintf(stderr, "---- %s ----\n%s---- end of netd log ----\n", NETD_LOG,
		log ? log : "(none)\n");
	/* and the kernel state the test saw, to tell which part of a condition failed */
	(void)run_sh("exec >&2; echo '---- kernel state'; ip -br link; ip -br addr; ip route; "
		     "ip -6 route; for n in $(ls /run/netns 2>/dev/null); do echo \"-- netns $n\"; "
		     "ip -n $n -br addr; ip -n $n route; ip -n $n -6 route; done; "
		     "echo '---- end of kernel state'",
		     -1);
}

void netd_spawn(const char *conf, const char *extra)
{
	_cleanup_free_ char *args = NULL;
	int r;

	/* NETD_TEST_ARGS (e.g. "--log-level debug") is added to every netd a test starts. */
	cr_assert(asprintf(&args, "%s %s", extra ? extra : "", getenv("NETD_TEST_ARGS") ?: "") >= 0,
		  "out of memory");

	cr_assert(!nd.started || !proc_running(&procs[nd.proc]), "netd already running");
	if (conf)
		file_write(NETD_CONF, conf);
	r = notify_open(NOTIFY_PATH, &nd.notify_fd);
	cr_assert(r == 0, "notify socket %s: %s", NOTIFY_PATH, strerror(-r));
	cr_assert(n_procs < ARRAY_SIZE(procs), "too many processes started by one test");
	r = netd_exec(getenv("NETD"), NETD_CONF, STATE_DIR, args, NETD_LOG, NOTIFY_PATH,
		      &procs[n_procs]);
	cr_assert(r == 0, "spawn %s: %s", getenv("NETD"), strerror(-r));
	nd.proc = n_procs++;
	nd.started = true;
	nd.last = (struct netd_status){ 0 };
	nd.log_dumped = false;
}

bool netd_alive(void)
{
	return nd.started && proc_running(&procs[nd.proc]);
}

pid_t netd_pid(void)
{
	cr_assert(nd.started, "netd not started");
	return procs[nd.proc].pid;
}

struct netd_status netd_last_status(void)
{
	return nd.last;
}

static void netd_died(const char *waiting_for)
{
	int st = wait_proc(nd.proc, 0);

	netd_dump_log();
	cr_assert_fail("netd exited (status %d) while waiting for %s", st, waiting_for);
}

/*
 * Receive one notify message into buf (bounded). Returns 1 with a message, 0 on timeout.
 * netd exiting fails the test unless a message is still queued.
 */
static int notify_recv(unsigned long long deadline, char *buf, size_t len, const char *what)
{
	int r = notify_wait(nd.notify_fd, &procs[nd.proc].pidfd, 1, deadline, buf, len, &nd.last);

	cr_assert(r >= 0, "poll: %s", strerror(-r));
	if (r & NOTIFY_MESSAGE)
		return 1;
	if (r & NOTIFY_EXITED(0))
		netd_died(what);
	return 0;
}

struct netd_status netd_status_now(void)
{
	char buf[4096];

	cr_assert(nd.started, "netd not started");
	while (poll(&(struct pollfd){ .fd = nd.notify_fd, .events = POLLIN }, 1, 0) > 0)
		(void)notify_recv(now_usec(), buf, sizeof(buf), "queued notify messages");
	return nd.last;
}

struct netd_status netd_wait_ready(int timeout_ms)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	char buf[4096];

	cr_assert(nd.started, "netd not started");
	for (;;) {
		if (!notify_recv(deadline, buf, sizeof(buf), "READY=1")) {
			netd_dump_log();
			cr_assert_fail("netd sent no READY=1 within %d ms (last status: %s)",
				       timeout_ms, netd_status_str(&nd.last));
		}
		if (text_has_line(buf, "READY=1")) {
			struct netd_status s = netd_status_parse(buf);

			return s.valid ? s : nd.last;
		}
	}
}

struct netd_status netd_start(const char *conf, const char *extra)
{
	netd_spawn(conf, extra);
	return netd_wait_ready(WAIT_MS);
}

static long counter(const struct netd_status *s, const char *key)
{
	if (streq(key, "configured"))
		return s->configured;
	if (streq(key, "pending"))
		return s->pending;
	if (streq(key, "failed"))
		return s->failed;
	if (streq(key, "unmanaged"))
		return s->unmanaged;
	if (streq(key, "writes"))
		return s->writes;
	if (streq(key, "reloads"))
		return s->reloads;
	if (streq(key, "rejected"))
		return s->rejected;
	cr_assert_fail("unknown STATUS counter %s", key);
	return -1;
}

static struct netd_status wait_counter(const char *key, long value, bool above, int timeout_ms)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	char buf[4096], what[80];

	snprintf(what, sizeof(what), "STATUS %s%s%ld", key, above ? ">" : "=", value);
	while (!nd.last.valid ||
	       (above ? counter(&nd.last, key) <= value : counter(&nd.last, key) != value)) {
		if (!notify_recv(deadline, buf, sizeof(buf), what)) {
			netd_dump_log();
			cr_assert_fail("netd did not reach %s within %d ms (last status: %s)", what,
				       timeout_ms, netd_status_str(&nd.last));
		}
	}
	return nd.last;
}

struct netd_status netd_wait_counter(const char *key, long value, int timeout_ms)
{
	return wait_counter(key, value, false, timeout_ms);
}

struct netd_status netd_wait_above(const char *key, long value, int timeout_ms)
{
	return wait_counter(key, value, true, timeout_ms);
}

unsigned long long netd_hup(const char *conf)
{
	unsigned long long t;
	int r;

	cr_assert(netd_alive(), "netd is not running");
	if (conf)
		file_write(NETD_CONF, conf);
	t = now_usec();
	r = proc_signal(&procs[nd.proc], SIGHUP);
	cr_assert(r == 0, "SIGHUP: %s", strerror(-r));
	return t;
}

struct netd_status netd_wait_reload(unsigned long long since, int timeout_ms)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	char buf[4096];
	bool reloading = false;

	for (;;) {
		if (!notify_recv(deadline, buf, sizeof(buf),
				 reloading ? "READY=1 after reload" : "RELOADING=1")) {
			netd_dump_log();
			cr_assert_fail("netd sent no %s within %d ms of SIGHUP (last status: %s)",
				       reloading ? "READY=1 after RELOADING=1" : "RELOADING=1",
				       timeout_ms, netd_status_str(&nd.last));
		}
		if (!reloading && text_has_line(buf, "RELOADING=1")) {
			const char *m = strstr(buf, "MONOTONIC_USEC=");

			if (!m) {
				netd_dump_log();
				cr_assert_fail("RELOADING=1 without MONOTONIC_USEC=: '%s'", buf);
			}
			reloading = strtoull(m + 15, NULL, 10) >= since;
		} else if (reloading && text_has_line(buf, "READY=1")) {
			struct netd_status s = netd_status_parse(buf);

			return s.valid ? s : nd.last;
		}
	}
}

struct netd_status netd_reload(const char *conf)
{
	return netd_wait_reload(netd_hup(conf), WAIT_MS);
}

void netd_stop(void)
{
	int st;

	cr_assert(netd_alive(), "netd is not running");
	st = proc_stop(&procs[nd.proc], SIGTERM, WAIT_MS);
	cr_assert(st >= 0 || st == -ETIME, "SIGTERM: %s", strerror(-st));
	if (st != 0) {
		netd_dump_log();
		if (st < 0)
			cr_assert_fail("netd did not exit within %d ms of SIGTERM", WAIT_MS);
		cr_assert_fail("netd exited with status %d after SIGTERM, expected 0", st);
	}
}

void netd_kill(void)
{
	int st;

	cr_assert(netd_alive(), "netd is not running");
	st = proc_stop(&procs[nd.proc], SIGKILL, WAIT_MS);
	cr_assert_eq(st, 128 + SIGKILL, "netd did not die of SIGKILL: %d", st);
}

/* The part of NETD_LOG that netd_dump_log() has not printed yet. */
static void netd_dump_log_rest(void)
{
	_cleanup_free_ char *log = NULL;

	if (!nd.log_dumped) {
		netd_dump_log();
		return;
	}
	log = file_read(NETD_LOG);
	if (log && strlen(log) > nd.log_dumped_len)
		fprintf(stderr, "---- %s (continued) ----\n%s---- end of netd log ----\n", NETD_LOG,
			log + nd.log_dumped_len);
}

/*
 * A netd still running when the test ends gets SIGTERM, not SIGKILL, and must exit 0: under
 * SANITIZE=1 LeakSanitizer scans at exit, writes its report to netd's stderr (NETD_LOG) and
 * makes the exit status non-zero. cr_expect, not cr_assert: the other processes must still be
 * killed after a failure.
 */
static void netd_leave(void)
{
	int st = proc_stop(&procs[nd.proc], SIGTERM, LEAVE_MS);

	if (st == 0)
		return;
	netd_dump_log_rest();
	if (st < 0)
		cr_expect_fail("netd did not exit within %d ms of SIGTERM at the end of the test "
			       "(%s)",
			       LEAVE_MS, st == -ETIME ? "timeout" : strerror(-st));
	else
		cr_expect_fail("netd exited with status %d after SIGTERM at the end of the test, "
			       "expected 0 (a sanitizer report, if any, is in its log above)",
			       st);
}

int netd_run(char **ret_err, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *args = NULL, *cmd = NULL;
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	size_t i;
	int st;

	va_start(ap, fmt);
	args = vfmt(fmt, ap);
	va_end(ap);
	cr_assert(asprintf(&cmd, "exec \"$NETD\" %s 2>%s/run.err", args, TEST_DIR) >= 0, "oom");
	argv[2] = cmd;
	i = spawn(argv, -1, -1, NULL);
	st = wait_proc(i, WAIT_MS);
	if (st < 0) {
		kill_proc(i);
		cr_assert_fail("netd %s did not exit within %d ms", args, WAIT_MS);
	}
	if (ret_err)
		*ret_err = file_read(TEST_DIR "/run.err");
	return st;
}

/* ---- sandbox ------------------------------------------------------------------------- */

void sandbox_enter(void)
{
	const char *step = "sandbox";
	int r = sandbox_unshare(TEST_DIR, &step);

	cr_assert(r == 0, "sandbox (%s): %s: %s", TEST_DIR, step, strerror(-r));
	cr_assert(getenv("NETD") && getenv("NETD")[0] == '/',
		  "NETD must name the netd binary by absolute path");
}

static struct monitor *watches[8];
static size_t n_watches;

void sandbox_leave(void)
{
	if (netd_alive())
		netd_leave();
	for (size_t i = 0; i < n_procs; i++) {
		kill_proc(i);
		proc_done(&procs[i]);
	}
	n_procs = 0;
	n_watches = 0;
}

/*
 * Criterion (2.4) settles a test's result when its body returns, before .fini runs: a failed
 * cr_expect in sandbox_leave() is printed but the test still counts as passed. Count such
 * tests as failed before the Synthesis line and the exit status are derived from these
 * counters (the runner calls POST_ALL hooks first).
 */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	for (struct criterion_suite_stats *ss = stats->suites; ss; ss = ss->next)
		for (struct criterion_test_stats *ts = ss->tests; ts; ts = ts->next) {
			if (ts->test_status != CR_STATUS_PASSED || ts->failed_asserts == 0)
				continue;
			ts->test_status = CR_STATUS_FAILED;
			ss->tests_passed--;
			ss->tests_failed++;
			stats->tests_passed--;
			stats->tests_failed++;
			fprintf(stderr, "[FAIL] %s::%s: failed in .fini (see the messages above)\n",
				ss->suite->name, ts->test->name);
		}
}

/* ---- state files ------------------------------------------------------------------------ */

static char *state_path(const char *dir, const char *name)
{
	char *p = NULL;

	cr_assert(asprintf(&p, "%s/%s.state", dir, name) >= 0, "oom");
	return p;
}

char *state_get(const char *dir, const char *name, const char *key)
{
	_cleanup_free_ char *path = state_path(dir, name);
	_cleanup_free_ char *text = file_read(path);
	size_t n = strlen(key);

	if (!text)
		return NULL;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, key, n) == 0 && l[n] == '=')
			return strdup(l + n + 1);
	return NULL;
}

bool state_exists(const char *dir, const char *name)
{
	_cleanup_free_ char *path = state_path(dir, name);

	return access(path, F_OK) == 0;
}

/* Wait on inotify in dir until done(content of path, want) holds; fail with the last content. */
static void wait_path(const char *dir, const char *path, const char *want, int timeout_ms,
		      bool (*done)(const char *text, const char *want))
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	_cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	char ev[4096];

	cr_assert(ifd >= 0, "inotify_init1: %s", strerror(errno));
	(void)mkdir(dir, 0755);
	cr_assert(inotify_add_watch(ifd, dir,
				    IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE |
					    IN_MOVED_FROM | IN_MODIFY) >= 0,
		  "inotify_add_watch %s: %s", dir, strerror(errno));
	for (;;) {
		_cleanup_free_ char *text = file_read(path);
		struct pollfd pfd[3] = { { .fd = ifd, .events = POLLIN }, { .fd = -1 }, { .fd = -1 } };
		char buf[1024];
		int r;

		if (done(text, want))
			return;
		if (nd.started && !procs[nd.proc].reaped)
			pfd[1] = (struct pollfd){ .fd = procs[nd.proc].pidfd, .events = POLLIN };
		/* Keep netd's notify queue drained while we watch files: STATUS= is remembered. */
		if (nd.notify_fd >= 0)
			pfd[2] = (struct pollfd){ .fd = nd.notify_fd, .events = POLLIN };
		r = poll(pfd, 3, remaining_ms(deadline));
		if (r > 0 && (pfd[2].revents & POLLIN))
			(void)notify_recv(now_usec(), buf, sizeof(buf), want);
		if (r == 0) {
			netd_dump_log();
			cr_assert_fail("%s: expected %s within %d ms; last content:\n%s", path, want,
				       timeout_ms, text ? text : "(no file)");
		}
		if (pfd[1].revents & POLLIN) {
			_cleanup_free_ char *again = file_read(path);

			if (done(again, want))
				return;
			netd_died(want);
		}
		while (read(ifd, ev, sizeof(ev)) > 0)
			;
	}
}

static void wait_dir(const char *dir, const char *name, const char *want, int timeout_ms,
		     bool (*done)(const char *text, const char *want))
{
	_cleanup_free_ char *path = state_path(dir, name);

	wait_path(dir, path, want, timeout_ms, done);
}

static bool is_text(const char *text, const char *want)
{
	return streq_ptr(text, want);
}

static bool exists(const char *text, const char *want)
{
	return text != NULL;
}

void wait_exists(const char *dir, const char *file, int timeout_ms)
{
	_cleanup_free_ char *path = NULL;

	cr_assert(asprintf(&path, "%s/%s", dir, file) >= 0);
	wait_path(dir, path, "the file to exist", timeout_ms, exists);
}

void wait_file(const char *dir, const char *file, const char *text, int timeout_ms)
{
	_cleanup_free_ char *path = NULL;

	cr_assert(asprintf(&path, "%s/%s", dir, file) >= 0);
	wait_path(dir, path, text, timeout_ms, is_text);
}

static bool has_state(const char *text, const char *want)
{
	return text && text_has_line(text, want);
}

static bool is_gone(const char *text, const char *want)
{
	return !text;
}

void wait_state(const char *dir, const char *name, const char *state, int timeout_ms)
{
	char want[64];

	snprintf(want, sizeof(want), "STATE=%s", state);
	wait_dir(dir, name, want, timeout_ms, has_state);
}

void wait_state_gone(const char *dir, const char *name, int timeout_ms)
{
	wait_dir(dir, name, "the file to be removed", timeout_ms, is_gone);
}

/* ---- containers --------------------------------------------------------------------------- */

void ct_add(const char *name, bool bridged, bool with_netns)
{
	const char *pfx = bridged ? "vb" : "ve";

	if (with_netns)
		sh_ok("ip netns add %s && ip link add %s-%s type veth peer name host0 netns %s", name,
		      pfx, name, name);
	else
		sh_ok("ip link add %s-%s type veth peer name vp-%s", pfx, name, name);
}

/* ---- ip monitor ---------------------------------------------------------------------------- */

struct monitor {
	char ns[64]; /* "" for the host */
	char path[128];
	size_t proc;
	int ifd; /* inotify on path */
	unsigned sentinel;
};

static unsigned sentinel_seq;

/* Wait until the monitor file has a line containing a (and b); false after timeout_ms. */
static bool monitor_wait_line(struct monitor *m, const char *a, const char *b, int timeout_ms)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	char ev[4096];

	for (;;) {
		_cleanup_free_ char *text = file_read(m->path);
		struct pollfd pfd = { .fd = m->ifd, .events = POLLIN };

		for (char *l = text ? strtok(text, "\n") : NULL; l; l = strtok(NULL, "\n"))
			if (strstr(l, a) && (!b || strstr(l, b)))
				return true;
		cr_assert(proc_running(&procs[m->proc]), "ip monitor %s exited", m->ns);
		if (poll(&pfd, 1, remaining_ms(deadline)) == 0)
			return false;
		while (read(m->ifd, ev, sizeof(ev)) > 0)
			;
	}
}

static void sentinel_addr(unsigned k, char *buf, size_t len)
{
	snprintf(buf, len, "198.18.%u.%u/32", k / 250, k % 250 + 1);
}

struct monitor *monitor_start(const char *netns)
{
	static unsigned seq;
	struct monitor *m = calloc(1, sizeof(*m));
	char *argv[12];
	size_t n = 0;
	_cleanup_close_ int fd = -1;
	char addr[32];

	cr_assert(m, "oom");
	snprintf(m->ns, sizeof(m->ns), "%s", netns ? netns : "");
	snprintf(m->path, sizeof(m->path), TEST_DIR "/monitor-%u.log", seq++);
	sh_ok("ip %s link show hsent0 >/dev/null 2>&1 || "
	      "ip %s link add hsent0 type veth peer name hsent1",
	      q_nsopt(netns), q_nsopt(netns));
	fd = open(m->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert(fd >= 0, "open %s: %s", m->path, strerror(errno));
	m->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	cr_assert(m->ifd >= 0 && inotify_add_watch(m->ifd, m->path, IN_MODIFY) >= 0,
		  "inotify on %s: %s", m->path, strerror(errno));
	argv[n++] = "ip";
	if (*m->ns) {
		argv[n++] = "-n";
		argv[n++] = m->ns;
	}
	argv[n++] = "-o";
	argv[n++] = "monitor";
	argv[n++] = "link";
	argv[n++] = "address";
	argv[n++] = "route";
	argv[n] = NULL;
	m->proc = spawn(argv, fd, -1, NULL);
	/*
	 * Prove the monitor is subscribed before the test acts: a sentinel change must show up.
	 * There is no event for "ip has joined the groups", so a change made before that is
	 * lost; then the next attempt uses a fresh sentinel address. Bounded: 50 x 200 ms.
	 */
	for (unsigned attempt = 0;; attempt++) {
		cr_assert(attempt < 50, "ip monitor in '%s' reports no events", m->ns);
		m->sentinel = sentinel_seq++;
		sentinel_addr(m->sentinel, addr, sizeof(addr));
		sh_ok("ip %s addr add %s dev hsent0", q_nsopt(netns), addr);
		if (monitor_wait_line(m, addr, NULL, 200))
			return m;
		sh_ok("ip %s addr del %s dev hsent0", q_nsopt(netns), addr);
	}
}

char *monitor_sync_stop(struct monitor *m)
{
	char addr[32];
	_cleanup_free_ char *text = NULL;
	char *out, *o;

	sentinel_addr(m->sentinel, addr, sizeof(addr));
	/* Events reach every listener in order: once the deletion of the sentinel is in the
	 * file, every earlier event in this namespace is too. */
	sh_ok("ip %s addr del %s dev hsent0", q_nsopt(m->ns), addr);
	cr_assert(monitor_wait_line(m, "Deleted", addr, WAIT_MS),
		  "ip monitor in '%s' did not report the sentinel %s within %d ms", m->ns, addr,
		  WAIT_MS);
	kill_proc(m->proc);
	close(m->ifd);
	text = file_read(m->path);
	cr_assert(text, "cannot read %s", m->path);
	out = o = calloc(1, strlen(text) + 1);
	cr_assert(out, "oom");
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (strstr(l, "hsent"))
			continue;
		o = stpcpy(stpcpy(o, l), "\n");
	}
	free(m);
	return out;
}

void watch_ns(const char *netns)
{
	for (size_t i = 0; i < n_watches; i++)
		if (streq(watches[i]->ns, netns ? netns : ""))
			return;
	cr_assert(n_watches < ARRAY_SIZE(watches), "too many watches");
	watches[n_watches++] = monitor_start(netns);
}

void wait_cond(int timeout_ms, const char *fmt, ...)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	_cleanup_free_ char *cond = NULL;
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	cond = vfmt(fmt, ap);
	va_end(ap);
	for (;;) {
		struct pollfd pfd[2 + ARRAY_SIZE(watches)];
		size_t n = 0;
		int r;

		if (sh("%s", cond) == 0)
			return;
		if (nd.started && !procs[nd.proc].reaped) {
			pfd[n++] = (struct pollfd){ .fd = nd.notify_fd, .events = POLLIN };
			pfd[n++] = (struct pollfd){ .fd = procs[nd.proc].pidfd, .events = POLLIN };
		}
		for (size_t i = 0; i < n_watches; i++)
			pfd[n++] = (struct pollfd){ .fd = watches[i]->ifd, .events = POLLIN };
		r = poll(pfd, n, remaining_ms(deadline));
		if (r == 0) {
			netd_dump_log();
			cr_assert_fail("condition did not hold within %d ms (netd status: %s): %s",
				       timeout_ms, netd_status_str(&nd.last), cond);
		}
		if (nd.started && !procs[nd.proc].reaped) {
			if (pfd[0].revents & POLLIN)
				(void)notify_recv(now_usec(), buf, sizeof(buf), cond);
			if ((pfd[1].revents & POLLIN) && !(pfd[0].revents & POLLIN)) {
				if (sh("%s", cond) == 0)
					return;
				netd_died(cond);
			}
		}
		for (size_t i = 0; i < n_watches; i++)
			while (read(watches[i]->ifd, buf, sizeof(buf)) > 0)
				;
	}
}

bool ping_ok(const char *netns, const char *addr)
{
	const char *v6 = strchr(addr, ':') ? "6" : "";

	if (netns)
		return sh("ip netns exec %s busybox ping%s -c 1 -W 2 %s", netns, v6, addr) == 0;
	return sh("busybox ping%s -c 1 -W 2 %s", v6, addr) == 0;
}

/* ---- fuzz corpus --------------------------------------------------------------------------- */

size_t corpus_replay(const char *name, void (*fn)(const char *file, const uint8_t *data,
						 size_t len))
{
	const char *srcdir = getenv("SRCDIR");
	_cleanup_(closedirp) DIR *d = NULL;
	char dirpath[512], path[1024];
	struct dirent *de;
	size_t n = 0;

	snprintf(dirpath, sizeof(dirpath), "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".", name);
	d = opendir(dirpath);
	cr_assert_not_null(d, "cannot open %s", dirpath);
	while ((de = readdir(d))) {
		static uint8_t data[(1 << 16) + 1];
		size_t size;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		f = fopen(path, "re");
		cr_assert_not_null(f, "%s", path);
		size = fread(data, 1, sizeof(data) - 1, f);
		cr_expect_not(ferror(f), "%s", path);
		fclose(f);
		data[size] = 0;
		fn(de->d_name, data, size);
		n++;
	}
	return n;
}

void harness_rta_put(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}
