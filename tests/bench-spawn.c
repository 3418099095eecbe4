/* SPDX-License-Identifier: MIT */
/*
 * spawn's start-to-exec time for a busybox container, with netd running, next to
 * `unshare --fork --pid --mount --net --uts --ipc true` and `bwrap --unshare-all` on the same
 * root, in the same run. Everything happens in a fresh network + mount namespace with a
 * private /run. Start-to-exec: from fork() to spawn's READY=1, which it sends at the exec
 * of a command without notify support. Run: from fork() to exit, for all of them.
 * Usage (root): NETD=... SPAWN=... bench-spawn [RUNS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

#define DIR	     "/run/bench"
#define ROOT	     DIR "/root"
#define CONF	     DIR "/netd.conf"
#define STATE	     DIR "/netd"
#define NOTIFY	     DIR "/notify"
#define SPAWN_NOTIFY DIR "/spawn.notify"
#define MAX_RUNS     1000

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, unsigned long long *v, size_t n)
{
	unsigned long long sum = 0;

	qsort(v, n, sizeof(*v), cmp_ull);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	printf("%-58s median %7.2f ms  mean %7.2f ms  min %7.2f ms  max %7.2f ms\n", what,
	       v[n / 2] / 1000.0, sum / 1000.0 / n, v[0] / 1000.0, v[n - 1] / 1000.0);
}

static int fail(const char *what, int r)
{
	fprintf(stderr, "bench-spawn: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

/* Run argv to its end; fills the time to exit and, with notify_fd >= 0, to READY=1. */
static void run(char *const argv[], int notify_fd, unsigned long long *ret_ready,
		unsigned long long *ret_end)
{
	unsigned long long t0 = now_usec();
	struct proc p;
	char buf[512];
	int r = proc_spawn(argv, -1, -1, notify_fd >= 0 ? SPAWN_NOTIFY : NULL, &p);

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
	if (r != 0)
		fail(argv[0], r < 0 ? r : -EIO);
	*ret_end = now_usec() - t0;
	proc_done(&p);
}

int main(int argc, char **argv)
{
	static unsigned long long ready_net[MAX_RUNS], end_net[MAX_RUNS], ready_host[MAX_RUNS],
	    end_host[MAX_RUNS], ready_ns[MAX_RUNS], end_ns[MAX_RUNS], end_unshare[MAX_RUNS],
	    end_bwrap[MAX_RUNS];
	const char *netd = getenv("NETD"), *spawn = getenv("SPAWN"), *step = NULL;
	size_t runs = argc > 1 ? strtoul(argv[1], NULL, 10) : 50;
	int notify = -1, spawn_notify = -1, r;
	struct proc nd;
	char buf[512];

	if (!netd || !spawn || runs == 0 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: NETD=... SPAWN=... bench-spawn [RUNS (1-%d)]\n", MAX_RUNS);
		return 2;
	}
	r = sandbox_unshare(DIR, &step);
	if (r < 0)
		fail(step, r);
	if (system("mkdir -p " ROOT "/bin && cp /bin/busybox " ROOT "/bin/ && "
		   "ln -s busybox " ROOT "/bin/true && ln -s busybox " ROOT "/bin/sh") != 0)
		fail("busybox root", -EIO);
	FILE *f = fopen(CONF, "we");
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
		char *u[] = {"unshare", "--fork", "--pid", "--mount", "--net",
			     "--uts",	"--ipc",  "true",  NULL};
		char *b[] = {"bwrap", "--unshare-all", "--bind", ROOT, "/", "/bin/true", NULL};

		run(s_net, spawn_notify, &ready_net[i], &end_net[i]);
		run(s_host, spawn_notify, &ready_host[i], &end_host[i]);
		run(s_ns, spawn_notify, &ready_ns[i], &end_ns[i]);
		run(u, -1, NULL, &end_unshare[i]);
		run(b, -1, NULL, &end_bwrap[i]);
	}
	printf("%zu runs each, busybox root, netd running\n", runs);
	report("spawn, private network + netd: start to exec", ready_net, runs);
	report("spawn, private network + netd: start to exit", end_net, runs);
	report("spawn, host network (no links, no wait): start to exec", ready_host, runs);
	report("spawn, host network: start to exit", end_host, runs);
	report("spawn, private network, no links (no wait): start to exec", ready_ns, runs);
	report("spawn, private network, no links: start to exit", end_ns, runs);
	report("unshare --fork --pid --mount --net --uts --ipc true", end_unshare, runs);
	report("bwrap --unshare-all --bind ROOT / /bin/true", end_bwrap, runs);
	(void)proc_stop(&nd, SIGTERM, 10000);
	return 0;
}
