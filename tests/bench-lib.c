/* SPDX-License-Identifier: MIT */
/*
 * The benchmark's library (see bench.h): containers and their files, commands, sandbox runs,
 * netd, systemd-networkd, state-file watches, rtnetlink in-process, ip monitor, process costs,
 * statistics. Every wait is a bounded poll().
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "nl.h"
#include "nllink.h"
#include "nlmsg.h"

extern char **environ;

const char *const variant_name[_V_MAX] = {
    [V_HOST] = "host side only",
    [V_BOTH] = "both sides (namespaces)",
};
const char *const variant_key[_V_MAX] = {[V_HOST] = "host", [V_BOTH] = "both"};
const char *const method_name[_M_MAX] = {
    [M_FLOOR] = "floor",
    [M_SEED] = "seed",
    [M_NETWORKD] = "networkd",
    [M_NETD] = "netd",
};

struct options opt;
struct netd nd = {.proc.pidfd = -1, .notify_fd = -1};

static struct {
	struct proc proc;
	int notify_fd;
	bool started;
} nwd = {.proc.pidfd = -1, .notify_fd = -1};

/* ---- failing ------------------------------------------------------------------------------- */

void die(const char *fmt, ...)
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

void note(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench: note: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void log_tail(const char *path, const char *what)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char buf[4096];
	size_t n = 0;

	if (!f)
		return;
	if (fseek(f, -(long)sizeof(buf), SEEK_END) < 0)
		rewind(f);
	n = fread(buf, 1, sizeof(buf), f);
	fprintf(stderr, "---- last lines of %s ----\n%.*s---- end of %s log ----\n", path, (int)n,
		buf, what);
}

void die_netd(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (nd.proc.pidfd >= 0)
		log_tail(LOG_PATH, "netd");
	if (nwd.started)
		log_tail(NETWORKD_LOG, "networkd");
	die("%s (netd's last status: %s)", msg, netd_status_str(&nd.last));
}

double since_s(unsigned long long t0)
{
	return (double)(now_usec() - t0) / 1e6;
}

/* ---- containers ------------------------------------------------------------------------------ */

void ct_host4(int i, bool alt, char *buf, size_t len)
{
	snprintf(buf, len, "10.%d.%d.%d", 100 + i / 250, i % 250, alt ? 3 : 1);
}

void ct_local4(int i, char *buf, size_t len)
{
	snprintf(buf, len, "10.%d.%d.2", 100 + i / 250, i % 250);
}

void ct_host6(int i, char *buf, size_t len)
{
	snprintf(buf, len, "fd42:%x::1", i);
}

void ct_local6(int i, char *buf, size_t len)
{
	snprintf(buf, len, "fd42:%x::2", i);
}

static FILE *open_w(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		die("open %s: %m", path);
	return f;
}

static void close_w(FILE *f, const char *path)
{
	if (fflush(f) != 0 || ferror(f))
		die("write %s: %m", path);
	fclose(f);
}

void write_netd_conf(int n, int changed, int fwd_each)
{
	FILE *f = open_w(CONF_TMP_PATH);
	char h4[32], h6[64], l4[32], l6[64];
	int port = 10000;

	for (int i = 0; i < n; i++) {
		ct_host4(i, i == changed, h4, sizeof(h4));
		ct_host6(i, h6, sizeof(h6));
		ct_local4(i, l4, sizeof(l4));
		ct_local6(i, l6, sizeof(l6));
		fprintf(f,
			"[Container c%d]\nPrivateNetwork=yes\nHostAddress=%s\nHostAddress6=%s\n"
			"LocalAddress=%s\nLocalAddress6=%s\n",
			i, h4, h6, l4, l6);
		for (int k = 0; k < fwd_each; k++)
			fprintf(f, "ForwardPort=tcp:%d:80\n", port++);
		fputc('\n', f);
	}
	close_w(f, CONF_TMP_PATH);
	if (rename(CONF_TMP_PATH, CONF_PATH) < 0)
		die("rename " CONF_TMP_PATH " to " CONF_PATH ": %m");
}

void write_links_batch(int from, int n, enum variant v)
{
	FILE *f = open_w(BATCH_PATH);

	for (int i = from; i < from + n; i++)
		if (v == V_BOTH)
			fprintf(
			    f,
			    "netns add c%d\nlink add ve-c%d type veth peer name host0 netns c%d\n",
			    i, i, i);
		else
			fprintf(f, "link add ve-c%d type veth peer name p%d\n", i, i);
	close_w(f, BATCH_PATH);
}

void write_ops_batch(int n)
{
	FILE *f = open_w(OPS_PATH);
	char h4[32], h6[64], l4[32], l6[64];

	/* ip -batch takes no -4/-6 per line: the family comes from the address. */
	for (int i = 0; i < n; i++) {
		ct_host4(i, false, h4, sizeof(h4));
		ct_host6(i, h6, sizeof(h6));
		ct_local4(i, l4, sizeof(l4));
		ct_local6(i, l6, sizeof(l6));
		fprintf(f,
			"link set dev ve-c%d up\naddr add %s/32 dev ve-c%d\n"
			"addr add %s/128 dev ve-c%d nodad\nroute add %s/32 dev ve-c%d\n"
			"route add %s/128 dev ve-c%d\n",
			i, h4, i, h6, i, l4, i, l6, i);
	}
	close_w(f, OPS_PATH);
}

/* ---- commands -------------------------------------------------------------------------------- */

struct proc spawn_or_die(char *const argv[], int out_fd, int err_fd, const char *notify)
{
	struct proc p;
	int r = proc_spawn(argv, out_fd, err_fd, notify, &p);

	if (r < 0)
		die("spawn %s: %s", argv[0], strerror(-r));
	return p;
}

static int wait_cmd(struct proc *p, char *const argv[], int timeout_ms)
{
	int st = proc_wait(p, timeout_ms);

	if (st == -ETIME) {
		(void)proc_stop(p, SIGKILL, -1);
		die("%s %s %s ... did not finish within %d s", argv[0], argv[1] ?: "",
		    argv[1] && argv[2] ? argv[2] : "", timeout_ms / 1000);
	}
	proc_done(p);
	return st;
}

double run_cmd(char *const argv[], int timeout_ms)
{
	unsigned long long t0 = now_usec();
	struct proc p = spawn_or_die(argv, -1, -1, NULL);
	int st = wait_cmd(&p, argv, timeout_ms);

	if (st != 0)
		die("%s %s %s ... failed (status %d)", argv[0], argv[1] ?: "",
		    argv[1] && argv[2] ? argv[2] : "", st);
	return since_s(t0);
}

void run_capture(char *const argv[], char *buf, size_t len, int timeout_ms)
{
	_cleanup_close_ int fd = open(OUT_PATH, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct proc p;
	ssize_t got;
	int st;

	if (fd < 0)
		die("open " OUT_PATH ": %m");
	p = spawn_or_die(argv, fd, -1, NULL);
	st = wait_cmd(&p, argv, timeout_ms);
	if (st != 0)
		die("%s %s %s ... failed (status %d)", argv[0], argv[1] ?: "",
		    argv[1] && argv[2] ? argv[2] : "", st);
	got = pread(fd, buf, len - 1, 0);
	if (got < 0)
		die("read " OUT_PATH ": %m");
	buf[got] = '\0';
}

long sh_num(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	char out[256], *end;
	va_list ap;
	long v;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (r < 0)
		die("out of memory");
	run_capture((char *[]){"/bin/sh", "-c", cmd, NULL}, out, sizeof(out), NETD_MS * 4);
	errno = 0;
	v = strtol(out, &end, 10);
	if (errno || end == out || (*end && *end != '\n'))
		die("%s: printed '%s', expected a number", cmd, out);
	return v;
}

int batch_ms(int n)
{
	return n > 2000 ? n * 30 : 60000;
}

double run_batch(const char *path, int timeout_ms)
{
	return run_cmd((char *[]){opt.ip, "-batch", (char *)path, NULL}, timeout_ms);
}

void seed_step(const char *path, char *const argv[])
{
	pid_t pid;
	int st, r;

	r = posix_spawn(&pid, path, NULL, NULL, argv, environ);
	if (r != 0)
		die("posix_spawn %s: %s", path, strerror(r));
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid: %m");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char line[512] = "";

		for (size_t k = 0; argv[k]; k++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s", argv[k]);
		die("seed step%s failed (status 0x%x)", line, st);
	}
}

void seed_container(int i, enum variant v)
{
	char dev[IFNAMSIZ], ns[16], h4[40], h6[64], h4p[48], h6p[72], l4p[48], l6p[72];
	char *ip = opt.ip;

	snprintf(dev, sizeof(dev), "ve-c%d", i);
	snprintf(ns, sizeof(ns), "c%d", i);
	ct_host4(i, false, h4, sizeof(h4));
	ct_host6(i, h6, sizeof(h6));
	snprintf(h4p, sizeof(h4p), "%s/32", h4);
	snprintf(h6p, sizeof(h6p), "%s/128", h6);
	ct_local4(i, l4p, sizeof(l4p));
	strcat(l4p, "/32");
	ct_local6(i, l6p, sizeof(l6p));
	strcat(l6p, "/128");
	seed_step(ip, (char *[]){ip, "link", "set", "dev", dev, "up", NULL});
	seed_step(ip, (char *[]){ip, "addr", "add", h4p, "dev", dev, NULL});
	seed_step(ip, (char *[]){ip, "-6", "addr", "add", h6p, "dev", dev, "nodad", NULL});
	seed_step(ip, (char *[]){ip, "route", "add", l4p, "dev", dev, NULL});
	seed_step(ip, (char *[]){ip, "-6", "route", "add", l6p, "dev", dev, NULL});
	if (v != V_BOTH)
		return;
	seed_step(ip, (char *[]){ip, "-n", ns, "link", "set", "host0", "name", "eth0", NULL});
	seed_step(ip, (char *[]){ip, "-n", ns, "link", "set", "eth0", "up", NULL});
	seed_step(ip, (char *[]){ip, "-n", ns, "addr", "add", l4p, "dev", "eth0", NULL});
	seed_step(ip,
		  (char *[]){ip, "-n", ns, "-6", "addr", "add", l6p, "dev", "eth0", "nodad", NULL});
	seed_step(ip, (char *[]){ip, "-n", ns, "route", "add", h4p, "dev", "eth0", NULL});
	seed_step(ip, (char *[]){ip, "-n", ns, "-6", "route", "add", h6p, "dev", "eth0", NULL});
	seed_step(ip, (char *[]){ip, "-n", ns, "route", "add", "default", "via", h4, NULL});
	seed_step(ip, (char *[]){ip, "-n", ns, "-6", "route", "add", "default", "via", h6, NULL});
}

void routes_flush(void)
{
	(void)run_cmd((char *[]){opt.ip, "-4", "route", "flush", "table", "all", NULL}, NETD_MS);
	(void)run_cmd((char *[]){opt.ip, "-6", "route", "flush", "table", "all", NULL}, NETD_MS);
}

/* ---- sandbox runs -----------------------------------------------------------------------------
 */

static void sandbox_networkd(void)
{
	/* networkd takes a read-only /sys for "no udev here" and configures links without
	 * waiting for udev (tests/test-coexist.c): the sandbox's own sysfs, made read-only. */
	if (mount(NULL, "/sys", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die("remount /sys read-only: %m");
	/* Mount propagation is private: the host's /etc/systemd/network is neither changed nor
	 * seen. */
	if (mount("tmpfs", ETC_NETWORK, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		die("tmpfs on " ETC_NETWORK ": %m (is systemd installed?)");
	if (mkdir("/run/systemd", 0755) < 0 || mkdir("/run/systemd/network", 0755) < 0)
		die("mkdir /run/systemd/network: %m");
	/* What sorts before our files in any directory would take the links: systemd's own
	 * 80-container-ve.network sorts after 10-, netd's 70-netd-containers.network
	 * (Unmanaged=yes) too; masked anyway, in case. */
	if (symlink("/dev/null", ETC_NETWORK "/80-container-ve.network") < 0 ||
	    symlink("/dev/null", ETC_NETWORK "/70-netd-containers.network") < 0)
		die("mask in " ETC_NETWORK ": %m");
}

/* The machine's system + irq + softirq time so far, in USER_HZ ticks (/proc/stat). */
static long long kernel_ticks(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
	long long user, nice, sys, idle, iowait, irq, softirq;

	if (!f || fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld", &user, &nice, &sys, &idle,
			 &iowait, &irq, &softirq) != 7)
		die("read /proc/stat: %m");
	return sys + irq + softirq;
}

/*
 * A run's namespace is torn down after its last process exits, by the kernel's own workers,
 * mostly under RTNL: every namespace, link, address and route the run left. That is 0.5 s of
 * a CPU for 1,000 namespaces with their links, 5 s for 5,000 configured host-side pairs and
 * 30 s for 10,000 (the IPv6 routes make it quadratic: every link's removal walks them all),
 * which the next run would compete with: a seed run right after a floor run at N=5000 took
 * 8.2 s instead of 2.7 s. So after a run that left at least SETTLE_MIN of them, wait until a
 * 200 ms interval in which the machine's kernel time (system, irq, softirq) stayed under 20 %
 * of a CPU. Bounded: 2 s + objects^2 / 10^4 ms (42 s for 20,000); someone else's work on the
 * machine counts too, and then the bound ends it. (The net_namespace slab is no measure: the
 * kernel frees those objects long after the work, 1,000 namespaces were still counted a
 * minute later.) Returns the time waited.
 */
static double kernel_settle(long objects, bool *ret_settled)
{
	unsigned long long t0 = now_usec();
	unsigned long long deadline =
	    t0 + 2000000ULL + (unsigned long long)objects * (unsigned long long)objects / 10;
	_cleanup_close_ int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = {.it_interval.tv_nsec = 200000000, .it_value.tv_nsec = 200000000};
	long long last;

	*ret_settled = true;
	if (objects < SETTLE_MIN)
		return 0;
	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
		die("timerfd: %m");
	last = kernel_ticks();
	for (;;) {
		struct pollfd pfd = {.fd = tfd, .events = POLLIN};
		uint64_t ticks;
		long long now;
		int r = poll(&pfd, 1, remaining_ms(deadline));

		if (r < 0 && errno != EINTR)
			die("poll: %m");
		if (r == 0) {
			*ret_settled = false;
			break;
		}
		if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
			die("read timerfd: %m");
		now = kernel_ticks();
		/* 200 ms: 20 USER_HZ ticks a CPU */
		if (ticks == 1 && now - last <= 4)
			break;
		last = now;
	}
	return since_s(t0);
}

/* In a sandbox's child: the pipes to its parent (-1 in the parent). */
static int child_ctl_fd = -1, child_go_fd = -1;

static void child_main(struct sandbox *sb, unsigned box, void (*fn)(const void *arg, void *res),
		       const void *arg, int res_fd)
{
	const char *step = "sandbox";
	int r = sandbox_unshare(BENCH_DIR, &step);

	if (r < 0)
		die("sandbox (" BENCH_DIR "): %s: %s (the benchmark runs as root)", step,
		    strerror(-r));
	if (box & BOX_NETWORKD)
		sandbox_networkd();
	fn(arg, sb->res);
	sandbox_rejoin();
	for (size_t off = 0; off < sb->res_size;) {
		ssize_t w = write(res_fd, (char *)sb->res + off, sb->res_size - off);

		if (w < 0)
			die("write result: %m");
		off += (size_t)w;
	}
	fflush(stdout);
	_exit(EXIT_SUCCESS);
}

void sandbox_detach(void)
{
	if (child_ctl_fd >= 0 && write(child_ctl_fd, "D", 1) != 1)
		die("tell the parent: %m");
}

void sandbox_rejoin(void)
{
	char c;
	ssize_t n;

	if (child_ctl_fd < 0)
		return;
	if (write(child_ctl_fd, "W", 1) != 1)
		die("tell the parent: %m");
	do
		n = read(child_go_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		die("the parent is gone");
	child_ctl_fd = safe_close(child_ctl_fd);
	child_go_fd = safe_close(child_go_fd);
}

void sandbox_start(struct sandbox *sb, const char *what, unsigned box, long objects,
		   void (*fn)(const void *arg, void *res), const void *arg, void *res,
		   size_t res_size, int timeout_ms)
{
	int res_p[2], ctl_p[2], go_p[2], r;

	*sb = (struct sandbox){.res = res,
			       .res_size = res_size,
			       .objects = objects,
			       .timeout_ms = timeout_ms,
			       .t_start = now_usec()};
	snprintf(sb->what, sizeof(sb->what), "%s", what);
	memset(res, 0, res_size);
	/* go: a socket, so that a child that is gone already is EPIPE, not SIGPIPE */
	if (pipe2(res_p, O_CLOEXEC) < 0 || pipe2(ctl_p, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go_p) < 0)
		die("pipe: %m");
	r = proc_fork(&sb->proc);
	if (r < 0)
		die("fork: %s", strerror(-r));
	if (sb->proc.pid == 0) {
		(void)close(res_p[0]);
		(void)close(ctl_p[0]);
		(void)close(go_p[1]);
		child_ctl_fd = ctl_p[1];
		child_go_fd = go_p[0];
		child_main(sb, box, fn, arg, res_p[1]);
	}
	(void)close(res_p[1]);
	(void)close(ctl_p[1]);
	(void)close(go_p[0]);
	sb->res_fd = res_p[0];
	sb->ctl_fd = ctl_p[0];
	sb->go_fd = go_p[1];
	/* Until the child detaches or waits to go on (or is gone: then the result says why). */
	for (;;) {
		struct pollfd pfd = {.fd = sb->ctl_fd, .events = POLLIN};
		char c = 0;
		ssize_t n;

		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			(void)proc_stop(&sb->proc, SIGKILL, -1);
			die("%s did not finish within %d s", what, timeout_ms / 1000);
		}
		n = read(sb->ctl_fd, &c, 1);
		if (n == 1 && c == 'D') {
			sb->detached = true;
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		sb->waiting = true; /* W, or gone */
		break;
	}
	if (fcntl(sb->ctl_fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl: %m");
	if (!sb->detached)
		sandbox_finish(sb);
}

bool sandbox_waiting(struct sandbox *sb)
{
	char c;
	ssize_t n;

	if (sb->waiting)
		return true;
	n = read(sb->ctl_fd, &c, 1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	sb->waiting = true; /* W, or gone */
	return true;
}

void sandbox_finish(struct sandbox *sb)
{
	int st, r;

	/* the child may be gone already: then the missing result says so */
	if (send(sb->go_fd, "G", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE && errno != ECONNRESET)
		die("let %s go on: %m", sb->what);
	sb->go_fd = safe_close(sb->go_fd);
	/* Read while the child writes: the result may be larger than the pipe. */
	for (;;) {
		struct pollfd pfd[2] = {{.fd = sb->res_fd, .events = POLLIN},
					{.fd = sb->proc.pidfd, .events = POLLIN}};
		ssize_t n;

		if (sb->got == sb->res_size)
			break;
		r = poll(pfd, 2, sb->timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			(void)proc_stop(&sb->proc, SIGKILL, -1);
			die("%s did not finish within %d s", sb->what, sb->timeout_ms / 1000);
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			break; /* exited without writing */
		n = read(sb->res_fd, (char *)sb->res + sb->got, sb->res_size - sb->got);
		if (n <= 0)
			break;
		sb->got += (size_t)n;
	}
	sb->res_fd = safe_close(sb->res_fd);
	st = proc_wait(&sb->proc, sb->timeout_ms);
	sb->ctl_fd = safe_close(sb->ctl_fd); /* after its end: no SIGPIPE for its "waiting" */
	if (st == -ETIME) {
		(void)proc_stop(&sb->proc, SIGKILL, -1);
		die("%s did not exit within %d s", sb->what, sb->timeout_ms / 1000);
	}
	proc_done(&sb->proc);
	if (st != 0)
		die("%s failed (status %d)", sb->what, st);
	if (sb->got != sb->res_size)
		die("%s sent no result", sb->what);
	{
		bool settled;
		double run_s = since_s(sb->t_start), waited = kernel_settle(sb->objects, &settled);

		if (getenv("BENCH_VERBOSE"))
			fprintf(stderr, "bench: %s: %.1f s%s; the kernel's teardown: %.1f s%s\n",
				sb->what, run_s, sb->detached ? " (detached for a while)" : "",
				waited, settled ? "" : " (still busy: the bound)");
	}
}

void run_sandboxed(const char *what, unsigned box, long objects,
		   void (*fn)(const void *arg, void *res), const void *arg, void *res,
		   size_t res_size, int timeout_ms)
{
	struct sandbox sb;

	sandbox_start(&sb, what, box, objects, fn, arg, res, res_size, timeout_ms);
	if (sb.detached)
		sandbox_finish(&sb);
}

/* ---- netd ------------------------------------------------------------------------------------ */

/* Receive one notify message into buf. false at the deadline; netd exiting is fatal. */
static bool notify_recv(unsigned long long deadline, char *buf, size_t len, const char *what)
{
	for (;;) {
		int pidfd = nd.proc.pidfd;
		int r = notify_wait(nd.notify_fd, &pidfd, 1, deadline, buf, len, &nd.last);

		if (r < 0)
			die("poll: %s", strerror(-r));
		if (r == 0)
			return false;
		if (r & NOTIFY_MESSAGE)
			return true;
		if (r & NOTIFY_EXITED(0))
			die_netd("netd exited (status %d) while waiting for %s",
				 proc_wait(&nd.proc, 0), what);
	}
}

struct netd_status netd_wait_line(const char *line, int timeout_ms)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	char buf[4096];

	for (;;) {
		if (!notify_recv(deadline, buf, sizeof(buf), line))
			die_netd("netd sent no %s within %d s", line, timeout_ms / 1000);
		if (text_has_line(buf, line))
			return nd.last;
	}
}

struct netd_status netd_start(int ms)
{
	int r = notify_open(NOTIFY_PATH, &nd.notify_fd);

	if (r < 0)
		die("notify socket " NOTIFY_PATH ": %s", strerror(-r));
	proc_done(&nd.proc);
	nd.proc = (struct proc){.pidfd = -1};
	r = netd_exec(opt.netd, CONF_PATH, STATE_DIR, NULL, LOG_PATH, NOTIFY_PATH, &nd.proc);
	if (r < 0)
		die("spawn %s: %s", opt.netd, strerror(-r));
	nd.last = (struct netd_status){0};
	return netd_wait_line("READY=1", ms);
}

double netd_reload(struct netd_status *ret)
{
	unsigned long long t0 = now_usec();
	int r = proc_signal(&nd.proc, SIGHUP);

	if (r < 0)
		die("SIGHUP netd: %s", strerror(-r));
	/* netd sends RELOADING=1 only on SIGHUP: the first one seen is ours. */
	(void)netd_wait_line("RELOADING=1", NETD_MS);
	*ret = netd_wait_line("READY=1", NETD_MS);
	return since_s(t0);
}

void netd_stop(void)
{
	int st = proc_stop(&nd.proc, SIGTERM, NETD_MS);

	if (st == -ETIME) {
		(void)proc_stop(&nd.proc, SIGKILL, -1);
		die_netd("netd did not exit within %d s of SIGTERM", NETD_MS / 1000);
	}
	if (st < 0)
		die("SIGTERM netd: %s", strerror(-st));
	if (st != 0)
		die_netd("netd exited with status %d after SIGTERM, expected 0", st);
	proc_done(&nd.proc);
}

/* ---- systemd-networkd ------------------------------------------------------------------------ */

void networkd_write_files(int n)
{
	char h4[32], h6[64], l4[32], l6[64], path[PATH_MAX];

	for (int i = 0; i < n; i++) {
		FILE *f;

		ct_host4(i, false, h4, sizeof(h4));
		ct_host6(i, h6, sizeof(h6));
		ct_local4(i, l4, sizeof(l4));
		ct_local6(i, l6, sizeof(l6));
		snprintf(path, sizeof(path), ETC_NETWORK "/10-bench-c%d.network", i);
		f = open_w(path);
		/* What netd does on the host side: no link-local address of its own, no RAs, the
		 * IPv6 address without DAD, configured whether or not the peer is up. */
		fprintf(f,
			"[Match]\nName=ve-c%d\n\n[Link]\nRequiredForOnline=no\n\n"
			"[Network]\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n"
			"ConfigureWithoutCarrier=yes\n\n"
			"[Address]\nAddress=%s/32\n\n"
			"[Address]\nAddress=%s/128\nDuplicateAddressDetection=none\n\n"
			"[Route]\nDestination=%s/32\n\n[Route]\nDestination=%s/128\n",
			i, h4, h6, l4, l6);
		close_w(f, path);
	}
}

void networkd_start(void)
{
	char *argv[] = {(char *)opt.networkd, NULL};
	unsigned long long deadline = now_usec() + (unsigned long long)NETD_MS * 1000;
	_cleanup_close_ int log =
	    open(NETWORKD_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct netd_status ignored;
	char buf[4096];
	int r;

	if (log < 0)
		die("open " NETWORKD_LOG ": %m");
	r = notify_open(NETWORKD_NOTIFY, &nwd.notify_fd);
	if (r < 0)
		die("notify socket " NETWORKD_NOTIFY ": %s", strerror(-r));
	/* networkd drops to the user systemd-network before it sends READY=1. */
	if (chmod(NETWORKD_NOTIFY, 0666) < 0)
		die("chmod " NETWORKD_NOTIFY ": %m");
	/* Inherited by the child only: its log on the file, nothing to a journal. */
	if (setenv("SYSTEMD_LOG_LEVEL", "info", 1) < 0 ||
	    setenv("SYSTEMD_LOG_TARGET", "console", 1) < 0)
		die("setenv: %m");
	nwd.proc = spawn_or_die(argv, log, log, NETWORKD_NOTIFY);
	(void)unsetenv("SYSTEMD_LOG_LEVEL");
	(void)unsetenv("SYSTEMD_LOG_TARGET");
	nwd.started = true;
	for (;;) {
		r = notify_wait(nwd.notify_fd, &nwd.proc.pidfd, 1, deadline, buf, sizeof(buf),
				&ignored);
		if (r < 0)
			die("poll: %s", strerror(-r));
		if ((r & NOTIFY_MESSAGE) && text_has_line(buf, "READY=1"))
			break;
		if (r == 0 || (r & NOTIFY_EXITED(0)))
			die_netd("systemd-networkd %s before READY=1",
				 r == 0 ? "sent nothing within the bound" : "exited");
	}
}

void networkd_stop(void)
{
	int st = proc_stop(&nwd.proc, SIGTERM, NETD_MS);

	if (st < 0)
		(void)proc_stop(&nwd.proc, SIGKILL, -1);
	proc_done(&nwd.proc);
	nwd.started = false;
	if (st != 0)
		die_netd("systemd-networkd did not exit 0 on SIGTERM (status %d)", st);
}

pid_t networkd_pid(void)
{
	return nwd.proc.pid;
}

int networkd_exit_fd(void)
{
	return nwd.started ? proc_exit_fd(&nwd.proc) : -1;
}

/* ---- state watches ------------------------------------------------------------------------ */

/* Text of dir/name into buf; false when it cannot be read (gone meanwhile). */
static bool read_small(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/*
 * Which container a file is about and whether it says configured: 1 configured, 0 not, -1
 * not one of ours (or gone). netd: cI.state, STATE=configured. networkd: IFINDEX, its
 * NETWORK_FILE= ours for cI, ADMIN_STATE=configured.
 */
static int classify(const struct watch *w, const char *name, int *idx, int *ifindex)
{
	char buf[4096], *p, *end;
	long i;

	if (!w->networkd) {
		size_t len = strlen(name);

		if (name[0] != 'c' || len < 7 || strcmp(name + len - 6, ".state") != 0)
			return -1;
		i = strtol(name + 1, &end, 10);
		if (end != name + len - 6 || i < 0 || i >= w->n)
			return -1;
		*idx = (int)i;
		if (!read_small(w->dir, name, buf, sizeof(buf)))
			return -1;
		return strncmp(buf, "STATE=configured\n", 17) == 0;
	}
	if (!read_small(w->dir, name, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "\nNETWORK_FILE=" ETC_NETWORK "/10-bench-c");
	if (!p)
		return -1;
	i = strtol(p + strlen("\nNETWORK_FILE=" ETC_NETWORK "/10-bench-c"), &end, 10);
	if (strncmp(end, ".network\n", 9) != 0 || i < 0 || i >= w->n)
		return -1;
	*idx = (int)i;
	*ifindex = atoi(name);
	return strstr(buf, "\nADMIN_STATE=configured\n") != NULL;
}

static void mark(struct watch *w, int idx, bool on)
{
	if (w->configured[idx] == on)
		return;
	w->configured[idx] = on;
	w->n_configured += on ? 1 : -1;
}

static void watch_file(struct watch *w, const char *name)
{
	int idx = -1, ifindex = 0, c = classify(w, name, &idx, &ifindex);

	if (c < 0)
		return;
	if (w->networkd)
		w->ifindex[idx] = ifindex;
	w->present[idx] = true;
	mark(w, idx, c == 1);
}

static void watch_rescan(struct watch *w)
{
	_cleanup_(closedirp) DIR *d = opendir(w->dir);
	struct dirent *de;

	if (!d)
		die("opendir %s: %m", w->dir);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			watch_file(w, de->d_name);
}

void watch_open(struct watch *w, const char *dir, bool networkd, int n)
{
	*w = (struct watch){.dir = dir, .networkd = networkd, .n = n};
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %m", dir);
	w->configured = calloc((size_t)n + 1, sizeof(bool));
	w->present = calloc((size_t)n + 1, sizeof(bool));
	w->ifindex = calloc((size_t)n + 1, sizeof(int));
	if (!w->configured || !w->present || !w->ifindex)
		die("out of memory");
	w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->fd < 0 ||
	    inotify_add_watch(w->fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) < 0)
		die("inotify on %s: %m", dir);
	watch_rescan(w);
}

void watch_close(struct watch *w)
{
	w->fd = safe_close(w->fd);
	free(w->configured);
	free(w->present);
	free(w->ifindex);
	w->configured = w->present = NULL;
	w->ifindex = NULL;
}

/* A file is gone: its container (netd's are named after it; networkd's by the ifindex last
 * seen) is unmarked. */
static void watch_gone(struct watch *w, const char *name)
{
	if (!w->networkd) {
		int i = name[0] == 'c' ? atoi(name + 1) : -1;

		if (i >= 0 && i < w->n) {
			mark(w, i, false);
			w->present[i] = false;
		}
		return;
	}
	for (int i = 0, ifx = atoi(name); ifx > 0 && i < w->n; i++)
		if (w->ifindex[i] == ifx) {
			mark(w, i, false);
			w->present[i] = false;
			w->ifindex[i] = 0;
		}
}

/* Read what inotify has queued and bring the marks up to date. */
static void watch_read(struct watch *w)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			die("read inotify: %m");
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			w->events++;
			if (ev->mask & IN_Q_OVERFLOW) {
				w->overflows++;
				watch_rescan(w);
			} else if (ev->len && (ev->mask & IN_DELETE)) {
				watch_gone(w, ev->name);
			} else if (ev->len) {
				watch_file(w, ev->name);
			}
		}
	}
}

static void describe_missing(const struct watch *w, char *buf, size_t len)
{
	size_t off = 0;
	int shown = 0;

	buf[0] = '\0';
	for (int i = 0; i < w->n && shown < 5; i++)
		if (!w->configured[i]) {
			off += (size_t)snprintf(buf + off, len - off, " c%d", i);
			shown++;
		}
}

int burst_ms(int n)
{
	return 60000 + 60 * n;
}

unsigned long long watch_wait_all(struct watch *w, int target, unsigned long long deadline,
				  struct proc *batch, unsigned long long *batch_end)
{
	for (;;) {
		struct pollfd pfd[4] = {
		    {.fd = w->fd, .events = POLLIN},
		    {.fd = nd.proc.pidfd >= 0 ? proc_exit_fd(&nd.proc) : -1, .events = POLLIN},
		    {.fd = networkd_exit_fd(), .events = POLLIN},
		    {.fd = batch ? proc_exit_fd(batch) : -1, .events = POLLIN},
		};
		int r;

		if (w->n_configured >= target)
			return now_usec();
		r = poll(pfd, ARRAY_SIZE(pfd), remaining_ms(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll: %m");
		if (r == 0) {
			char missing[128];

			describe_missing(w, missing, sizeof(missing));
			die_netd("%d of %d containers configured (%s) within the bound; not:%s ...",
				 w->n_configured, target, w->networkd ? "networkd" : "netd",
				 missing);
		}
		if (pfd[3].revents & POLLIN) {
			int st = proc_wait(batch, 0);

			if (st != 0)
				die_netd("ip -batch failed (status %d)", st);
			if (batch_end)
				*batch_end = now_usec();
		}
		if (pfd[1].revents & POLLIN)
			die_netd("netd exited (status %d) while configuring",
				 proc_wait(&nd.proc, 0));
		if (pfd[2].revents & POLLIN)
			die_netd("systemd-networkd exited (status %d) while configuring",
				 proc_wait(&nwd.proc, 0));
		if (pfd[0].revents & POLLIN)
			watch_read(w);
	}
}

/* Poll the watch and the daemons; dies at the deadline with what, or when a daemon exits. */
static void watch_poll(struct watch *w, unsigned long long deadline, const char *what)
{
	for (;;) {
		struct pollfd pfd[3] = {
		    {.fd = w->fd, .events = POLLIN},
		    {.fd = nd.proc.pidfd >= 0 ? proc_exit_fd(&nd.proc) : -1, .events = POLLIN},
		    {.fd = networkd_exit_fd(), .events = POLLIN},
		};
		int r = poll(pfd, ARRAY_SIZE(pfd), remaining_ms(deadline));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("poll: %m");
		if (r == 0)
			die_netd("%s within the bound", what);
		if (pfd[1].revents & POLLIN)
			die_netd("netd exited (status %d)", proc_wait(&nd.proc, 0));
		if (pfd[2].revents & POLLIN)
			die_netd("systemd-networkd exited (status %d)", proc_wait(&nwd.proc, 0));
		watch_read(w);
		return;
	}
}

unsigned long long watch_wait_one(struct watch *w, int i, unsigned long long deadline)
{
	char what[64];

	snprintf(what, sizeof(what), "c%d not configured", i);
	while (!w->configured[i])
		watch_poll(w, deadline, what);
	return now_usec();
}

void watch_wait_gone(struct watch *w, int from, int n, unsigned long long deadline)
{
	char what[64];

	for (int i = from; i < from + n; i++) {
		snprintf(what, sizeof(what), "c%d's state file not removed", i);
		while (w->present[i])
			watch_poll(w, deadline, what);
	}
}

/* ---- rtnetlink in-process ---------------------------------------------------------------------
 */

struct nl_sock *rt_open(void)
{
	struct nl_sock *nl;
	int r = nl_open(NULL, 0, 0, false, &nl);

	if (r < 0)
		die("rtnetlink socket: %s", strerror(-r));
	return nl;
}

struct nl_sock *rt_open_in(const char *netns, int *ret_netns_fd)
{
	char path[PATH_MAX];
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct nl_sock *nl;
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || fd < 0)
		die("open %s: %m", fd < 0 ? path : "/proc/self/ns/net");
	if (setns(fd, CLONE_NEWNET) < 0)
		die("setns %s: %m", path);
	nl = rt_open();
	if (setns(self, CLONE_NEWNET) < 0)
		die("setns back: %m");
	*ret_netns_fd = fd;
	return nl;
}

static void rt_talk(struct nl_sock *nl, struct nlmsghdr *nlh, const char *what)
{
	struct nl_err err;
	int r = nl_talk(nl, nlh, &err);

	if (r < 0)
		die("%s: %s%s%s", what, strerror(-r), err.msg[0] ? ": " : "", err.msg);
}

void rt_veth_add(struct nl_sock *nl, int i, int netns_fd, unsigned group)
{
	char buf[NLMSG_BUF_SIZE], host[IFNAMSIZ], peer[IFNAMSIZ], what[64];
	_cleanup_close_ int self = -1;
	struct nlmsghdr *nlh;

	snprintf(host, sizeof(host), "ve-c%d", i);
	if (netns_fd >= 0) {
		snprintf(peer, sizeof(peer), "host0");
	} else {
		snprintf(peer, sizeof(peer), "p%d", i);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			die("open /proc/self/ns/net: %m");
	}
	snprintf(what, sizeof(what), "create %s", host);
	nlh = nllink_put_veth(buf, &(struct nllink_name){.name = host},
			      &(struct nllink_name){.name = peer}, netns_fd >= 0 ? netns_fd : self);
	if (group)
		mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	rt_talk(nl, nlh, what);
}

void rt_group_del(struct nl_sock *nl, unsigned group)
{
	char buf[NLMSG_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	rt_talk(nl, nlh, "delete a link group");
}

static void parse_addr(int family, const char *text, union in_addr_union *a)
{
	if (inet_pton(family, text, a) != 1)
		die("bad address %s", text);
}

static void rt_addr(struct nl_sock *nl, int family, int ifindex, const char *text)
{
	char buf[NLMSG_BUF_SIZE];
	struct nl_addr a = {.family = (uint8_t)family,
			    .ifindex = ifindex,
			    .prefixlen = family == AF_INET ? 32 : 128};

	parse_addr(family, text, &a.addr);
	rt_talk(nl, nlmsg_put_addr(buf, RTM_NEWADDR, &a), "floor: address");
}

/* A route to dst (NULL: default) through ifindex, via gw when not NULL. */
static void rt_route(struct nl_sock *nl, int family, int ifindex, const char *dst, const char *gw)
{
	char buf[NLMSG_BUF_SIZE];
	struct nl_route r = {.family = (uint8_t)family,
			     .protocol = RTPROT_STATIC,
			     .scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
			     .table = RT_TABLE_MAIN,
			     .oif = ifindex};

	if (dst) {
		r.dst_len = family == AF_INET ? 32 : 128;
		parse_addr(family, dst, &r.dst);
	}
	if (gw) {
		r.has_gateway = true;
		parse_addr(family, gw, &r.gateway);
	}
	rt_talk(nl, nlmsg_put_route(buf, RTM_NEWROUTE, &r), "floor: route");
}

void rt_floor_ops(struct nl_sock *nl, struct nl_sock *in, int netns_fd, int i)
{
	char buf[NLMSG_BUF_SIZE], dev[IFNAMSIZ], h4[40], h6[64], l4[40], l6[64];
	int ifindex, peer;

	snprintf(dev, sizeof(dev), "ve-c%d", i);
	ct_host4(i, false, h4, sizeof(h4));
	ct_host6(i, h6, sizeof(h6));
	ct_local4(i, l4, sizeof(l4));
	ct_local6(i, l6, sizeof(l6));
	ifindex = (int)if_nametoindex(dev);
	if (ifindex <= 0)
		die("floor: no %s: %m", dev);
	rt_talk(nl, nlmsg_put_link_set(buf, ifindex, NULL, IFF_UP, IFF_UP, -1), "floor: up");
	rt_addr(nl, AF_INET, ifindex, h4);
	rt_addr(nl, AF_INET6, ifindex, h6);
	rt_route(nl, AF_INET, ifindex, l4, NULL);
	rt_route(nl, AF_INET6, ifindex, l6, NULL);
	if (!in)
		return;
	{
		_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

		if (self < 0 || setns(netns_fd, CLONE_NEWNET) < 0)
			die("floor: setns: %m");
		peer = (int)if_nametoindex("host0");
		if (setns(self, CLONE_NEWNET) < 0)
			die("floor: setns back: %m");
	}
	if (peer <= 0)
		die("floor: no host0 in c%d", i);
	rt_talk(in, nlmsg_put_link_set(buf, peer, "eth0", IFF_UP, IFF_UP, -1),
		"floor: rename and up");
	rt_addr(in, AF_INET, peer, l4);
	rt_addr(in, AF_INET6, peer, l6);
	rt_route(in, AF_INET, peer, h4, NULL);
	rt_route(in, AF_INET6, peer, h6, NULL);
	rt_route(in, AF_INET, peer, NULL, h4);
	rt_route(in, AF_INET6, peer, NULL, h6);
}

/* ---- ip monitor, process costs ----------------------------------------------------------------
 */

void monitor_start(struct monitor *m)
{
	/* a large buffer: linkwatch_sync() may have 10,000 links announced at once */
	char *argv[] = {opt.ip, "-rcvbuf", "16777216", "monitor", "all-nsid",
			"link", "address", "route",    NULL};
	int fds[2];

	/* its complaints (ENOBUFS when the kernel announces 20,000 links at once) to a file */
	_cleanup_close_ int err =
	    open(MONITOR_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (err < 0)
		die("open " MONITOR_LOG ": %m");
	if (pipe2(fds, O_CLOEXEC) < 0)
		die("pipe: %m");
	m->proc = spawn_or_die(argv, fds[1], err, NULL);
	(void)close(fds[1]);
	m->fd = fds[0];
	if (fcntl(m->fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl: %m");
	m->bytes = 0;
}

void monitor_stop(struct monitor *m)
{
	(void)proc_stop(&m->proc, SIGTERM, NETD_MS);
	proc_done(&m->proc);
	m->fd = safe_close(m->fd);
}

long monitor_drain(struct monitor *m)
{
	char buf[65536];
	long total = 0;
	ssize_t n;

	while ((n = read(m->fd, buf, sizeof(buf))) > 0)
		total += n;
	if (n == 0)
		die("ip monitor exited");
	m->bytes += total;
	return total;
}

/*
 * The kernel's linkwatch (operstate changes) is one queue for the whole machine. A link's
 * creation queues it (carrier off); queued while it is down, it is handled by the rate-limited
 * runs, 100 devices a second for every namespace together, unless an urgent event (a carrier
 * change on a running stacked link) makes linkwatch run at once for the links that are urgent
 * by then. A host-side ve-cI brought up while its peer pI is down is such a link, but nothing
 * in its sandbox makes an urgent event: after a burst its LOWERLAYERDOWN came out at the rate
 * limit (20 s for 1,000 host side, more when other users' links were queued too), or at once
 * when someone else on the machine happened to change a carrier. And the down pI stay queued
 * (silently: a link that is down is not announced) for as long again, 100 s for 10,000,
 * slowing every other namespace's links down: a both-sides latency run next to a sandbox with
 * 10,000 of them took 30 s instead of 1 s.
 *
 * Asking for a link (RTM_GETLINK of its ifindex) makes the kernel handle its queued event
 * there and then (linkwatch_sync_dev() in rtnl_getlink()). So before a wait for quiet the
 * benchmark asks for every link of the sandbox's namespace, once.
 */
struct ifindexes {
	int *v;
	size_t n, cap;
};

static int on_link(const struct nlmsghdr *nlh, void *userdata)
{
	struct ifindexes *l = userdata;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		int *v = realloc(l->v, cap * sizeof(int));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ifi->ifi_index;
	return 0;
}

static int on_nothing(const struct nlmsghdr *nlh, void *userdata)
{
	return 0;
}

void linkwatch_sync(void)
{
	char buf[NLMSG_BUF_SIZE];
	struct nl_sock *nl = rt_open();
	struct ifindexes l = {.v = NULL};
	int r;

	do {
		l.n = 0;
		r = nl_dump(nl, nlmsg_put_dump(buf, RTM_GETLINK, AF_UNSPEC), on_link, &l);
	} while (r == -EINTR);
	if (r < 0)
		die("dump the links: %s", strerror(-r));
	for (size_t i = 0; i < l.n; i++) {
		r = nl_get(nl, nlmsg_put_getlink(buf, l.v[i]), on_nothing, NULL);
		/* -ENODEV: gone meanwhile */
		if (r < 0 && r != -ENODEV)
			die("RTM_GETLINK %d: %s", l.v[i], strerror(-r));
	}
	free(l.v);
	nl_close(nl);
}

double monitor_wait_quiet(struct monitor *m, int quiet_ms, int bound_ms, bool *quiet)
{
	unsigned long long t0 = now_usec(), deadline = t0 + (unsigned long long)bound_ms * 1000;
	unsigned long long last = t0;

	linkwatch_sync();
	(void)monitor_drain(m);
	for (;;) {
		unsigned long long until = last + (unsigned long long)quiet_ms * 1000;
		struct pollfd pfd = {.fd = m->fd, .events = POLLIN};
		int r;

		if (until > deadline)
			until = deadline;
		r = poll(&pfd, 1, remaining_ms(until));
		if (r < 0 && errno != EINTR)
			die("poll: %m");
		if (r > 0 && monitor_drain(m) > 0)
			last = now_usec();
		if (now_usec() >= last + (unsigned long long)quiet_ms * 1000) {
			*quiet = true;
			return since_s(t0);
		}
		if (now_usec() >= deadline) {
			*quiet = false;
			return since_s(t0);
		}
	}
}

void pstat_read(pid_t pid, struct pstat *ret)
{
	char path[64], buf[4096], *p;
	unsigned long utime, stime;
	_cleanup_fclose_ FILE *f = NULL;

	*ret = (struct pstat){.rss_kib = -1, .hwm_kib = -1};
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!read_small("/", path + 1, buf, sizeof(buf)))
		die("read %s: %m", path);
	/* after "(comm)": state is field 3, utime 14, stime 15 */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
			 &stime) != 2)
		die("parse %s", path);
	ret->cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if (read_small("/", path + 1, buf, sizeof(buf)))
		ret->run_ns = strtoull(buf, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		die("open %s: %m", path);
	while (fgets(buf, sizeof(buf), f)) {
		(void)sscanf(buf, "VmRSS: %ld kB", &ret->rss_kib);
		(void)sscanf(buf, "VmHWM: %ld kB", &ret->hwm_kib);
		(void)sscanf(buf, "voluntary_ctxt_switches: %ld", &ret->vcsw);
		(void)sscanf(buf, "nonvoluntary_ctxt_switches: %ld", &ret->nvcsw);
	}
}

/* ---- statistics and cells ----------------------------------------------------------------------
 */

void series_add(struct series *s, double x)
{
	if (s->n == (int)ARRAY_SIZE(s->v))
		die("too many samples in a series");
	s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double sorted_at(const struct series *s, int which)
{
	double v[ARRAY_SIZE(s->v)];

	if (s->n == 0)
		return NAN;
	memcpy(v, s->v, sizeof(double) * (size_t)s->n);
	qsort(v, (size_t)s->n, sizeof(double), cmp_double);
	if (which < 0)
		return v[0];
	if (which > 0)
		return v[s->n - 1];
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

double series_min(const struct series *s)
{
	return sorted_at(s, -1);
}

double series_median(const struct series *s)
{
	return sorted_at(s, 0);
}

double series_max(const struct series *s)
{
	return sorted_at(s, 1);
}

double percentile(double *v, int n, double p)
{
	int k;

	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	k = (int)ceil(p / 100.0 * n) - 1;
	return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static char *cell(void)
{
	static char buf[32][48];
	static unsigned k;

	return buf[k++ % ARRAY_SIZE(buf)];
}

const char *fmt_t(double s, int width)
{
	char *b = cell(), t[40];

	if (isnan(s))
		snprintf(t, sizeof(t), "-");
	else if (s < 1e-3)
		snprintf(t, sizeof(t), "%.1f µs", s * 1e6);
	else if (s < 1)
		snprintf(t, sizeof(t), "%.2f ms", s * 1e3);
	else
		snprintf(t, sizeof(t), "%.3f s", s);
	/* "µ" is two bytes and one column */
	snprintf(b, 48, "%*s", width + (strstr(t, "µ") ? 1 : 0), t);
	return b;
}

const char *fmt_ratio(double a, double b)
{
	char *c = cell();

	/* a time that is not positive (netd done before its batch exited) has no ratio */
	if (isnan(a) || isnan(b) || b <= 0 || a < 0)
		snprintf(c, 48, "-");
	else
		snprintf(c, 48, "%.2fx", a / b);
	return c;
}

const char *fmt_mmm(const struct series *s)
{
	char *c = cell();

	snprintf(c, 48, "%s %s %s", fmt_t(series_min(s), 10), fmt_t(series_median(s), 10),
		 fmt_t(series_max(s), 10));
	return c;
}
