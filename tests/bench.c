/* SPDX-License-Identifier: MIT */
/*
 * `make bench`: netd against what the NixOS scripts do today (one `ip` fork per step), on N
 * container links (BENCH_LINKS, default 2000). Every scenario runs in a child of its own that
 * enters a fresh network + mount namespace. Prints times and ratios against baselines
 * measured in the same run; it asserts nothing about speed, only that each scenario did its
 * work (configured=N, exactly 3N writes, a restart that writes nothing).
 *
 * Standalone (no Criterion): tests/harness.c fails tests with cr_assert, so the few helpers
 * needed here are repeated in small. Nothing sleeps: every wait is a bounded poll() on
 * netd's sd_notify socket or on pidfds.
 */
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define BENCH_DIR "/run/bench"
#define CONF_PATH BENCH_DIR "/netd.conf"
#define BATCH_PATH BENCH_DIR "/links.batch"
#define NOTIFY_PATH BENCH_DIR "/notify"
#define LOG_PATH BENCH_DIR "/netd.log"
#define STATE_DIR "/run/netd"
/* What netd/pass.c logs when its event socket overflowed and it re-reads every link. */
#define RESYNC_LOG_LINE "netlink events were lost"

enum {
	DEFAULT_LINKS = 2000,
	MAX_LINKS = 30000,    /* 10.(100 + I/250).(I%250).x has room for 38,750 */
	FORK_FULL_MAX = 2000, /* above this the fork baseline runs on N/4 links, scaled */
	CONFIGURE_MS = 180000,
	NETD_MS = 30000,   /* READY=1, a reload, exit after SIGTERM */
	BATCH_MS = 120000, /* one ip -batch */
	SCENARIO_MS = 600000,
};

extern char **environ;

static const char *netd_path; /* borrowed: $NETD */
static char ip_path[PATH_MAX];

static _printf_(1, 2) __attribute__((noreturn)) void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

static unsigned long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

static double since_s(unsigned long long t0)
{
	return (double)(now_usec() - t0) / 1e6;
}

static int remaining_ms(unsigned long long deadline)
{
	unsigned long long now = now_usec();

	return now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
}

/* ---- processes, by pidfd -------------------------------------------------------------- */

struct proc {
	pid_t pid;
	int pidfd; /* owned; -1 once reaped */
};

/*
 * fork(); the child dies with its parent (PDEATHSIG), so a scenario that fails or is killed
 * leaves no netd or ip behind. Returns pid 0 in the child.
 */
static struct proc proc_fork(void)
{
	pid_t parent = getpid();
	struct proc p = { .pidfd = -1 };

	fflush(stdout);
	fflush(stderr);
	p.pid = fork();
	if (p.pid < 0)
		die("fork: %m");
	if (p.pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		return p;
	}
	p.pidfd = (int)syscall(SYS_pidfd_open, p.pid, 0);
	if (p.pidfd < 0)
		die("pidfd_open: %m");
	return p;
}

/* out_fd/err_fd: -1 inherits. notify: $NOTIFY_SOCKET for the child, or NULL. */
static struct proc proc_spawn(char *const argv[], int out_fd, int err_fd, const char *notify)
{
	struct proc p = proc_fork();

	if (p.pid == 0) {
		if (out_fd >= 0)
			(void)dup2(out_fd, STDOUT_FILENO);
		if (err_fd >= 0)
			(void)dup2(err_fd, STDERR_FILENO);
		if (notify)
			(void)setenv("NOTIFY_SOCKET", notify, 1);
		execv(argv[0], argv);
		fprintf(stderr, "bench: exec %s: %m\n", argv[0]);
		_exit(127);
	}
	return p;
}

/* Returns the exit status (128+signal when killed), -ETIME after timeout_ms, or -errno. */
static int proc_wait(struct proc *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
	siginfo_t si = { 0 };
	int r = poll(&pfd, 1, timeout_ms);

	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIME;
	if (waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED) < 0)
		return -errno;
	p->pidfd = safe_close(p->pidfd);
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

static int proc_signal(struct proc *p, int sig)
{
	if (syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

static void proc_kill(struct proc *p)
{
	if (p->pidfd < 0)
		return;
	(void)proc_signal(p, SIGKILL);
	(void)proc_wait(p, -1);
}

/*
 * One step of the baseline, the way a shell script runs it: spawn `ip`, wait for it, fail on
 * a non-zero status. posix_spawn (vfork + exec) is a little cheaper than a shell's fork, so
 * the baseline is, if anything, flattered.
 */
static void ip_step(char *const argv[])
{
	pid_t pid;
	int st, r;

	r = posix_spawn(&pid, ip_path, NULL, NULL, argv, environ);
	if (r != 0)
		die("posix_spawn %s: %s", ip_path, strerror(r));
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid: %m");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("%s %s %s %s %s %s failed (status 0x%x)", argv[0], argv[1], argv[2], argv[3],
		    argv[4], argv[5], st);
}

/* `ip -batch BATCH_PATH`, waited for. Returns its run time in seconds. */
static double run_batch(void)
{
	char *argv[] = { ip_path, "-batch", BATCH_PATH, NULL };
	unsigned long long t0 = now_usec();
	struct proc p = proc_spawn(argv, -1, -1, NULL);
	int st = proc_wait(&p, BATCH_MS);

	if (st == -ETIME) {
		proc_kill(&p);
		die("ip -batch did not finish within %d s", BATCH_MS / 1000);
	}
	if (st != 0)
		die("ip -batch %s failed (status %d)", BATCH_PATH, st);
	return since_s(t0);
}

/* ---- sandbox and files ---------------------------------------------------------------- */

static void lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die("lo: %m");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die("set lo up: %m");
}

static void sandbox_enter(void)
{
	/* Order matters: the mount namespace is made private before anything is mounted, so
	 * neither the tmpfs on /run nor anything below it propagates to the host. */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		die("unshare(CLONE_NEWNET|CLONE_NEWNS): %m (the benchmark runs as root)");
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("make / rprivate: %m");
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die("tmpfs on /run: %m");
	/* A sysfs of the new netns, so /sys/class/net matches what netlink says. */
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("sysfs on /sys: %m");
	if (mkdir(BENCH_DIR, 0755) < 0)
		die("mkdir " BENCH_DIR ": %m");
	lo_up();
}

/* Link I: host side ve-cI with 10.(100 + I/250).(I%250).1, container side .2. */
static void link_addr(int i, int host, char *buf, size_t len)
{
	snprintf(buf, len, "10.%d.%d.%d/32", 100 + i / 250, i % 250, host ? 1 : 2);
}

static void write_links_batch(int n)
{
	_cleanup_fclose_ FILE *f = fopen(BATCH_PATH, "we");

	if (!f)
		die("open " BATCH_PATH ": %m");
	for (int i = 0; i < n; i++)
		fprintf(f, "link add ve-c%d type veth peer name p%d\n", i, i);
	if (fflush(f) != 0 || ferror(f))
		die("write " BATCH_PATH ": %m");
}

/* N containers as tests/test-burst.c declares them: unmanaged (no /run/netns), IPv4 only. */
static void write_conf(int n)
{
	_cleanup_fclose_ FILE *f = fopen(CONF_PATH, "we");

	if (!f)
		die("open " CONF_PATH ": %m");
	for (int i = 0; i < n; i++)
		fprintf(f,
			"[Container c%d]\nPrivateNetwork=yes\nHostAddress=10.%d.%d.1\n"
			"LocalAddress=10.%d.%d.2\n\n",
			i, 100 + i / 250, i % 250, 100 + i / 250, i % 250);
	if (fflush(f) != 0 || ferror(f))
		die("write " CONF_PATH ": %m");
}

/* VmHWM (peak resident set) of pid in KiB. */
static long vm_hwm_kib(pid_t pid)
{
	char path[64], line[256];
	_cleanup_fclose_ FILE *f = NULL;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		die("open %s: %m", path);
	while (kib < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) != 1)
			kib = -1;
	if (kib < 0)
		die("no VmHWM in %s", path);
	return kib;
}

/* Lines of netd's log that contain needle. */
static long log_count(const char *needle)
{
	_cleanup_fclose_ FILE *f = fopen(LOG_PATH, "re");
	_cleanup_free_ char *line = NULL;
	size_t len = 0;
	long n = 0;

	if (!f)
		die("open " LOG_PATH ": %m");
	while (getline(&line, &len, f) >= 0)
		n += strstr(line, needle) != NULL;
	return n;
}

/* ---- netd over its sd_notify socket --------------------------------------------------- */

struct status {
	bool valid;
	long configured, pending, failed, unmanaged, writes, reloads, rejected;
};

static struct {
	struct proc proc;        /* netd */
	int notify_fd;           /* owned: bound to NOTIFY_PATH */
	struct status last;      /* the last STATUS= seen */
	struct proc batch;       /* an ip -batch running while we wait on netd; pidfd -1: none */
	unsigned long long t_batch_done;
} nd = { .proc.pidfd = -1, .notify_fd = -1, .batch.pidfd = -1 };

static struct status status_parse(const char *msg)
{
	struct status s = { 0 };
	const char *p = msg;

	while (p && strncmp(p, "STATUS=", 7) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (p)
		s.valid = sscanf(p + 7,
				 "configured=%ld pending=%ld failed=%ld unmanaged=%ld writes=%ld "
				 "reloads=%ld rejected=%ld",
				 &s.configured, &s.pending, &s.failed, &s.unmanaged, &s.writes,
				 &s.reloads, &s.rejected) == 7;
	return s;
}

static const char *status_str(const struct status *s)
{
	static char buf[200];

	if (!s->valid)
		return "(no STATUS seen)";
	snprintf(buf, sizeof(buf), "configured=%ld pending=%ld failed=%ld writes=%ld",
		 s->configured, s->pending, s->failed, s->writes);
	return buf;
}

static bool has_line(const char *msg, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = msg; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* The end of netd's log on stderr, then die. */
static _printf_(1, 2) __attribute__((noreturn)) void die_netd(const char *fmt, ...)
{
	_cleanup_fclose_ FILE *f = fopen(LOG_PATH, "re");
	char buf[4096], msg[512];
	size_t n = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (f && fseek(f, -(long)sizeof(buf), SEEK_END) < 0)
		rewind(f);
	if (f)
		n = fread(buf, 1, sizeof(buf), f);
	fprintf(stderr, "---- last lines of %s ----\n%.*s---- end of netd log ----\n", LOG_PATH,
		(int)n, buf);
	die("%s (last status: %s)", msg, status_str(&nd.last));
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
	if (nd.notify_fd < 0)
		die("socket: %m");
	if (bind(nd.notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind " NOTIFY_PATH ": %m");
}

static void netd_spawn(void)
{
	char *argv[] = { (char *)netd_path, "--config", CONF_PATH, "--state-dir", STATE_DIR, NULL };
	_cleanup_close_ int log = open(LOG_PATH, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (log < 0)
		die("open " LOG_PATH ": %m");
	notify_open();
	nd.proc = proc_spawn(argv, log, log, NOTIFY_PATH);
	nd.last = (struct status){ 0 };
}

/* A batch that ends while we wait on netd: reap it, check it, note the time. */
static void batch_reap(void)
{
	int st = proc_wait(&nd.batch, 0);

	if (st < 0)
		die("waiting for ip -batch: %s", strerror(-st));
	if (st != 0)
		die_netd("ip -batch %s failed (status %d)", BATCH_PATH, st);
	nd.t_batch_done = now_usec();
}

/*
 * Receive one notify message into buf (NUL-terminated). Returns true with a message, false
 * at the deadline. netd exiting is fatal; a running batch is reaped when it ends.
 */
static bool notify_recv(unsigned long long deadline, char *buf, size_t len, const char *what)
{
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = nd.notify_fd, .events = POLLIN },
			{ .fd = nd.proc.pidfd, .events = POLLIN },
			{ .fd = nd.batch.pidfd, .events = POLLIN }, /* -1 is ignored by poll() */
		};
		int r = poll(pfd, 3, remaining_ms(deadline));
		ssize_t n;

		if (r < 0)
			die("poll: %m");
		if (r == 0)
			return false;
		if (pfd[2].revents & POLLIN)
			batch_reap();
		if (pfd[0].revents & POLLIN) {
			n = recv(nd.notify_fd, buf, len - 1, MSG_DONTWAIT);
			if (n < 0)
				continue;
			buf[n] = '\0';
			struct status s = status_parse(buf);
			if (s.valid)
				nd.last = s;
			return true;
		}
		if (pfd[1].revents & POLLIN)
			die_netd("netd exited (status %d) while waiting for %s",
				 proc_wait(&nd.proc, 0), what);
	}
}

/* Wait for a message with the line `line`; returns the status it or an earlier one carried. */
static struct status netd_wait_line(const char *line, int timeout_ms)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	char buf[4096];

	for (;;) {
		if (!notify_recv(deadline, buf, sizeof(buf), line))
			die_netd("netd sent no %s within %d s", line, timeout_ms / 1000);
		if (has_line(buf, line))
			return nd.last;
	}
}

static struct status netd_wait_configured(long n, int timeout_ms)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	char buf[4096];

	while (!nd.last.valid || nd.last.configured != n)
		if (!notify_recv(deadline, buf, sizeof(buf), "STATUS configured=N"))
			die_netd("netd did not reach configured=%ld within %d s", n,
				 timeout_ms / 1000);
	return nd.last;
}

/*
 * An identical reload is a sync point: once its READY=1 arrives, every write netd made for
 * the earlier events is counted in STATUS. netd sends RELOADING=1 only on SIGHUP, so the
 * first one seen is ours.
 */
static struct status netd_reload_sync(void)
{
	if (proc_signal(&nd.proc, SIGHUP) < 0)
		die("SIGHUP netd: %m");
	(void)netd_wait_line("RELOADING=1", NETD_MS);
	return netd_wait_line("READY=1", NETD_MS);
}

static void netd_stop(void)
{
	int st;

	if (proc_signal(&nd.proc, SIGTERM) < 0)
		die("SIGTERM netd: %m");
	st = proc_wait(&nd.proc, NETD_MS);
	if (st == -ETIME) {
		proc_kill(&nd.proc);
		die_netd("netd did not exit within %d s of SIGTERM", NETD_MS / 1000);
	}
	if (st != 0)
		die_netd("netd exited with status %d after SIGTERM, expected 0", st);
}

/* ---- scenarios: each runs in a fresh namespace, fills its part of struct result ---------- */

struct result {
	double create_s;       /* links only: the ip -batch */
	double fork_s;         /* fork baseline: the configuration steps on fork_links links */
	int fork_links;
	double configure_s;    /* netd: batch start to configured=N */
	double batch_s;        /* netd: batch start to the batch's exit */
	long writes;           /* netd: writes once configured (after a sync reload) */
	long configured;       /* netd: configured at that point */
	long resyncs;          /* netd: full re-reads after lost events while configuring */
	long hwm_kib;          /* netd, or idle netd: VmHWM */
	double restart_s;      /* netd: exec of the second netd to READY=1 */
	long restart_writes;   /* its writes at READY=1 */
	long restart_configured;
};

static void scen_links_only(int n, struct result *ret)
{
	write_links_batch(n);
	ret->create_s = run_batch();
}

/* What the scripts do per container: three forks of ip, each waited for. */
static void scen_fork(int n, struct result *ret)
{
	char dev[IFNAMSIZ], host[32], peer[32];
	char *up[] = { ip_path, "link", "set", "dev", dev, "up", NULL };
	char *addr[] = { ip_path, "addr", "add", host, "dev", dev, NULL };
	char *route[] = { ip_path, "route", "add", peer, "dev", dev, NULL };
	unsigned long long t0;

	write_links_batch(n);
	(void)run_batch();
	/* All N links exist either way, so each step sees a kernel of the same size. */
	ret->fork_links = n > FORK_FULL_MAX ? n / 4 : n;
	t0 = now_usec();
	for (int i = 0; i < ret->fork_links; i++) {
		snprintf(dev, sizeof(dev), "ve-c%d", i);
		link_addr(i, 1, host, sizeof(host));
		link_addr(i, 0, peer, sizeof(peer));
		ip_step(up);
		ip_step(addr);
		ip_step(route);
	}
	ret->fork_s = since_s(t0);
}

static void scen_netd(int n, struct result *ret)
{
	char *argv[] = { ip_path, "-batch", BATCH_PATH, NULL };
	struct status s;
	unsigned long long t0;

	write_conf(n);
	write_links_batch(n);
	netd_spawn();
	s = netd_wait_line("READY=1", NETD_MS);
	if (s.writes != 0)
		die_netd("netd wrote before any link existed: %s", status_str(&s));

	t0 = now_usec();
	nd.batch = proc_spawn(argv, -1, -1, NULL);
	(void)netd_wait_configured(n, CONFIGURE_MS);
	ret->configure_s = since_s(t0);
	if (nd.batch.pidfd >= 0) {
		int st = proc_wait(&nd.batch, BATCH_MS);

		if (st != 0)
			die_netd("ip -batch failed or hung (status %d)", st);
		nd.t_batch_done = now_usec();
	}
	ret->batch_s = (double)(nd.t_batch_done - t0) / 1e6;
	/* Before the reload: it parses a second copy of the config, not part of configuring. */
	ret->hwm_kib = vm_hwm_kib(nd.proc.pid);
	ret->resyncs = log_count(RESYNC_LOG_LINE);
	s = netd_reload_sync();
	ret->writes = s.writes;
	ret->configured = s.configured;
	netd_stop();

	/* Restart: everything is in place, netd only has to adopt it. */
	t0 = now_usec();
	netd_spawn();
	s = netd_wait_line("READY=1", NETD_MS);
	ret->restart_s = since_s(t0);
	ret->restart_writes = s.writes;
	ret->restart_configured = s.configured;
	netd_stop();
}

static void scen_idle(int n, struct result *ret)
{
	write_conf(0);
	netd_spawn();
	(void)netd_wait_line("READY=1", NETD_MS);
	ret->hwm_kib = vm_hwm_kib(nd.proc.pid);
	netd_stop();
}

/* Run fn in a child that enters its own namespaces; its result comes back over a pipe. */
static struct result run_scenario(const char *name, void (*fn)(int n, struct result *ret), int n)
{
	struct result res = { 0 };
	int fds[2], st;
	struct proc p;

	if (pipe2(fds, O_CLOEXEC) < 0)
		die("pipe: %m");
	p = proc_fork();
	if (p.pid == 0) {
		(void)close(fds[0]);
		sandbox_enter();
		fn(n, &res);
		if (write(fds[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			die("write result: %m");
		exit(EXIT_SUCCESS);
	}
	(void)close(fds[1]);
	st = proc_wait(&p, SCENARIO_MS);
	if (st == -ETIME) {
		proc_kill(&p);
		die("scenario '%s' did not finish within %d s", name, SCENARIO_MS / 1000);
	}
	if (st != 0)
		die("scenario '%s' failed (status %d)", name, st);
	if (read(fds[0], &res, sizeof(res)) != (ssize_t)sizeof(res))
		die("scenario '%s' sent no result", name);
	(void)close(fds[0]);
	return res;
}

/* ---- main ------------------------------------------------------------------------------ */

static int links_from_env(void)
{
	const char *v = getenv("BENCH_LINKS");
	char *end;
	long n;

	if (!v || !v[0])
		return DEFAULT_LINKS;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > MAX_LINKS)
		die("BENCH_LINKS=%s: expected a number from 1 to %d", v, MAX_LINKS);
	return (int)n;
}

/* `ip` from PATH, as a script finds it; /sbin/ip when PATH has none. */
static void find_ip(void)
{
	_cleanup_free_ char *path = strdup(getenv("PATH") ?: "");
	char *save = NULL;

	if (!path)
		die("out of memory");
	for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(ip_path, sizeof(ip_path), "%s/ip", d);
		if (d[0] == '/' && access(ip_path, X_OK) == 0)
			return;
	}
	snprintf(ip_path, sizeof(ip_path), "/sbin/ip");
	if (access(ip_path, X_OK) < 0)
		die("no ip (iproute2) in PATH or /sbin");
}

static double fork_total_s(int n, const struct result *f)
{
	return f->fork_s * n / f->fork_links;
}

static void report_baselines(int n, const struct result *c, const struct result *f)
{
	printf("  %-28s %7.3f s\n", "ip -batch create only", c->create_s);
	printf("  %-28s %7.3f s    (baseline", "fork ip per step (3/link)", fork_total_s(n, f));
	if (f->fork_links != n)
		printf("; measured on %d of %d links, scaled x%.2f", f->fork_links, n,
		       (double)n / f->fork_links);
	printf(")\n");
	fflush(stdout);
}

static void report_netd(int n, const struct result *f, const struct result *d,
			const struct result *idle)
{
	printf("  %-28s %7.3f s    ratio vs fork-ip: %.3f\n", "netd configure", d->configure_s,
	       d->configure_s / fork_total_s(n, f));
	/* netd's time runs from the batch start, so it includes creating the links. */
	printf("    %-26s %7.3f s    resyncs after lost events: %ld\n", "of which its ip -batch",
	       d->batch_s, d->resyncs);
	printf("  %-28s %7.3f s    writes=%ld\n", "netd restart to READY", d->restart_s,
	       d->restart_writes);
	printf("  %-28s %7.1f MiB  idle %.1f MiB, ratio %.1f\n", "netd peak RSS",
	       d->hwm_kib / 1024.0, idle->hwm_kib / 1024.0, (double)d->hwm_kib / idle->hwm_kib);
	fflush(stdout);
}

/* What must hold for the numbers to mean anything. Returns the number of problems. */
static int check(int n, const struct result *d)
{
	int bad = 0;

	if (d->configured != n || d->writes != 3L * n) {
		fprintf(stderr,
			"bench: after configuring: configured=%ld writes=%ld, expected "
			"configured=%d writes=%ld (up + address + route once per link)\n",
			d->configured, d->writes, n, 3L * n);
		bad++;
	}
	if (d->restart_writes != 0 || d->restart_configured != n) {
		fprintf(stderr,
			"bench: restarted netd: configured=%ld writes=%ld at READY=1, "
			"expected configured=%d writes=0 (adoption)\n",
			d->restart_configured, d->restart_writes, n);
		bad++;
	}
	return bad;
}

int main(void)
{
	struct result c, f, d, idle;
	int n = links_from_env();

	netd_path = getenv("NETD");
	if (!netd_path || netd_path[0] != '/' || access(netd_path, X_OK) < 0)
		die("NETD must name the netd binary by absolute path (make bench sets it)");
	find_ip();
	/* ip and netd must not talk to whoever supervises us. */
	(void)unsetenv("NOTIFY_SOCKET");

	printf("  links: %d\n", n);
	fflush(stdout);
	c = run_scenario("links only", scen_links_only, n);
	f = run_scenario("fork ip per step", scen_fork, n);
	report_baselines(n, &c, &f);
	idle = run_scenario("netd idle", scen_idle, n);
	d = run_scenario("netd", scen_netd, n);
	report_netd(n, &f, &d, &idle);
	return check(n, &d) ? EXIT_FAILURE : EXIT_SUCCESS;
}
