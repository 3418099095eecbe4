/* SPDX-License-Identifier: MIT */
/*
 * `make bench`: netd against what the NixOS scripts do today (one `ip` fork per step), on N
 * container links (BENCH_LINKS, default 2000). Every scenario runs in a child of its own that
 * enters a fresh network + mount namespace. Prints times and ratios against baselines
 * measured in the same run; it asserts nothing about speed, only that each scenario did its
 * work (configured=N, exactly 3N writes, a restart that writes nothing).
 *
 * Then the reload experiment (BENCH_RELOAD_N, default 1000 and 5000): N containers with
 * namespaces of their own, v4 + v6 on both sides, configured; then RELOAD_ROUNDS times one
 * container's HostAddress is changed and netd is sent SIGHUP, timed from the signal to the
 * READY=1 after RELOADING=1, with the writes each reload cost.
 *
 * No Criterion: the sandbox, pidfd and notify-socket code is tests/sandbox.c, shared with the
 * test harness; failures here die(). Nothing sleeps: every wait is a bounded poll() on netd's
 * sd_notify socket or on pidfds.
 */
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "util.h"

#define BENCH_DIR "/run/bench"
#define CONF_PATH BENCH_DIR "/netd.conf"
#define CONF_TMP_PATH BENCH_DIR "/netd.conf.tmp"
#define BATCH_PATH BENCH_DIR "/links.batch"
#define NOTIFY_PATH BENCH_DIR "/notify"
#define LOG_PATH BENCH_DIR "/netd.log"
#define OUT_PATH BENCH_DIR "/ip.out"
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
	RELOAD_ROUNDS = 11, /* changed-HostAddress reloads per N (odd: a true median) */
	RELOAD_START_MS_PER_N = 60, /* the reload start bound: this per container, or more */
	MAX_RELOAD_NS = 8,  /* values in BENCH_RELOAD_N */
};

/* BENCH_RELOAD_N when unset. */
static const int reload_default_n[] = { 1000, 5000 };

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

static double since_s(unsigned long long t0)
{
	return (double)(now_usec() - t0) / 1e6;
}

/* ---- processes, by pidfd -------------------------------------------------------------- */

/* proc_fork() or die. Returns pid 0 in the child. */
static struct proc fork_or_die(void)
{
	struct proc p;
	int r = proc_fork(&p);

	if (r < 0)
		die("fork: %s", strerror(-r));
	return p;
}

/* out_fd/err_fd: -1 inherits. notify: $NOTIFY_SOCKET for the child, or NULL. */
static struct proc spawn_or_die(char *const argv[], int out_fd, int err_fd, const char *notify)
{
	struct proc p;
	int r = proc_spawn(argv, out_fd, err_fd, notify, &p);

	if (r < 0)
		die("spawn %s: %s", argv[0], strerror(-r));
	return p;
}

static void kill_proc(struct proc *p)
{
	(void)proc_stop(p, SIGKILL, -1);
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
	struct proc p = spawn_or_die(argv, -1, -1, NULL);
	int st = proc_wait(&p, BATCH_MS);

	if (st == -ETIME) {
		kill_proc(&p);
		die("ip -batch did not finish within %d s", BATCH_MS / 1000);
	}
	proc_done(&p);
	if (st != 0)
		die("ip -batch %s failed (status %d)", BATCH_PATH, st);
	return since_s(t0);
}

/* What `ip ...` prints on stdout, into buf (NUL-terminated, cut at len - 1 bytes). */
static void ip_capture(char *const argv[], char *buf, size_t len)
{
	_cleanup_close_ int fd = open(OUT_PATH, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct proc p;
	ssize_t got;
	int st;

	if (fd < 0)
		die("open " OUT_PATH ": %m");
	p = spawn_or_die(argv, fd, -1, NULL);
	st = proc_wait(&p, NETD_MS);
	if (st == -ETIME) {
		kill_proc(&p);
		die("%s %s %s ... did not finish within %d s", argv[0], argv[1], argv[2],
		    NETD_MS / 1000);
	}
	proc_done(&p);
	if (st != 0)
		die("%s %s %s ... failed (status %d)", argv[0], argv[1], argv[2], st);
	got = pread(fd, buf, len - 1, 0);
	if (got < 0)
		die("read " OUT_PATH ": %m");
	buf[got] = '\0';
}

/* ---- sandbox and files ---------------------------------------------------------------- */

static void sandbox_enter(void)
{
	const char *step = "sandbox";
	int r = sandbox_unshare(BENCH_DIR, &step);

	if (r < 0)
		die("sandbox (" BENCH_DIR "): %s: %s (the benchmark runs as root)", step,
		    strerror(-r));
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

/*
 * The reload experiment's containers: cI with its own namespace cI, host side ve-cI with
 * 10.(100 + I/250).(I%250).1 and fd42:I::1 (I in hex), container side host0 (eth0 once netd
 * renamed it) with .2 and fd42:I::2. Container `changed` (-1: none) has the host address .3
 * instead of .1.
 */
static void reload_host_addr(int i, bool alt, char *buf, size_t len)
{
	snprintf(buf, len, "10.%d.%d.%d", 100 + i / 250, i % 250, alt ? 3 : 1);
}

/* Written to a temporary file and renamed over CONF_PATH: netd never reads half a file. */
static void write_reload_conf(int n, int changed)
{
	_cleanup_fclose_ FILE *f = fopen(CONF_TMP_PATH, "we");
	char host[32];

	if (!f)
		die("open " CONF_TMP_PATH ": %m");
	for (int i = 0; i < n; i++) {
		reload_host_addr(i, i == changed, host, sizeof(host));
		fprintf(f,
			"[Container c%d]\nPrivateNetwork=yes\nHostAddress=%s\n"
			"HostAddress6=fd42:%x::1\nLocalAddress=10.%d.%d.2\n"
			"LocalAddress6=fd42:%x::2\n\n",
			i, host, i, 100 + i / 250, i % 250, i);
	}
	if (fflush(f) != 0 || ferror(f))
		die("write " CONF_TMP_PATH ": %m");
	if (rename(CONF_TMP_PATH, CONF_PATH) < 0)
		die("rename " CONF_TMP_PATH " to " CONF_PATH ": %m");
}

/* Namespace cI and ve-cI, its peer host0 created inside it, as tests/test-burst.c does. */
static void write_netns_batch(int n)
{
	_cleanup_fclose_ FILE *f = fopen(BATCH_PATH, "we");

	if (!f)
		die("open " BATCH_PATH ": %m");
	for (int i = 0; i < n; i++)
		fprintf(f, "netns add c%d\nlink add ve-c%d type veth peer name host0 netns c%d\n",
			i, i, i);
	if (fflush(f) != 0 || ferror(f))
		die("write " BATCH_PATH ": %m");
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

static struct {
	struct proc proc;          /* netd */
	int notify_fd;             /* owned: bound to NOTIFY_PATH */
	struct netd_status last;   /* the last STATUS= seen */
	struct proc batch;         /* an ip -batch netd configures from; pidfd -1: none */
	unsigned long long t_batch_done;
} nd = { .proc.pidfd = -1, .notify_fd = -1, .batch.pidfd = -1 };

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
	die("%s (last status: %s)", msg, netd_status_str(&nd.last));
}

static void netd_spawn(void)
{
	int r = notify_open(NOTIFY_PATH, &nd.notify_fd);

	if (r < 0)
		die("notify socket " NOTIFY_PATH ": %s", strerror(-r));
	proc_done(&nd.proc);
	r = netd_exec(netd_path, CONF_PATH, STATE_DIR, NULL, LOG_PATH, NOTIFY_PATH, &nd.proc);
	if (r < 0)
		die("spawn %s: %s", netd_path, strerror(-r));
	nd.last = (struct netd_status){ 0 };
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
		int pidfds[2] = { nd.proc.pidfd, proc_exit_fd(&nd.batch) };
		int r = notify_wait(nd.notify_fd, pidfds, 2, deadline, buf, len, &nd.last);

		if (r < 0)
			die("poll: %s", strerror(-r));
		if (r == 0)
			return false;
		if (r & NOTIFY_EXITED(1))
			batch_reap();
		if (r & NOTIFY_MESSAGE)
			return true;
		if (r & NOTIFY_EXITED(0))
			die_netd("netd exited (status %d) while waiting for %s",
				 proc_wait(&nd.proc, 0), what);
	}
}

/* Wait for a message with the line `line`; returns the status it or an earlier one carried. */
static struct netd_status netd_wait_line(const char *line, int timeout_ms)
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

static struct netd_status netd_wait_configured(long n, int timeout_ms)
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
static struct netd_status netd_reload_sync(void)
{
	int r = proc_signal(&nd.proc, SIGHUP);

	if (r < 0)
		die("SIGHUP netd: %s", strerror(-r));
	(void)netd_wait_line("RELOADING=1", NETD_MS);
	return netd_wait_line("READY=1", NETD_MS);
}

/* netd_reload_sync(), timed from the signal to READY=1. Returns seconds; *ret: the status. */
static double netd_reload_timed(struct netd_status *ret)
{
	unsigned long long t0 = now_usec();

	*ret = netd_reload_sync();
	return since_s(t0);
}

static void netd_stop(void)
{
	int st = proc_stop(&nd.proc, SIGTERM, NETD_MS);

	if (st == -ETIME) {
		kill_proc(&nd.proc);
		die_netd("netd did not exit within %d s of SIGTERM", NETD_MS / 1000);
	}
	if (st < 0)
		die("SIGTERM netd: %s", strerror(-st));
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
	struct reload_result {
		double create_s;        /* the ip -batch of N namespaces and veths */
		double start_s;         /* netd exec to READY=1 and configured=N */
		long sync_writes;       /* an unchanged reload once configured */
		double round_s[RELOAD_ROUNDS]; /* one HostAddress changed: SIGHUP to READY=1 */
		long round_writes[RELOAD_ROUNDS];
		double same_s;          /* an unchanged reload after the last round */
		long same_writes;
		double restart_s;       /* a second netd, exec to READY=1 */
		long restart_writes;
		long restart_configured;
	} reload;
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
	struct netd_status s;
	unsigned long long t0;

	write_conf(n);
	write_links_batch(n);
	netd_spawn();
	s = netd_wait_line("READY=1", NETD_MS);
	if (s.writes != 0)
		die_netd("netd wrote before any link existed: %s", netd_status_str(&s));

	t0 = now_usec();
	nd.batch = spawn_or_die(argv, -1, -1, NULL);
	(void)netd_wait_configured(n, CONFIGURE_MS);
	ret->configure_s = since_s(t0);
	if (proc_exit_fd(&nd.batch) >= 0) {
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

/* Namespaces cost netd more than links alone: the start bound grows with N. */
static int reload_start_ms(int n)
{
	return n * RELOAD_START_MS_PER_N > CONFIGURE_MS ? n * RELOAD_START_MS_PER_N : CONFIGURE_MS;
}

/* After a reload: every container configured, none pending or failed. */
static void reload_check(int n, const struct netd_status *s, const char *what)
{
	if (s->configured != n || s->pending != 0 || s->failed != 0)
		die_netd("after %s: %s, expected configured=%d and nothing pending or failed", what,
			 netd_status_str(s), n);
}

/* Container k's host address is now (and only) `host`: on ve-cK, and in cK's routes. */
static void reload_check_kernel(int k, const char *host, const char *old)
{
	char dev[IFNAMSIZ], ns[16], out[4096], want[64], gone[64];
	char *addr[] = { ip_path, "-o", "-4", "addr", "show", "dev", dev, NULL };
	char *routes[] = { ip_path, "-n", ns, "-4", "route", "show", NULL };

	snprintf(dev, sizeof(dev), "ve-c%d", k);
	snprintf(ns, sizeof(ns), "c%d", k);
	ip_capture(addr, out, sizeof(out));
	snprintf(want, sizeof(want), "inet %s/32 ", host);
	snprintf(gone, sizeof(gone), "inet %s/", old);
	if (!strstr(out, want) || strstr(out, gone))
		die_netd("%s: expected %s only, ip says:\n%s", dev, host, out);
	ip_capture(routes, out, sizeof(out));
	snprintf(want, sizeof(want), "default via %s ", host);
	snprintf(gone, sizeof(gone), "%s ", old);
	if (!strstr(out, want) || strstr(out, gone))
		die_netd("routes in %s: expected a default route via %s and none via %s, ip "
			 "says:\n%s",
			 ns, host, old, out);
}

/*
 * N containers with namespaces, configured; then RELOAD_ROUNDS reloads that each change
 * container N/2's HostAddress (.1 -> .3 -> .1 ...), timed from SIGHUP to READY=1, with the
 * writes each cost; then an unchanged reload (must write nothing) and a restart (adoption).
 */
static void scen_reload(int n, struct result *ret)
{
	struct reload_result *rr = &ret->reload;
	char host[32], old[32];
	struct netd_status s;
	unsigned long long t0;
	int k = n / 2;
	long w;

	write_reload_conf(n, -1);
	write_netns_batch(n);
	rr->create_s = run_batch();

	t0 = now_usec();
	netd_spawn();
	(void)netd_wait_line("READY=1", reload_start_ms(n));
	s = netd_wait_configured(n, reload_start_ms(n));
	rr->start_s = since_s(t0);

	/* The sync point for the writes of configuring. Not timed: a first reload may do once
	 * what later ones do not. */
	w = s.writes;
	(void)netd_reload_timed(&s);
	rr->sync_writes = s.writes - w;
	reload_check(n, &s, "an unchanged reload");

	for (int r = 0; r < RELOAD_ROUNDS; r++) {
		w = s.writes;
		write_reload_conf(n, r % 2 == 0 ? k : -1);
		rr->round_s[r] = netd_reload_timed(&s);
		rr->round_writes[r] = s.writes - w;
		reload_check(n, &s, "a changed HostAddress");
		if (rr->round_writes[r] == 0)
			die_netd("reload %d changed c%d's HostAddress and wrote nothing", r + 1, k);
	}
	reload_host_addr(k, RELOAD_ROUNDS % 2 == 1, host, sizeof(host));
	reload_host_addr(k, RELOAD_ROUNDS % 2 == 0, old, sizeof(old));
	reload_check_kernel(k, host, old);

	w = s.writes;
	rr->same_s = netd_reload_timed(&s);
	rr->same_writes = s.writes - w;
	reload_check(n, &s, "an unchanged reload after the changes");
	netd_stop();

	t0 = now_usec();
	netd_spawn();
	s = netd_wait_line("READY=1", NETD_MS);
	rr->restart_s = since_s(t0);
	rr->restart_writes = s.writes;
	rr->restart_configured = s.configured;
	netd_stop();
}

/* Run fn in a child that enters its own namespaces; its result comes back over a pipe. */
static struct result run_scenario(const char *name, void (*fn)(int n, struct result *ret), int n,
				  int timeout_ms)
{
	struct result res = { 0 };
	int fds[2], st;
	struct proc p;

	if (pipe2(fds, O_CLOEXEC) < 0)
		die("pipe: %m");
	p = fork_or_die();
	if (p.pid == 0) {
		(void)close(fds[0]);
		sandbox_enter();
		fn(n, &res);
		if (write(fds[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			die("write result: %m");
		exit(EXIT_SUCCESS);
	}
	(void)close(fds[1]);
	st = proc_wait(&p, timeout_ms);
	if (st == -ETIME) {
		kill_proc(&p);
		die("scenario '%s' did not finish within %d s", name, timeout_ms / 1000);
	}
	proc_done(&p);
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

/* BENCH_RELOAD_N: N values separated by commas or spaces; 0 or empty: no reload runs. */
static size_t reload_ns_from_env(int ns[static MAX_RELOAD_NS])
{
	const char *v = getenv("BENCH_RELOAD_N");
	size_t k = 0;

	if (!v) {
		memcpy(ns, reload_default_n, sizeof(reload_default_n));
		return ARRAY_SIZE(reload_default_n);
	}
	for (const char *p = v; *p;) {
		char *end;
		long n;

		if (*p == ',' || *p == ' ') {
			p++;
			continue;
		}
		errno = 0;
		n = strtol(p, &end, 10);
		if (errno || end == p || (*end && *end != ',' && *end != ' ') || n < 0 ||
		    n > MAX_LINKS || (n > 0 && k == MAX_RELOAD_NS))
			die("BENCH_RELOAD_N=%s: expected up to %d numbers from 1 to %d (0: none)",
			    v, MAX_RELOAD_NS, MAX_LINKS);
		if (n > 0)
			ns[k++] = (int)n;
		p = end;
	}
	return k;
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report_reload_header(void)
{
	printf("\n  reload: one container's HostAddress changed, SIGHUP to READY=1, %d rounds\n"
	       "  (containers with their own namespaces, v4 + v6 on both sides)\n",
	       RELOAD_ROUNDS);
	printf("  %6s %9s %9s %9s  %-27s  %-9s %s\n", "N", "create", "start", "unchanged",
	       "reload min / median / max", "writes", "restart to READY");
	fflush(stdout);
}

static void report_reload(int n, const struct reload_result *rr)
{
	double t[RELOAD_ROUNDS];
	long wmin = rr->round_writes[0], wmax = wmin;
	char writes[32];

	memcpy(t, rr->round_s, sizeof(t));
	qsort(t, RELOAD_ROUNDS, sizeof(t[0]), cmp_double);
	for (int r = 1; r < RELOAD_ROUNDS; r++) {
		wmin = rr->round_writes[r] < wmin ? rr->round_writes[r] : wmin;
		wmax = rr->round_writes[r] > wmax ? rr->round_writes[r] : wmax;
	}
	if (wmin == wmax)
		snprintf(writes, sizeof(writes), "%ld", wmin);
	else
		snprintf(writes, sizeof(writes), "%ld-%ld", wmin, wmax);
	printf("  %6d %7.2f s %7.2f s %6.1f ms  %6.1f / %6.1f / %6.1f ms  %-9s %.3f s "
	       "writes=%ld\n",
	       n, rr->create_s, rr->start_s, rr->same_s * 1e3, t[0] * 1e3,
	       t[RELOAD_ROUNDS / 2] * 1e3, t[RELOAD_ROUNDS - 1] * 1e3, writes, rr->restart_s,
	       rr->restart_writes);
	fflush(stdout);
}

/* The reload experiment's must-holds. Returns the number of problems. */
static int check_reload(int n, const struct reload_result *rr)
{
	int bad = 0;

	if (rr->sync_writes != 0 || rr->same_writes != 0) {
		fprintf(stderr,
			"bench: reload N=%d: an unchanged reload wrote %ld (after configuring) and "
			"%ld (after the changes), expected 0\n",
			n, rr->sync_writes, rr->same_writes);
		bad++;
	}
	if (rr->restart_writes != 0 || rr->restart_configured != n) {
		fprintf(stderr,
			"bench: reload N=%d: restarted netd: configured=%ld writes=%ld at READY=1, "
			"expected configured=%d writes=0 (adoption)\n",
			n, rr->restart_configured, rr->restart_writes, n);
		bad++;
	}
	return bad;
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
	struct result c, f, d, idle, r;
	int n = links_from_env(), reload_n[MAX_RELOAD_NS];
	size_t reload_k = reload_ns_from_env(reload_n);
	const char *only = getenv("BENCH_ONLY");
	bool links = true;
	int bad = 0;

	netd_path = getenv("NETD");
	if (!netd_path || netd_path[0] != '/' || access(netd_path, X_OK) < 0)
		die("NETD must name the netd binary by absolute path (make bench sets it)");
	if (only && only[0]) {
		if (strcmp(only, "reload") == 0)
			links = false;
		else
			die("BENCH_ONLY=%s: expected reload (or nothing: every scenario)", only);
	}
	find_ip();
	/* ip and netd must not talk to whoever supervises us. */
	(void)unsetenv("NOTIFY_SOCKET");

	if (links) {
		printf("  links: %d\n", n);
		fflush(stdout);
		c = run_scenario("links only", scen_links_only, n, SCENARIO_MS);
		f = run_scenario("fork ip per step", scen_fork, n, SCENARIO_MS);
		report_baselines(n, &c, &f);
		idle = run_scenario("netd idle", scen_idle, n, SCENARIO_MS);
		d = run_scenario("netd", scen_netd, n, SCENARIO_MS);
		report_netd(n, &f, &d, &idle);
		bad += check(n, &d);
	}
	if (reload_k > 0)
		report_reload_header();
	for (size_t i = 0; i < reload_k; i++) {
		r = run_scenario("reload", scen_reload, reload_n[i],
				 SCENARIO_MS + reload_start_ms(reload_n[i]));
		report_reload(reload_n[i], &r.reload);
		bad += check_reload(reload_n[i], &r.reload);
	}
	return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
