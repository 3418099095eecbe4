/* SPDX-License-Identifier: MIT */
/*
 * Many containers at once. 2,000 container links appearing while netd's event socket has a
 * tiny receive buffer (--rcvbuf 4096): events are lost (ENOBUFS), netd must resync and still
 * configure every link exactly once (link up + address + route = 3 writes per link, no more).
 * And 100 containers with their own namespaces started together: both ends of each, once.
 */
#include <ctype.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

TestSuite(burst, .init = sandbox_enter, .fini = sandbox_leave, .timeout = 300);

enum { N = 2000, M = 100 };

/* Text made of one gen(f, i) call per i < n; owned by the caller. */
static char *generate(void (*gen)(FILE *f, int i), int n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert(f, "open_memstream");
	for (int i = 0; i < n; i++)
		gen(f, i);
	fclose(f);
	return text;
}

/* Container cI: 10.(100+I/250).(I%250).1 on the host side, .2 on the (unmanaged) peer. */
static void burst_conf(FILE *f, int i)
{
	fprintf(f,
		"[Container c%d]\nPrivateNetwork=yes\nHostAddress=10.%d.%d.1\n"
		"LocalAddress=10.%d.%d.2\n\n",
		i, 100 + i / 250, i % 250, 100 + i / 250, i % 250);
}

static void burst_link(FILE *f, int i)
{
	fprintf(f, "link add ve-c%d type veth peer name p%d\n", i, i);
}

/* Container mI: 10.200.I.1 on the host side, 10.200.I.2 inside its own namespace. */
static void ns_conf(FILE *f, int i)
{
	fprintf(f, "[Container m%d]\nPrivateNetwork=yes\nHostAddress=10.200.%d.1\n"
		   "LocalAddress=10.200.%d.2\n\n", i, i, i);
}

static void ns_link(FILE *f, int i)
{
	fprintf(f, "netns add m%d\nlink add ve-m%d type veth peer name host0 netns m%d\n", i, i, i);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(burst, two_thousand_links_with_small_rcvbuf)
{
	char *conf = generate(burst_conf, N), *batch = generate(burst_link, N);

	file_write(TEST_DIR "/links.batch", batch);
	free(batch);

	struct netd_status s = netd_start(conf, "--rcvbuf 4096");
	free(conf);
	cr_assert(s.writes == 0, "writes before any link exists: %s", netd_status_str(&s));

	double t0 = now_s();
	sh_ok("ip -batch %s/links.batch", TEST_DIR);
	s = netd_wait_counter("configured", N, 120000);
	fprintf(stderr, "burst: %d links configured %.2f s after the batch started\n", N,
		now_s() - t0);

	/* every ve-cI carries exactly its own address, 10.(100+I/250).(I%250).1/32 */
	long bad = sh_num(
		"ip -j -4 addr show | jq '[.[] | select(.ifname | startswith(\"ve-c\")) "
		"| (.ifname[4:] | tonumber) as $i "
		"| select([.addr_info[] | .local + \"/\" + (.prefixlen | tostring)] != "
		"[\"10.\\(100 + ($i / 250 | floor)).\\($i %% 250).1/32\"])] | length'");
	long n = sh_num("ip -j link show type veth | jq '[.[] | select(.ifname | "
			"startswith(\"ve-c\"))] | length'");
	cr_expect(n == N, "%ld ve-c* links, expected %d", n, N);
	cr_expect(bad == 0, "%ld ve-c* links without exactly their address", bad);
	long routes = sh_num("ip -j -4 route show proto 211 | jq 'length'");
	cr_expect(routes == N, "%ld routes with protocol 211, expected %d", routes, N);

	/* an identical reload is a sync point: every write netd made is counted by then */
	s = netd_reload(NULL);
	if (s.writes != 3 * N)
		netd_dump_log();
	cr_expect(s.configured == N, "after reload: %s", netd_status_str(&s));
	cr_expect(s.writes == 3 * N,
		  "writes=%ld, expected exactly %d (up + address + route once per link): %s",
		  s.writes, 3 * N, netd_status_str(&s));
}

Test(burst, hundred_containers_with_namespaces)
{
	char *conf = generate(ns_conf, M), *batch = generate(ns_link, M);

	file_write(TEST_DIR "/ns.batch", batch);
	free(batch);

	netd_start(conf, NULL);
	free(conf);
	double t0 = now_s();
	sh_ok("ip -batch %s/ns.batch", TEST_DIR);
	struct netd_status s = netd_wait_counter("configured", M, 60000);
	fprintf(stderr, "burst: %d containers with namespaces configured %.2f s after the batch\n",
		M, now_s() - t0);
	cr_expect(s.unmanaged == 0, "every container side managed: %s", netd_status_str(&s));

	/* every container's eth0 is up with its own address and its default route */
	long bad = sh_num("n=0; for i in $(seq 0 %d); do "
			  "ip -n m$i -j addr show dev eth0 | jq -e --arg a 10.200.$i.2 "
			  "'.[0].operstate != \"DOWN\" and any(.[0].addr_info[]; .local == $a)' "
			  ">/dev/null && ip -n m$i -j route show default | jq -e "
			  "--arg g 10.200.$i.1 'any(.[]; .gateway == $g)' >/dev/null || n=$((n+1)); "
			  "done; echo $n", M - 1);
	cr_expect(bad == 0, "%ld containers without their eth0 address or default route", bad);

	/* host: up + address + route; inside: rename+up + address + route + default route */
	s = netd_reload(NULL);
	cr_expect(s.writes == 7 * M, "writes=%ld, expected exactly %d: %s", s.writes, 7 * M,
		  netd_status_str(&s));
}

/*
 * The host's event socket also carries every container namespace's events: when it overflows,
 * the containers' views re-read their namespaces as well, and every container still ends up
 * configured on both sides.
 */
Test(burst, namespaces_with_small_rcvbuf)
{
	char *conf = generate(ns_conf, M), *batch = generate(ns_link, M);

	file_write(TEST_DIR "/ns.batch", batch);
	free(batch);
	netd_start(conf, "--rcvbuf 4096");
	free(conf);
	sh_ok("ip -batch %s/ns.batch", TEST_DIR);
	struct netd_status s = netd_wait_counter("configured", M, 60000);
	cr_expect(s.unmanaged == 0, "every container side managed: %s", netd_status_str(&s));
	_cleanup_free_ char *log = file_read(NETD_LOG);
	cr_expect(log && strstr(log, "host: netlink events were lost"), "no overflow happened");
	cr_expect(sh_num("grep -cE ' m[0-9]+: netlink events were lost' %s || true", NETD_LOG) > 0,
		  "no container view re-read its namespace");
	long bad = sh_num("n=0; for i in $(seq 0 %d); do "
			  "ip -n m$i -j route show default | jq -e --arg g 10.200.$i.1 "
			  "'any(.[]; .gateway == $g)' >/dev/null || n=$((n+1)); done; echo $n",
			  M - 1);
	cr_expect(bad == 0, "%ld containers without their default route", bad);
}

/*
 * The operstate of one end as the kernel reports it, upper case as ip prints it: the host's
 * straight from sysfs, a namespace's from ip.
 */
static void operstate(const char *ns, const char *dev, char *buf, size_t len)
{
	_cleanup_free_ char *out = NULL;
	const char *p;

	if (!ns) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", dev);
		out = file_read(path);
		snprintf(buf, len, "%s", out ? out : "?");
		for (char *c = buf; *c; c++)
			*c = (char)toupper((unsigned char)*c);
	} else {
		out = sh_out("ip -n %s -o link show dev %s", ns, dev);
		p = strstr(out, " state ");
		snprintf(buf, len, "%s", p ? p + 7 : "?");
	}
	buf[strcspn(buf, " \n")] = '\0';
}

static bool oper_up(const char *state)
{
	return strcmp(state, "UP") == 0 || strcmp(state, "UNKNOWN") == 0;
}

/*
 * `configured` means both ends are operationally up as the kernel reports it (operstate UP,
 * or UNKNOWN, which the kernel counts as up too). Under a burst the kernel reports operstate
 * late; at the moment each NAME.state says STATE=configured (inotify on the state directory),
 * both ends of that container must already be up.
 */
Test(burst, configured_only_when_both_ends_up)
{
	char *conf = generate(ns_conf, M), *batch = generate(ns_link, M);
	unsigned long long deadline;
	_cleanup_close_ int ifd = -1;
	bool done[M] = { false };
	int n_done = 0, n_bad = 0, r;
	struct proc ip = { .pidfd = -1 };

	file_write(TEST_DIR "/ns.batch", batch);
	free(batch);
	netd_start(conf, NULL);
	free(conf);
	(void)mkdir(STATE_DIR, 0755);
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	cr_assert(ifd >= 0, "inotify_init1: %s", strerror(errno));
	cr_assert(inotify_add_watch(ifd, STATE_DIR, IN_MOVED_TO | IN_CLOSE_WRITE) >= 0,
		  "inotify_add_watch %s: %s", STATE_DIR, strerror(errno));

	/* the batch runs while the state files are watched */
	r = proc_spawn((char *[]){ "ip", "-batch", TEST_DIR "/ns.batch", NULL }, -1, -1, NULL,
		       &ip);
	cr_assert(r == 0, "spawn ip -batch: %s", strerror(-r));
	deadline = now_usec() + 60000ULL * 1000;
	while (n_done < M) {
		struct pollfd pfd = { .fd = ifd, .events = POLLIN };
		char ev[8192];

		for (int i = 0; i < M; i++) {
			char name[16], ve[24], host[32], inside[32];
			_cleanup_free_ char *state = NULL;

			if (done[i])
				continue;
			snprintf(name, sizeof(name), "m%d", i);
			state = state_get(STATE_DIR, name, "STATE");
			if (!streq_ptr(state, "configured"))
				continue;
			snprintf(ve, sizeof(ve), "ve-%s", name);
			operstate(NULL, ve, host, sizeof(host));
			operstate(name, "eth0", inside, sizeof(inside));
			done[i] = true;
			n_done++;
			if (oper_up(host) && oper_up(inside))
				continue;
			if (n_bad++ < 5)
				cr_expect_fail("%s configured while %s is %s and its eth0 is %s", name,
					       ve, host, inside);
		}
		if (n_done == M)
			break;
		cr_assert(poll(&pfd, 1, remaining_ms(deadline)) > 0,
			  "%d of %d containers configured within 60 s", n_done, M);
		while (read(ifd, ev, sizeof(ev)) > 0)
			;
	}
	r = proc_wait(&ip, WAIT_MS);
	proc_done(&ip);
	cr_expect(r == 0, "ip -batch: status %d", r);
	cr_expect(n_bad == 0, "%d of %d containers configured before both ends were up", n_bad, M);
}
