/* SPDX-License-Identifier: MIT */
/*
 * Kernel integration test harness (see harness.h): sandbox, processes by pidfd, netd's
 * notify socket, inotify/ip-monitor driven waits and `ip -j | jq` queries.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* ---- processes, tracked by pidfd ---------------------------------------------------- */

struct proc {
	pid_t pid;
	int pidfd;
	bool reaped;
	int status; /* waitid-style: exit code, or 128+signal */
};

static struct proc procs[64];
static size_t n_procs;

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static unsigned long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

static int remaining_ms(unsigned long long deadline)
{
	unsigned long long now = now_usec();

	return now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
}

/*
 * Fork and exec argv with stdout/stderr on the given fds (-1: inherit). The child dies with
 * us (PDEATHSIG) so a test killed on timeout leaves nothing running. Returns the proc index.
 */
static size_t spawn(char *const argv[], int out_fd, int err_fd, const char *notify)
{
	pid_t parent = getpid();
	pid_t pid;
	struct proc *p;

	cr_assert(n_procs < ARRAY_SIZE(procs), "too many processes started by one test");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (out_fd >= 0)
			(void)dup2(out_fd, STDOUT_FILENO);
		if (err_fd >= 0)
			(void)dup2(err_fd, STDERR_FILENO);
		if (notify)
			(void)setenv("NOTIFY_SOCKET", notify, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	p = &procs[n_procs];
	*p = (struct proc){ .pid = pid, .pidfd = pidfd_open_(pid) };
	cr_assert(p->pidfd >= 0, "pidfd_open: %s", strerror(errno));
	return n_procs++;
}

static int decode_status(const siginfo_t *si)
{
	return si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
}

/* Wait (bounded) for proc i to exit. Returns its status, or -1 on timeout. */
static int proc_wait(size_t i, int timeout_ms)
{
	struct proc *p = &procs[i];
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
	siginfo_t si = { 0 };

	if (p->reaped)
		return p->status;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	cr_assert(waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED) == 0, "waitid: %s",
		  strerror(errno));
	p->reaped = true;
	p->status = decode_status(&si);
	return p->status;
}

static void proc_kill(size_t i)
{
	if (procs[i].reaped)
		return;
	(void)pidfd_signal(procs[i].pidfd, SIGKILL);
	(void)proc_wait(i, 5000);
}

static bool proc_running(size_t i)
{
	struct pollfd pfd = { .fd = procs[i].pidfd, .events = POLLIN };

	return !procs[i].reaped && poll(&pfd, 1, 0) == 0;
}

/* ---- sandbox ------------------------------------------------------------------------- */

void sandbox_enter(void)
{
	/* Order matters: the mount namespace is made private before anything is mounted, so
	 * neither the tmpfs on /run nor ip-netns bind mounts propagate to the host. */
	cr_assert(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0, "unshare(NEWNET|NEWNS): %s",
		  strerror(errno));
	cr_assert(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0,
		  "make / rprivate: %s", strerror(errno));
	cr_assert(mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0,
		  "tmpfs on /run: %s", strerror(errno));
	/* A sysfs of the new netns, so /sys/class/net matches what netlink says. */
	cr_assert(mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0,
		  "sysfs on /sys: %s", strerror(errno));
	cr_assert(mkdir(TEST_DIR, 0755) == 0, "mkdir " TEST_DIR ": %s", strerror(errno));
	cr_assert(sh("ip link set lo up") == 0, "ip link set lo up failed");
	cr_assert(getenv("NETD") && getenv("NETD")[0] == '/',
		  "NETD must name the netd binary by absolute path");
}

static struct monitor *watches[8];
static size_t n_watches;

void sandbox_leave(void)
{
	for (size_t i = 0; i < n_procs; i++) {
		proc_kill(i);
		procs[i].pidfd = safe_close(procs[i].pidfd);
	}
	n_procs = 0;
	n_watches = 0;
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
	int r = proc_wait(i, -1);

	procs[i].pidfd = safe_close(procs[i].pidfd);
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
} nd = { .notify_fd = -1 };

struct netd_status netd_status_parse(const char *msg)
{
	struct netd_status s = { 0 };
	const char *p = msg;

	/* STATUS= at the start of a line */
	while (p && strncmp(p, "STATUS=", 7) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return s;
	s.valid = sscanf(p + 7,
			 "configured=%ld pending=%ld failed=%ld unmanaged=%ld writes=%ld "
			 "reloads=%ld rejected=%ld",
			 &s.configured, &s.pending, &s.failed, &s.unmanaged, &s.writes, &s.reloads,
			 &s.rejected) == 7;
	return s;
}

const char *netd_status_str(const struct netd_status *s)
{
	static char buf[4][200];
	static unsigned k;
	char *b = buf[k++ % 4];

	if (!s->valid)
		return "(no STATUS seen)";
	snprintf(b, sizeof(buf[0]),
		 "configured=%ld pending=%ld failed=%ld unmanaged=%ld writes=%ld reloads=%ld "
		 "rejected=%ld",
		 s->configured, s->pending, s->failed, s->unmanaged, s->writes, s->reloads,
		 s->rejected);
	return b;
}

static bool has_line(const char *msg, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = msg; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

void netd_dump_log(void)
{
	_cleanup_free_ char *log = NULL;

	if (nd.log_dumped)
		return;
	nd.log_dumped = true;
	log = file_read(NETD_LOG);
	fprintf(stderr, "---- %s ----\n%s---- end of netd log ----\n", NETD_LOG,
		log ? log : "(none)\n");
	/* and the kernel state the test saw, to tell which part of a condition failed */
	(void)run_sh("exec >&2; echo '---- kernel state'; ip -br link; ip -br addr; ip route; "
		     "ip -6 route; for n in $(ls /run/netns 2>/dev/null); do echo \"-- netns $n\"; "
		     "ip -n $n -br addr; ip -n $n route; ip -n $n -6 route; done; "
		     "echo '---- end of kernel state'",
		     -1);
}

static void notify_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = NOTIFY_PATH };
	char buf[4096];

	if (nd.notify_fd >= 0) {
		/* Forget what a previous netd said. */
		while (recv(nd.notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		return;
	}
	nd.notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert(nd.notify_fd >= 0, "socket: %s", strerror(errno));
	(void)unlink(NOTIFY_PATH);
	cr_assert(bind(nd.notify_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind %s: %s",
		  NOTIFY_PATH, strerror(errno));
}

void netd_spawn(const char *conf, const char *extra)
{
	char *argv[32];
	size_t n = 0;
	_cleanup_free_ char *ex = NULL;
	_cleanup_close_ int log = -1;
	char *save = NULL;

	/* NETD_TEST_ARGS (e.g. "--log-level debug") is added to every netd a test starts. */
	cr_assert(asprintf(&ex, "%s %s", extra ? extra : "", getenv("NETD_TEST_ARGS") ?: "") >= 0);

	cr_assert(!nd.started || !proc_running(nd.proc), "netd already running");
	if (conf)
		file_write(NETD_CONF, conf);
	notify_open();
	log = open(NETD_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	cr_assert(log >= 0, "open %s: %s", NETD_LOG, strerror(errno));
	dprintf(log, "==== netd --config %s --state-dir %s %s\n", NETD_CONF, STATE_DIR,
		extra ? extra : "");
	argv[n++] = getenv("NETD");
	argv[n++] = "--config";
	argv[n++] = NETD_CONF;
	argv[n++] = "--state-dir";
	argv[n++] = STATE_DIR;
	for (char *t = ex ? strtok_r(ex, " ", &save) : NULL; t && n < ARRAY_SIZE(argv) - 1;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	nd.proc = spawn(argv, log, log, NOTIFY_PATH);
	nd.started = true;
	nd.last = (struct netd_status){ 0 };
	nd.log_dumped = false;
}

bool netd_alive(void)
{
	return nd.started && proc_running(nd.proc);
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
	int st = proc_wait(nd.proc, 0);

	netd_dump_log();
	cr_assert_fail("netd exited (status %d) while waiting for %s", st, waiting_for);
}

/*
 * Receive one notify message into buf (bounded). Returns 1 with a message, 0 on timeout.
 * netd exiting fails the test unless a message is still queued.
 */
static int notify_recv(unsigned long long deadline, char *buf, size_t len, const char *what)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = nd.notify_fd, .events = POLLIN },
			{ .fd = procs[nd.proc].pidfd, .events = POLLIN },
		};
		ssize_t n;
		int r = poll(pfd, 2, remaining_ms(deadline));

		cr_assert(r >= 0 || errno == EINTR, "poll: %s", strerror(errno));
		if (r == 0)
			return 0;
		if (pfd[0].revents & POLLIN) {
			n = recv(nd.notify_fd, buf, len - 1, MSG_DONTWAIT);
			if (n < 0)
				continue;
			buf[n] = '\0';
			struct netd_status s = netd_status_parse(buf);
			if (s.valid)
				nd.last = s;
			return 1;
		}
		if (pfd[1].revents & POLLIN)
			netd_died(what);
	}
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
		if (has_line(buf, "READY=1")) {
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

	cr_assert(netd_alive(), "netd is not running");
	if (conf)
		file_write(NETD_CONF, conf);
	t = now_usec();
	cr_assert(pidfd_signal(procs[nd.proc].pidfd, SIGHUP) == 0, "SIGHUP: %s", strerror(errno));
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
		if (!reloading && has_line(buf, "RELOADING=1")) {
			const char *m = strstr(buf, "MONOTONIC_USEC=");

			if (!m) {
				netd_dump_log();
				cr_assert_fail("RELOADING=1 without MONOTONIC_USEC=: '%s'", buf);
			}
			reloading = strtoull(m + 15, NULL, 10) >= since;
		} else if (reloading && has_line(buf, "READY=1")) {
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
	cr_assert(pidfd_signal(procs[nd.proc].pidfd, SIGTERM) == 0, "SIGTERM: %s",
		  strerror(errno));
	st = proc_wait(nd.proc, WAIT_MS);
	if (st != 0) {
		netd_dump_log();
		if (st < 0)
			cr_assert_fail("netd did not exit within %d ms of SIGTERM", WAIT_MS);
		cr_assert_fail("netd exited with status %d after SIGTERM, expected 0", st);
	}
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
	st = proc_wait(i, WAIT_MS);
	if (st < 0) {
		proc_kill(i);
		cr_assert_fail("netd %s did not exit within %d ms", args, WAIT_MS);
	}
	if (ret_err)
		*ret_err = file_read(TEST_DIR "/run.err");
	return st;
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

/* Wait on inotify in dir until done(dir, name, arg) holds; fail with the last content. */
static void wait_dir(const char *dir, const char *name, const char *want, int timeout_ms,
		     bool (*done)(const char *text, const char *want))
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	_cleanup_free_ char *path = state_path(dir, name);
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

static bool has_state(const char *text, const char *want)
{
	return text && has_line(text, want);
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

static const char *nsopt(const char *ns)
{
	static char buf[4][80];
	static unsigned k;
	char *b = buf[k++ % 4];

	if (!ns || !*ns)
		return "";
	snprintf(b, sizeof(buf[0]), "-n %s", ns);
	return b;
}

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
		cr_assert(proc_running(m->proc), "ip monitor %s exited", m->ns);
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
	      nsopt(netns), nsopt(netns));
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
		sh_ok("ip %s addr add %s dev hsent0", nsopt(netns), addr);
		if (monitor_wait_line(m, addr, NULL, 200))
			return m;
		sh_ok("ip %s addr del %s dev hsent0", nsopt(netns), addr);
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
	sh_ok("ip %s addr del %s dev hsent0", nsopt(m->ns), addr);
	cr_assert(monitor_wait_line(m, "Deleted", addr, WAIT_MS),
		  "ip monitor in '%s' did not report the sentinel %s within %d ms", m->ns, addr,
		  WAIT_MS);
	proc_kill(m->proc);
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

/* ---- queries ------------------------------------------------------------------------------- */

static char *qbuf(void)
{
	static char ring[16][4096];
	static unsigned k;

	return ring[k++ % 16];
}

/* Format into the ring. Queries are `out=$(ip ...) && printf %s "$out" | jq -e ...` so that
 * an ip failure (no such device) makes the condition false rather than jq on empty input. */
#define Q(...)                                                  \
	({                                                      \
		char *_b_ = qbuf();                             \
		snprintf(_b_, 4096, __VA_ARGS__);               \
		(const char *)_b_;                              \
	})

const char *q_addr(const char *ns, const char *dev, const char *addr)
{
	char a[64];
	const char *slash = strchr(addr, '/');
	int plen = slash ? atoi(slash + 1) : (strchr(addr, ':') ? 128 : 32);

	snprintf(a, sizeof(a), "%.*s", slash ? (int)(slash - addr) : (int)strlen(addr), addr);
	return Q("out=$(ip %s -j addr show dev %s) && printf '%%s' \"$out\" | jq -e --arg a %s "
		 "--argjson p %d 'any(.[].addr_info[]?; .local==$a and .prefixlen==$p)' >/dev/null",
		 nsopt(ns), dev, a, plen);
}

const char *q_noaddr(const char *ns, const char *dev, const char *addr)
{
	char a[64];
	const char *slash = strchr(addr, '/');

	snprintf(a, sizeof(a), "%.*s", slash ? (int)(slash - addr) : (int)strlen(addr), addr);
	return Q("out=$(ip %s -j addr show dev %s) && printf '%%s' \"$out\" | jq -e --arg a %s "
		 "'all(.[].addr_info[]?; .local!=$a)' >/dev/null",
		 nsopt(ns), dev, a);
}

static const char *family(const char *dst, const char *gw)
{
	return strchr(dst, ':') || (gw && strchr(gw, ':')) ? "-6" : "-4";
}

const char *q_route(const char *ns, const char *dst, const char *dev, const char *gw)
{
	return Q("out=$(ip %s -j %s route show table main) && printf '%%s' \"$out\" | jq -e "
		 "--arg d %s --arg dev %s --arg gw '%s' "
		 "'any(.[]; .dst==$d and .dev==$dev and (.gateway // \"\")==$gw)' >/dev/null",
		 nsopt(ns), family(dst, gw), dst, dev, gw ? gw : "");
}

const char *q_noroute(const char *ns, const char *dst, const char *dev)
{
	return Q("out=$(ip %s -j %s route show table main) && printf '%%s' \"$out\" | jq -e "
		 "--arg d %s --arg dev %s 'all(.[]; .dst!=$d or .dev!=$dev)' >/dev/null",
		 nsopt(ns), family(dst, NULL), dst, dev);
}

const char *q_up(const char *ns, const char *dev)
{
	return Q("out=$(ip %s -j link show dev %s) && printf '%%s' \"$out\" | jq -e "
		 "'any(.[0].flags[]; .==\"UP\")' >/dev/null",
		 nsopt(ns), dev);
}

const char *q_master(const char *dev, const char *master)
{
	return Q("out=$(ip -j link show dev %s) && printf '%%s' \"$out\" | jq -e --arg m %s "
		 "'.[0].master==$m' >/dev/null",
		 dev, master);
}

const char *q_link(const char *ns, const char *dev)
{
	return Q("ip %s link show dev %s >/dev/null 2>&1", nsopt(ns), dev);
}

const char *q_ct(const char *name, const char *h4, const char *l4, const char *h6, const char *l6)
{
	char b[4096], ve[32];
	int n = 0;

	/* built in a local buffer: the parts come from the same ring as the result */
	snprintf(ve, sizeof(ve), "ve-%s", name);
	n += snprintf(b + n, sizeof(b) - n, "%s && %s && %s", q_up(NULL, ve), q_link(name, "eth0"),
		      q_up(name, "eth0"));
	if (h4)
		n += snprintf(b + n, sizeof(b) - n, " && %s && %s && %s && %s && %s",
			      q_addr(NULL, ve, h4), q_route(NULL, l4, ve, NULL),
			      q_addr(name, "eth0", l4), q_route(name, h4, "eth0", NULL),
			      q_route(name, "default", "eth0", h4));
	if (h6)
		n += snprintf(b + n, sizeof(b) - n, " && %s && %s && %s && %s && %s",
			      q_addr(NULL, ve, h6), q_route(NULL, l6, ve, NULL),
			      q_addr(name, "eth0", l6), q_route(name, h6, "eth0", NULL),
			      q_route(name, "default", "eth0", h6));
	cr_assert(n < (int)sizeof(b), "query too long");
	return strcpy(qbuf(), b);
}
