/* SPDX-License-Identifier: MIT */
/*
 * Many containers at once. 2,000 container links appearing while netd's event socket has a
 * tiny receive buffer (--rcvbuf 4096): events are lost (ENOBUFS), netd must resync and still
 * configure every link exactly once (link up + address + route = 3 writes per link, no more).
 * And 100 containers with their own namespaces started together: both ends of each, once.
 */
#include <time.h>

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
