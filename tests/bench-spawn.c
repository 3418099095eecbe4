/* SPDX-License-Identifier: MIT */
/*
 * Experiment 6 of `make bench` (also `make bench-spawn`): spawn's start-to-exec time for a
 * busybox container with netd running, next to what else starts a container on the same root
 * in the same run: `unshare --fork --pid --mount --uts --ipc --net chroot ROOT /bin/true`,
 * `bwrap --unshare-all --bind ROOT / /bin/true` and `systemd-nspawn --register=no --keep-unit
 * --network-veth -D ROOT /bin/true`. Everything happens in a fresh network + mount namespace
 * with a private /run, the variants interleaved run by run. Start-to-exec: from fork() to
 * spawn's READY=1, which it sends at the exec of a command without notify support. Run: from
 * fork() to exit, for all of them (the others say nothing at their exec).
 *
 * systemd-nspawn needs the cgroup hierarchy, which the sandbox's fresh sysfs hides: cgroup2 is
 * mounted again inside the sandbox, and nspawn runs in a cgroup of its own made for this run
 * (--keep-unit: it puts its payload and supervisor below the cgroup it is in), removed at the
 * end. Without systemd-nspawn or cgroup2 its row is left out.
 *
 * Usage (root): NETD=... SPAWN=... bench-spawn [RUNS]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"

#define DIR	     "/run/bench"
#define ROOT	     DIR "/root"
#define CONF	     DIR "/netd.conf"
#define STATE	     DIR "/netd"
#define NOTIFY	     DIR "/notify"
#define SPAWN_NOTIFY DIR "/spawn.notify"
#define CGROUP_FS    "/sys/fs/cgroup"
#define MAX_RUNS     1000

static char cgroup[128]; /* nspawn's cgroup, "" when none */

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static unsigned long long median(unsigned long long *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_ull);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const char *what, unsigned long long *v, size_t n)
{
	unsigned long long med = median(v, n);

	printf("  %-62s %8.2f ms %8.2f ms %8.2f ms\n", what, v[0] / 1000.0, med / 1000.0,
	       v[n - 1] / 1000.0);
}

static __attribute__((noreturn)) void fail(const char *what, int r)
{
	fprintf(stderr, "bench-spawn: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

/* In the child of an nspawn run, before exec: into its own cgroup. */
static void enter_cgroup(void)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	f = fopen(path, "we");
	if (!f || fprintf(f, "0\n") < 0 || fclose(f) != 0)
		fail(path, -errno);
}

/* Run argv to its end; fills the time to exit and, with notify_fd >= 0, to READY=1. */
static void run(char *const argv[], int notify_fd, bool in_cgroup, unsigned long long *ret_ready,
		unsigned long long *ret_end)
{
	unsigned long long t0 = now_usec();
	struct proc p;
	char buf[512];
	int r;

	if (in_cgroup) {
		r = proc_fork(&p);
		if (r == 0 && p.pid == 0) {
			enter_cgroup();
			execvp(argv[0], argv);
			fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
	} else {
		r = proc_spawn(argv, -1, -1, notify_fd >= 0 ? SPAWN_NOTIFY : NULL, &p);
	}
	if (r < 0)
		fail(argv[0], r);
	while (notify_fd >= 0) {
		int pidfd = proc_exit_fd(&p);

		r = notify_wait(notify_fd, &pidfd, 1, now_usec() + 30000000ULL, buf, sizeof(buf),
				&(struct netd_status){0});
		if (r <= 0)
			fail("no READY=1 from spawn", r ? r : -ETIME);
		if (r & NOTIFY_MESSAGE && text_has_line(buf, "READY=1")) {
			*ret_ready = now_usec() - t0;
			break;
		}
		if (r & NOTIFY_EXITED(0))
			fail("spawn exited before READY=1", -EIO);
	}
	r = proc_wait(&p, 30000);
	if (r != 0) {
		fprintf(stderr, "bench-spawn: %s exited with status %d\n", argv[0], r);
		exit(1);
	}
	*ret_end = now_usec() - t0;
	proc_done(&p);
}

static bool have(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", tool);
	return system(cmd) == 0;
}

/* cgroup2 inside the sandbox, and a cgroup of our own below its root. */
static bool nspawn_setup(void)
{
	if (!have("systemd-nspawn") ||
	    (getenv("BENCH_NSPAWN") && strcmp(getenv("BENCH_NSPAWN"), "0") == 0))
		return false;
	if (mount("cgroup2", CGROUP_FS, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		fprintf(stderr,
			"bench-spawn: note: cannot mount cgroup2 (%s): no systemd-nspawn row\n",
			strerror(errno));
		return false;
	}
	snprintf(cgroup, sizeof(cgroup), CGROUP_FS "/bench-spawn-%d", (int)getpid());
	if (mkdir(cgroup, 0755) < 0)
		fail(cgroup, -errno);
	return true;
}

/* Remove nspawn's cgroups (its payload and supervisor below ours, then ours): all empty by
 * now, every nspawn having exited. */
static void nspawn_cleanup(void)
{
	char path[256];

	if (!cgroup[0])
		return;
	snprintf(path, sizeof(path), "%s/payload", cgroup);
	(void)rmdir(path);
	snprintf(path, sizeof(path), "%s/supervisor", cgroup);
	(void)rmdir(path);
	if (rmdir(cgroup) < 0)
		fprintf(stderr, "bench-spawn: note: cannot remove %s: %s\n", cgroup,
			strerror(errno));
}

int main(int argc, char **argv)
{
	static unsigned long long ready_net[MAX_RUNS], end_net[MAX_RUNS], ready_host[MAX_RUNS],
	    end_host[MAX_RUNS], ready_ns[MAX_RUNS], end_ns[MAX_RUNS], end_unshare[MAX_RUNS],
	    end_bwrap[MAX_RUNS], end_nspawn[MAX_RUNS], ignored;
	const char *netd = getenv("NETD"), *spawn = getenv("SPAWN"), *step = NULL;
	size_t runs = argc > 1 ? strtoul(argv[1], NULL, 10) : 50;
	int notify = -1, spawn_notify = -1, r;
	bool bwrap, nspawn;
	struct proc nd;
	char buf[512];
	FILE *f;

	if (!netd || !spawn || runs == 0 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: NETD=... SPAWN=... bench-spawn [RUNS (1-%d)]\n", MAX_RUNS);
		return 2;
	}
	(void)unsetenv("NOTIFY_SOCKET");
	r = sandbox_unshare(DIR, &step);
	if (r < 0)
		fail(step, r);
	/* usr/ and etc/os-release: systemd-nspawn wants a root that looks like an OS tree */
	if (system("mkdir -p " ROOT "/bin " ROOT "/usr " ROOT "/etc && cp /bin/busybox " ROOT
		   "/bin/ && ln -s busybox " ROOT "/bin/true && ln -s busybox " ROOT "/bin/sh && "
		   "touch " ROOT "/etc/os-release") != 0)
		fail("busybox root", -EIO);
	/*
	 * A veth pair of our own first, as in bench-burst.c: in the sandbox's fresh namespace the
	 * first ve-b would get ifindex 2 like the eth0 inside, and the kernel's linkwatch, which
	 * compares the two numbers, would not take it for stacked: that eth0's operstate would
	 * wait for the next non-urgent linkwatch run, up to a second. On a host, a NIC has 2.
	 */
	if (system("ip link add bench0 type veth peer name bench1") != 0)
		fail("veth pair bench0/bench1", -EIO);
	bwrap = have("bwrap");
	nspawn = nspawn_setup();
	f = fopen(CONF, "we");
	if (!f)
		fail(CONF, -errno);
	fprintf(f,
		"[Container b]\nPrivateNetwork=yes\nHostAddress=10.9.0.1\nLocalAddress=10.9.0.2\n"
		"Directory=" ROOT "\n[Container h]\nDirectory=" ROOT "\n"
		"[Container n]\nPrivateNetwork=yes\nDirectory=" ROOT "\n");
	fclose(f);
	r = notify_open(NOTIFY, &notify);
	if (r == 0)
		r = notify_open(SPAWN_NOTIFY, &spawn_notify);
	if (r == 0)
		r = netd_exec(netd, CONF, STATE, NULL, DIR "/netd.log", NOTIFY, &nd);
	if (r < 0)
		fail("netd", r);
	for (;;) {
		int pidfd = proc_exit_fd(&nd);

		r = notify_wait(notify, &pidfd, 1, now_usec() + 10000000ULL, buf, sizeof(buf),
				&(struct netd_status){0});
		if (r <= 0 || r & NOTIFY_EXITED(0))
			fail("netd did not get ready", -EIO);
		if (text_has_line(buf, "READY=1"))
			break;
	}
	for (size_t i = 0; i < runs; i++) {
		char *s_net[] = {(char *)spawn, "--config", CONF,	 "--state-dir", STATE,
				 "b",		"--",	    "/bin/true", NULL};
		char *s_host[] = {(char *)spawn, "--config", CONF,	  "--state-dir", STATE,
				  "h",		 "--",	     "/bin/true", NULL};
		char *s_ns[] = {(char *)spawn, "--config", CONF,	"--state-dir", STATE,
				"n",	       "--",	   "/bin/true", NULL};
		char *u[] = {"unshare", "--fork", "--pid", "--mount",	"--uts", "--ipc",
			     "--net",	"chroot", ROOT,	   "/bin/true", NULL};
		char *b[] = {"bwrap", "--unshare-all", "--bind", ROOT, "/", "/bin/true", NULL};
		char *n[] = {"systemd-nspawn",
			     "--quiet",
			     "--register=no",
			     "--keep-unit",
			     "--network-veth",
			     "--machine=bench",
			     "-D",
			     ROOT,
			     "/bin/true",
			     NULL};

		run(s_net, spawn_notify, false, &ready_net[i], &end_net[i]);
		run(s_host, spawn_notify, false, &ready_host[i], &end_host[i]);
		run(s_ns, spawn_notify, false, &ready_ns[i], &end_ns[i]);
		run(u, -1, false, &ignored, &end_unshare[i]);
		if (bwrap)
			run(b, -1, false, &ignored, &end_bwrap[i]);
		if (nspawn)
			run(n, -1, true, &ignored, &end_nspawn[i]);
	}
	(void)proc_stop(&nd, SIGTERM, 10000);
	nspawn_cleanup();

	printf("\n== 6. spawn: a busybox container's start, netd running; %zu runs each, "
	       "interleaved, in fresh namespaces\n",
	       runs);
	printf("  %-62s %11s %11s %11s\n", "", "min", "median", "max");
	report("spawn, private network configured by netd: start to exec", ready_net, runs);
	report("spawn, private network configured by netd: start to exit", end_net, runs);
	report("spawn, host network (no links, no wait): start to exec", ready_host, runs);
	report("spawn, private network, no links (no wait): start to exec", ready_ns, runs);
	report("unshare --fork --pid --mount --uts --ipc --net chroot ROOT true", end_unshare,
	       runs);
	if (bwrap)
		report("bwrap --unshare-all --bind ROOT / /bin/true", end_bwrap, runs);
	if (nspawn)
		report("systemd-nspawn --register=no --keep-unit --network-veth", end_nspawn, runs);
	{
		double s = (double)median(ready_net, runs);

		printf("  spawn (netd) start to exec / unshare %.2fx",
		       s / median(end_unshare, runs));
		if (bwrap)
			printf(" | / bwrap %.2fx (target <= 2: %s)", s / median(end_bwrap, runs),
			       s <= 2.0 * median(end_bwrap, runs) ? "met" : "MISSED");
		if (nspawn)
			printf(" | nspawn --network-veth / spawn %.2fx (target >= 10: %s)",
			       median(end_nspawn, runs) / s,
			       median(end_nspawn, runs) >= 10.0 * s ? "met" : "MISSED");
		printf("\n");
	}
	return 0;
}
