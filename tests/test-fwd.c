/* SPDX-License-Identifier: MIT */
/*
 * Port forwards and masquerade end to end, through a running netd: a config file, SIGHUP,
 * SIGKILL, state files, `nft -j list ruleset` and `nft monitor`, and real TCP and UDP traffic
 * over IPv4 and IPv6 between the outside host of traffic.h, the test's host namespace and the
 * containers netd configures. Each test runs in its own sandbox.
 */
#include <netinet/in.h> /* before the kernel headers, so that their libc-compat defers to it */
#include <libmnl/libmnl.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "harness.h"
#include "traffic.h"

#define CT_Y                          \
	"[Container y]\n"             \
	"PrivateNetwork=yes\n"        \
	"HostAddress=10.0.1.1\n"      \
	"LocalAddress=10.0.1.2\n"     \
	"HostAddress6=fd01::1\n"      \
	"LocalAddress6=fd01::2\n"
#define CT_Z                          \
	"[Container z]\n"             \
	"PrivateNetwork=yes\n"        \
	"HostAddress=10.0.2.1\n"      \
	"LocalAddress=10.0.2.2\n"     \
	"HostAddress6=fd02::1\n"      \
	"LocalAddress6=fd02::2\n"

static void fwd_leave(void);

TestSuite(fwd, .init = sandbox_enter, .fini = fwd_leave, .timeout = 120);

/* ---- setup ----------------------------------------------------------------------------------- */

/*
 * IPv6 resolves the neighbours of forwarded packets from the link's link-local address only:
 * wait for ve-NAME's to be past DAD (ipv6_forwards_do_not_wait_for_dad tests without).
 */
static void settle_host_link(const char *name)
{
	char dev[32];

	snprintf(dev, sizeof(dev), "ve-%s", name);
	wait_cond(WAIT_MS, "%s", q_settled(NULL, dev));
}

/*
 * The outside host, netd on conf, then the links of each named container (NULL-terminated),
 * each waited for until configured, and the STATUS= that counts them all: it is sent at the
 * end of the pass that wrote the last state file, so whatever that pass did is done.
 */
static void start(const char *conf, ...)
{
	va_list ap;
	long n_cts = 0;

	outside_add();
	netd_start(conf, NULL);
	va_start(ap, conf);
	for (const char *n; (n = va_arg(ap, const char *)); n_cts++)
		ct_add(n, false, true);
	va_end(ap);
	va_start(ap, conf);
	for (const char *n; (n = va_arg(ap, const char *));)
		wait_state(STATE_DIR, n, "configured", WAIT_MS);
	va_end(ap);
	netd_wait_counter("configured", n_cts, WAIT_MS);
	va_start(ap, conf);
	for (const char *n; (n = va_arg(ap, const char *));)
		settle_host_link(n);
	va_end(ap);
}

/* The links of container name (declared in the running config), then the pass that counts
 * configured containers. */
static void add_container(const char *name, long configured)
{
	ct_add(name, false, true);
	wait_state(STATE_DIR, name, "configured", WAIT_MS);
	netd_wait_counter("configured", configured, WAIT_MS);
	settle_host_link(name);
}

static long sysctl_num(const char *path)
{
	_cleanup_free_ char *v = file_read(path);

	cr_assert(v, "cannot read %s", path);
	return strtol(v, NULL, 10);
}

/* How many lines of text contain word. */
static unsigned count_lines(const char *text, const char *word)
{
	unsigned n = 0;

	for (const char *l = text; l && *l;) {
		const char *e = strchrnul(l, '\n');

		if (memmem(l, (size_t)(e - l), word, strlen(word)))
			n++;
		l = *e ? e + 1 : e;
	}
	return n;
}

/* ---- netd's table ---------------------------------------------------------------------------- */

/* `nft -j list ruleset`, the whole of it (malloc'ed). */
static char *ruleset(void)
{
	return sh_out("nft -j list ruleset");
}

/* `nft list table inet netd` as text (malloc'ed), for looking for addresses. */
static char *table_text(void)
{
	return sh_out("nft list table inet netd");
}

/*
 * netd's table with handles dropped and the elements of each set sorted (malloc'ed): equal for
 * two tables that carry the same chains, rules and elements, however they were built.
 */
static char *table_norm(void)
{
	return sh_out("nft -j list table inet netd | jq -S -c '[.nftables[] "
		      "| select(.metainfo | not) "
		      "| walk(if type == \"object\" then del(.handle) else . end) "
		      "| if .set then .set.elem |= (. // [] | sort) "
		      "elif .map then .map.elem |= (. // [] | sort) else . end]'");
}

/*
 * The handles of netd's table, its sets, chains and rules (malloc'ed). The table's handle is
 * new whenever the table is created again, even with the same content.
 */
static char *handles(void)
{
	return sh_out("nft -j list table inet netd | jq -c '[.nftables[] | .[]? | .handle?]'");
}

/* Does netd's map (fwd4, fwd6, fwd4a, fwd6a) have a key ending in proto . port? */
static bool fwd_has(const char *map, const char *proto, unsigned port)
{
	return sh("nft -j list table inet netd | jq -e --arg m %s --arg p %s --argjson n %u "
		  "'any(.nftables[] | (.map // empty) | select(.name == $m) | (.elem // [])[]; "
		  ".[0].concat[-2:] == [$p, $n])' >/dev/null",
		  map, proto, port) == 0;
}

/* ---- nft monitor ----------------------------------------------------------------------------- */

/*
 * `nft monitor` into a file, proven subscribed by a sentinel table added and deleted (so the
 * ruleset is the same afterwards), and closed by a second sentinel: once that shows up every
 * earlier change is in the file.
 */
struct nftmon {
	struct proc p;
	char path[64];
	int ifd; /* inotify on path */
	unsigned sentinel;
};

static struct nftmon *running_mon;

static bool nftmon_wait_line(struct nftmon *m, const char *line, int timeout_ms)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	char ev[4096];

	for (;;) {
		_cleanup_free_ char *text = file_read(m->path);
		struct pollfd pfd = { .fd = m->ifd, .events = POLLIN };

		if (text && text_has_line(text, line))
			return true;
		cr_assert(proc_running(&m->p), "nft monitor exited");
		if (poll(&pfd, 1, remaining_ms(deadline)) == 0)
			return false;
		while (read(m->ifd, ev, sizeof(ev)) > 0)
			;
	}
}

/* Add and delete a sentinel table; true once its deletion is in the capture. */
static bool nftmon_sentinel(struct nftmon *m, int timeout_ms)
{
	char line[64];

	m->sentinel++;
	sh_ok("nft add table inet fwdsentinel%u && nft delete table inet fwdsentinel%u",
	      m->sentinel, m->sentinel);
	snprintf(line, sizeof(line), "delete table inet fwdsentinel%u", m->sentinel);
	return nftmon_wait_line(m, line, timeout_ms);
}

static struct nftmon *nftmon_start(void)
{
	struct nftmon *m = calloc(1, sizeof(*m));
	char *argv[] = { "nft", "monitor", NULL };
	_cleanup_close_ int fd = -1;
	int r;

	cr_assert(m && !running_mon, "one nft monitor at a time");
	snprintf(m->path, sizeof(m->path), TEST_DIR "/nftmon.log");
	fd = open(m->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert(fd >= 0, "open %s: %s", m->path, strerror(errno));
	m->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	cr_assert(m->ifd >= 0 && inotify_add_watch(m->ifd, m->path, IN_MODIFY) >= 0,
		  "inotify on %s: %s", m->path, strerror(errno));
	r = proc_spawn(argv, fd, -1, NULL, &m->p);
	cr_assert(r == 0, "spawn nft monitor: %s", strerror(-r));
	running_mon = m;
	/* No event says "subscribed": a sentinel made before that is lost, so try again. */
	for (unsigned attempt = 0; !nftmon_sentinel(m, 200); attempt++)
		cr_assert(attempt < 50, "nft monitor reports no events");
	return m;
}

static void nftmon_kill(struct nftmon *m)
{
	(void)proc_stop(&m->p, SIGKILL, 5000);
	proc_done(&m->p);
	close(m->ifd);
	running_mon = NULL;
	free(m);
}

/*
 * Stop the capture: the changes made since it started, one per line, without the sentinels'
 * own (malloc'ed; "" when nothing changed). "# new generation ... (netd)" lines stay: one per
 * batch netd committed.
 */
static char *nftmon_stop(struct nftmon *m)
{
	_cleanup_free_ char *text = NULL;
	char *out, *o;

	cr_assert(nftmon_sentinel(m, WAIT_MS), "nft monitor did not report the closing sentinel");
	text = file_read(m->path);
	cr_assert(text, "cannot read %s", m->path);
	nftmon_kill(m);
	out = o = calloc(1, strlen(text) + 1);
	cr_assert(out, "oom");
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		bool nft_own = strstr(l, "# new generation") && strstr(l, "(nft)");

		if (nft_own || strstr(l, "fwdsentinel"))
			continue;
		o = stpcpy(stpcpy(o, l), "\n");
	}
	return out;
}

static void fwd_leave(void)
{
	if (running_mon)
		nftmon_kill(running_mon);
	sandbox_leave();
}

/* ---- traffic --------------------------------------------------------------------------------- */

Test(fwd, outside_reaches_container_tcp_udp_v4_v6)
{
	int t4, t6, u4, u6, other_t, other_u, direct;

	start(CT_X "ForwardPort=8080:80 udp:5353:53\n", "x", NULL);
	t4 = server("x", false, "0.0.0.0", 80);
	t6 = server("x", false, "::", 80);
	u4 = server("x", true, "0.0.0.0", 53);
	u6 = server("x", true, "::", 53);
	other_t = server("x", false, "0.0.0.0", 8082);
	other_u = server("x", true, "0.0.0.0", 5354);
	direct = server("x", false, "::", 8080);

	/* Not masqueraded: the container sees the outside host as it is. */
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, t4, OUT_PEER4);
	expect_reach(OUT_NS, false, OUT_HOST6, 8080, t6, OUT_PEER6);
	expect_reach(OUT_NS, true, OUT_HOST4, 5353, u4, OUT_PEER4);
	expect_reach(OUT_NS, true, OUT_HOST6, 5353, u6, OUT_PEER6);
	/* Ports not declared reach nothing, though the container listens on them. */
	expect_no_reach(OUT_NS, false, OUT_HOST4, 8082, other_t);
	expect_no_reach(OUT_NS, true, OUT_HOST4, 5354, other_u);
	/* The forward goes to CONTAINERPORT, not to HOSTPORT in the container. */
	expect_no_reach(OUT_NS, false, OUT_HOST6, 8080, direct);
	expect_reach(OUT_NS, false, OUT_HOST6, 8080, t6, NULL);
	/* The protocol is part of the forward. */
	expect_no_reach(OUT_NS, true, OUT_HOST4, 8080, server("x", true, "0.0.0.0", 80));
}

Test(fwd, host_reaches_through_its_own_addresses)
{
	int t4, t6, u4, u6;

	start(CT_X "ForwardPort=8080:80 udp:5353:53\n", "x", NULL);
	t4 = server("x", false, "0.0.0.0", 80);
	t6 = server("x", false, "::", 80);
	u4 = server("x", true, "0.0.0.0", 53);
	u6 = server("x", true, "::", 53);

	expect_reach(NULL, false, OUT_HOST4, 8080, t4, NULL);
	expect_reach(NULL, false, OUT_HOST6, 8080, t6, NULL);
	expect_reach(NULL, true, OUT_HOST4, 5353, u4, NULL);
	expect_reach(NULL, true, OUT_HOST6, 5353, u6, NULL);
	/* The host's address on the container link is one of its own addresses too. */
	expect_reach(NULL, false, "10.0.0.1", 8080, t4, NULL);
	expect_reach(NULL, true, "fd00::1", 5353, u6, NULL);
	/* 127.0.0.1 works: the container sees the host's address on its link. */
	expect_reach(NULL, false, "127.0.0.1", 8080, t4, "10.0.0.1");
	expect_reach(NULL, true, "127.0.0.1", 5353, u4, "10.0.0.1");
	cr_expect_eq(sysctl_num("/proc/sys/net/ipv4/conf/ve-x/route_localnet"), 1);
	cr_expect_eq(sysctl_num("/proc/sys/net/ipv4/conf/veo/route_localnet"), 0,
		     "route_localnet only on container links");
	/* ::1 is left alone (README): refused at once rather than forwarded into a hang. */
	cr_expect_eq(tcp_connect_error(NULL, "::1", 8080), ECONNREFUSED);
	expect_no_reach(NULL, false, "::1", 8080, t6);
}

/*
 * On a busy host DAD of a new link's link-local address takes seconds (the addrconf work queue
 * is shared by every namespace); here it takes 100 s. "configured" promises reachable
 * forwards all the same: the host must be able to resolve the container's address on its link.
 */
Test(fwd, ipv6_forwards_do_not_wait_for_dad)
{
	int t6, u6;

	outside_add();
	sh_ok("sysctl -qw net.ipv6.conf.default.dad_transmits=100");
	netd_start(CT_X "ForwardPort=8080:80 udp:5353:53\n", NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	netd_wait_counter("configured", 1, WAIT_MS);
	t6 = server("x", false, "::", 80);
	u6 = server("x", true, "::", 53);

	expect_reach(OUT_NS, false, OUT_HOST6, 8080, t6, OUT_PEER6);
	expect_reach(OUT_NS, true, OUT_HOST6, 5353, u6, OUT_PEER6);
	expect_reach(NULL, false, OUT_HOST6, 8080, t6, NULL);
}

Test(fwd, range_forwards_every_port)
{
	unsigned tports[] = { 7000, 7004, 7009 }, uports[] = { 6000, 6002, 6004 };

	start(CT_X "ForwardPort=7000-7009:7100-7109 udp:6000-6004\n", "x", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(tports); i++) {
		expect_reach(OUT_NS, false, OUT_HOST4, tports[i],
			     server("x", false, "0.0.0.0", tports[i] + 100), OUT_PEER4);
		expect_reach(OUT_NS, false, OUT_HOST6, tports[i],
			     server("x", false, "::", tports[i] + 100), OUT_PEER6);
		expect_reach(OUT_NS, true, OUT_HOST4, uports[i],
			     server("x", true, "0.0.0.0", uports[i]), OUT_PEER4);
	}
	/* One past either end is not forwarded. */
	expect_no_reach(OUT_NS, false, OUT_HOST4, 6999, server("x", false, "0.0.0.0", 7099));
	expect_no_reach(OUT_NS, false, OUT_HOST4, 7010, server("x", false, "0.0.0.0", 7110));
	expect_no_reach(OUT_NS, true, OUT_HOST4, 6005, server("x", true, "0.0.0.0", 6005));
}

Test(fwd, hostaddr_forward_answers_on_that_address_only)
{
	int t4, t6, v6_80, v4_81;

	start(CT_X "ForwardPort=" OUT_HOST4 ":9090:80 [" OUT_HOST6 "]:9091:81\n", "x", NULL);
	/* A second address of the host, on the same link as the first. */
	sh_ok("ip addr add 192.168.7.11/24 dev veo && ip -6 addr add fd07::11/64 dev veo nodad");
	t4 = server("x", false, "0.0.0.0", 80);
	t6 = server("x", false, "::", 81);
	v6_80 = server("x", false, "::", 80);
	v4_81 = server("x", false, "0.0.0.0", 81);

	expect_reach(OUT_NS, false, OUT_HOST4, 9090, t4, OUT_PEER4);
	expect_reach(OUT_NS, false, OUT_HOST6, 9091, t6, OUT_PEER6);
	expect_reach(NULL, false, OUT_HOST4, 9090, t4, NULL);
	expect_no_reach(OUT_NS, false, "192.168.7.11", 9090, t4);
	expect_no_reach(OUT_NS, false, "fd07::11", 9091, t6);
	expect_no_reach(NULL, false, "10.0.0.1", 9090, t4);
	expect_no_reach(NULL, false, "127.0.0.1", 9090, t4);
	/* A HOSTADDR forward stays in its address's family. */
	expect_no_reach(OUT_NS, false, OUT_HOST6, 9090, v6_80);
	expect_no_reach(OUT_NS, false, OUT_HOST4, 9091, v4_81);
}

Test(fwd, hairpin_through_the_host_address)
{
	int t4, t6;

	/* y, which declares no forward of its own, comes up after x. */
	start(CT_X "ForwardPort=8080:80\n" CT_Y, "x", NULL);
	add_container("y", 2);
	t4 = server("x", false, "0.0.0.0", 80);
	t6 = server("x", false, "::", 80);

	/* x reaches its own forward, y reaches x's, both through the host; the connections are
	 * masqueraded to the host's address on ve-x, so the answers come back through the host. */
	expect_reach("x", false, OUT_HOST4, 8080, t4, "10.0.0.1");
	expect_reach("x", false, OUT_HOST6, 8080, t6, "fd00::1");
	expect_reach("y", false, OUT_HOST4, 8080, t4, "10.0.0.1");
	expect_reach("y", false, "10.0.1.1", 8080, t4, "10.0.0.1");
	expect_reach("y", false, OUT_HOST6, 8080, t6, "fd00::1");
	/* Not a forward: y talks to x directly and is seen as itself. */
	expect_reach("y", false, "10.0.0.2", 80, t4, "10.0.1.2");
}

/*
 * On a bridge the hairpin masquerade is what makes it work at all: without it b1 would answer
 * b2 directly over the bridge, from an address b2 never talked to. b1 has a forward, b2 none
 * and comes up later. br_netfilter, when loaded, passes bridged frames through the same hooks
 * (bridge-nf-call-*, per namespace): call_nf says whether the test's namespace has that on.
 */
#define CT_BRIDGED(name, l4, l6)           \
	"[Container " name "]\n"           \
	"PrivateNetwork=yes\n"             \
	"HostBridge=br0\n"                 \
	"LocalAddress=" l4 "/24\n"         \
	"Gateway=10.5.0.1\n"               \
	"LocalAddress6=" l6 "/64\n"        \
	"Gateway6=fd05::1\n"

static void hairpin_on_a_bridge(bool call_nf)
{
	const char *knobs[] = { "/proc/sys/net/bridge/bridge-nf-call-iptables",
				"/proc/sys/net/bridge/bridge-nf-call-ip6tables" };
	bool loaded = access(knobs[0], F_OK) == 0;
	int t4, t6;

	if (!loaded && call_nf)
		cr_log_warn("br_netfilter is not loaded: bridged frames bypass the hooks here");
	for (size_t i = 0; loaded && i < ARRAY_SIZE(knobs); i++)
		sh_ok("echo %d >%s", call_nf, knobs[i]);
	outside_add();
	sh_ok("ip link add br0 type bridge && ip link set br0 up && "
	      "ip addr add 10.5.0.1/24 dev br0 && ip addr add fd05::1/64 dev br0 nodad");
	netd_start(CT_BRIDGED("b1", "10.5.0.2", "fd05::2") "ForwardPort=8080:80\n"
			   CT_BRIDGED("b2", "10.5.0.3", "fd05::3"),
		   NULL);
	ct_add("b1", true, true);
	wait_state(STATE_DIR, "b1", "configured", WAIT_MS);
	netd_wait_counter("configured", 1, WAIT_MS);
	ct_add("b2", true, true);
	wait_state(STATE_DIR, "b2", "configured", WAIT_MS);
	netd_wait_counter("configured", 2, WAIT_MS);
	wait_cond(WAIT_MS, "%s", q_settled(NULL, "br0"));
	/* README: under br_netfilter the hairpinned frame leaves through the port it came in by,
	 * which the bridge allows only in hairpin mode; netd leaves that choice to the admin. */
	if (loaded && call_nf)
		sh_ok("bridge link set dev vb-b1 hairpin on");
	t4 = server("b1", false, "0.0.0.0", 80);
	t6 = server("b1", false, "::", 80);

	expect_reach(OUT_NS, false, OUT_HOST4, 8080, t4, OUT_PEER4);
	expect_reach("b1", false, OUT_HOST4, 8080, t4, "10.5.0.1");
	expect_reach("b1", false, OUT_HOST6, 8080, t6, "fd05::1");
	expect_reach("b2", false, OUT_HOST4, 8080, t4, "10.5.0.1");
	expect_reach("b2", false, "10.5.0.1", 8080, t4, "10.5.0.1");
	expect_reach("b2", false, OUT_HOST6, 8080, t6, "fd05::1");
}

Test(fwd, hairpin_on_a_bridge)
{
	hairpin_on_a_bridge(false);
}

Test(fwd, hairpin_on_a_bridge_under_br_netfilter)
{
	hairpin_on_a_bridge(true);
}

Test(fwd, masquerade_only_declared_containers)
{
	int t4, t6, u4;

	/* y's forward turns forwarding on whatever the masquerade elements are. */
	start(CT_X "Masquerade=yes\n" CT_Y "ForwardPort=9000:90\n" CT_Z "Masquerade=ipv4\n", "x",
	      "y", "z", NULL);
	t4 = server(OUT_NS, false, "0.0.0.0", 5000);
	t6 = server(OUT_NS, false, "::", 5000);
	u4 = server(OUT_NS, true, "0.0.0.0", 5000);

	expect_reach("x", false, OUT_PEER4, 5000, t4, OUT_HOST4);
	expect_reach("x", false, OUT_PEER6, 5000, t6, OUT_HOST6);
	expect_reach("x", true, OUT_PEER4, 5000, u4, OUT_HOST4);
	/* No Masquerade=: the outside sees the container itself (and routes back via the host). */
	expect_reach("y", false, OUT_PEER4, 5000, t4, "10.0.1.2");
	expect_reach("y", false, OUT_PEER6, 5000, t6, "fd01::2");
	expect_reach("y", true, OUT_PEER4, 5000, u4, "10.0.1.2");
	/* Masquerade=ipv4: IPv6 is not. */
	expect_reach("z", false, OUT_PEER4, 5000, t4, OUT_HOST4);
	expect_reach("z", false, OUT_PEER6, 5000, t6, "fd02::2");
}

Test(fwd, masquerade_alone_turns_on_forwarding)
{
	start(CT_Z "Masquerade=ipv6\n", "z", NULL);
	cr_expect_eq(sysctl_num("/proc/sys/net/ipv6/conf/all/forwarding"), 1);
	cr_expect_eq(sysctl_num("/proc/sys/net/ipv4/ip_forward"), 0,
		     "nothing needs IPv4 forwarding");
	expect_reach("z", false, OUT_PEER6, 5000, server(OUT_NS, false, "::", 5000), OUT_HOST6);
}

Test(fwd, forwarding_sysctls_turned_on_and_logged)
{
	const char *v4 = "/proc/sys/net/ipv4/ip_forward";
	const char *v6 = "/proc/sys/net/ipv6/conf/all/forwarding";
	_cleanup_free_ char *log = NULL;

	cr_assert_eq(sysctl_num(v4), 0, "a fresh namespace forwards nothing");
	cr_assert_eq(sysctl_num(v6), 0);
	/* IPv4 only: a container without LocalAddress6 */
	start("[Container x]\nPrivateNetwork=yes\nHostAddress=10.0.0.1\nLocalAddress=10.0.0.2\n"
	      "ForwardPort=8080:80\n",
	      "x", NULL);
	cr_expect_eq(sysctl_num(v4), 1);
	cr_expect_eq(sysctl_num(v6), 0, "no IPv6 forward, no IPv6 forwarding");
	log = file_read(NETD_LOG);
	cr_expect_eq(count_lines(log, "Enabled IPv4 forwarding"), 1,
		     "netd logs turning on IPv4 forwarding once:\n%s", strna(log));
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, server("x", false, "0.0.0.0", 80), OUT_PEER4);

	netd_reload(CT_X "ForwardPort=8080:80\n");
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	cr_expect_eq(sysctl_num(v6), 1, "an IPv6 forward turns on IPv6 forwarding");
	free(log);
	log = file_read(NETD_LOG);
	cr_expect_eq(count_lines(log, "Enabled IPv6 forwarding"), 1,
		     "netd logs turning on IPv6 forwarding once:\n%s", strna(log));
	expect_reach(OUT_NS, false, OUT_HOST6, 8080, server("x", false, "::", 80), OUT_PEER6);
}

/* ---- state file ------------------------------------------------------------------------------ */

#define CT_Z_9000 CT_Z "ForwardPort=9000\n"

Test(fwd, state_file_lists_forwards)
{
	_cleanup_free_ char *fx = NULL, *fy = NULL, *fz = NULL, *fx2 = NULL;

	start(CT_X "ForwardPort=8080:80 udp:5353 7000-7002:7100-7102 " OUT_HOST4 ":9090:80 "
		   "[" OUT_HOST6 "]:443\n" CT_Y CT_Z_9000,
	      "x", "y", NULL);
	fx = state_get(STATE_DIR, "x", "FORWARDS");
	cr_expect_str_eq(strna(fx), "tcp:8080:80 udp:5353:5353 tcp:7000-7002:7100-7102 "
				    "tcp:" OUT_HOST4 ":9090:80 tcp:[" OUT_HOST6 "]:443:443");
	fy = state_get(STATE_DIR, "y", "FORWARDS");
	cr_expect_null(fy, "y declares no forwards, its state file has FORWARDS=%s", fy);

	/* z's peer is still in the host's namespace: pending, its forwards listed, not installed. */
	sh_ok("ip netns add z && ip link add ve-z type veth peer name host0");
	wait_state(STATE_DIR, "z", "pending", WAIT_MS);
	fz = state_get(STATE_DIR, "z", "FORWARDS");
	cr_expect_str_eq(strna(fz), "tcp:9000:9000");
	cr_expect(!fwd_has("fwd4", "tcp", 9000), "z's forward is in before z is configured");
	sh_ok("ip link set host0 netns z");
	wait_state(STATE_DIR, "z", "configured", WAIT_MS);
	netd_wait_counter("configured", 3, WAIT_MS);
	cr_expect(fwd_has("fwd4", "tcp", 9000) && fwd_has("fwd6", "tcp", 9000));

	netd_reload(CT_X "ForwardPort=udp:8088:80\n" CT_Y CT_Z_9000);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	fx2 = state_get(STATE_DIR, "x", "FORWARDS");
	cr_expect_str_eq(strna(fx2), "udp:8088:80");
}

/* ---- reload ---------------------------------------------------------------------------------- */

#define RELOAD_CONF(x_ports) \
	CT_X "ForwardPort=" x_ports "\nMasquerade=yes\n" CT_Y "ForwardPort=9000:90\n"

Test(fwd, reload_changes_only_the_difference)
{
	const char *changes[] = {
		"delete element inet netd fwd4 { tcp . 8080 : 10.0.0.2 . 80 }",
		"delete element inet netd fwd6 { tcp . 8080 : fd00::2 . 80 }",
		"add element inet netd fwd4 { tcp . 8088 : 10.0.0.2 . 80 }",
		"add element inet netd fwd6 { tcp . 8088 : fd00::2 . 80 }",
	};
	_cleanup_free_ char *handles0 = NULL, *handles1 = NULL, *mon = NULL;
	int t80, t81, u53;

	start(RELOAD_CONF("8080:80 8081:81 udp:5353:53"), "x", "y", NULL);
	t80 = server("x", false, "0.0.0.0", 80);
	t81 = server("x", false, "0.0.0.0", 81);
	u53 = server("x", true, "0.0.0.0", 53);
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, t80, NULL);
	handles0 = handles();

	struct nftmon *m = nftmon_start();
	netd_reload(RELOAD_CONF("8088:80 8081:81 udp:5353:53"));
	mon = nftmon_stop(m);

	/* One batch: the old port's element out and the new one's in, in each family. */
	cr_expect_eq(count_lines(mon, "(netd)"), 1, "one batch expected:\n%s", mon);
	for (size_t i = 0; i < ARRAY_SIZE(changes); i++)
		cr_expect_eq(count_lines(mon, changes[i]), 1, "expected once: %s\n%s", changes[i],
			     mon);
	cr_expect_eq(count_lines(mon, "element"), ARRAY_SIZE(changes), "nothing else changes:\n%s",
		     mon);
	handles1 = handles();
	cr_expect_str_eq(handles1, handles0, "the table, its chains, sets or rules were made anew");

	expect_reach(OUT_NS, false, OUT_HOST4, 8088, t80, NULL);
	expect_reach(OUT_NS, false, OUT_HOST6, 8088, server("x", false, "::", 80), NULL);
	expect_no_reach(OUT_NS, false, OUT_HOST4, 8080, t80);
	expect_reach(OUT_NS, false, OUT_HOST4, 8081, t81, NULL);
	expect_reach(OUT_NS, true, OUT_HOST4, 5353, u53, NULL);
	expect_reach(OUT_NS, false, OUT_HOST4, 9000, server("y", false, "0.0.0.0", 90), NULL);
}

Test(fwd, reload_identical_or_broken_touches_nothing)
{
	_cleanup_free_ char *before = NULL, *after = NULL, *mon = NULL;
	struct netd_status s;
	int t80;

	start(RELOAD_CONF("8080:80"), "x", "y", NULL);
	t80 = server("x", false, "0.0.0.0", 80);
	before = ruleset();

	struct nftmon *m = nftmon_start();
	s = netd_reload(NULL);
	cr_expect(s.rejected == 0, "%s", netd_status_str(&s));
	/* The new port is valid, the line after it is not: nothing of the file is applied. */
	s = netd_reload(RELOAD_CONF("8088:80") "ForwardPort=notaport\n");
	cr_expect(s.rejected == 1, "the broken file was accepted: %s", netd_status_str(&s));
	mon = nftmon_stop(m);
	after = ruleset();

	cr_expect_str_eq(mon, "", "a reload that changes nothing wrote to the ruleset:\n%s", mon);
	cr_expect_str_eq(after, before, "nft -j list ruleset changed");
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, t80, NULL);
	expect_no_reach(OUT_NS, false, OUT_HOST4, 8088, t80);
}

/* ---- removal --------------------------------------------------------------------------------- */

/* After y is gone: its elements are gone, its port reaches the host's own listener, and x
 * still forwards. */
static void expect_y_gone(int tx)
{
	_cleanup_free_ char *t = table_text();

	cr_expect(!strstr(t, "10.0.1.2") && !strstr(t, "fd01::2"), "y's elements remain:\n%s", t);
	cr_expect(!fwd_has("fwd4", "tcp", 9000) && !fwd_has("fwd6", "tcp", 9000),
		  "y's forward remains:\n%s", t);
	int h4 = server(NULL, false, "0.0.0.0", 9000), h6 = server(NULL, false, "::", 9000);

	expect_reach(OUT_NS, false, OUT_HOST4, 9000, h4, OUT_PEER4);
	expect_reach(OUT_NS, false, OUT_HOST6, 9000, h6, OUT_PEER6);
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, tx, OUT_PEER4);
}

#define XY_CONF CT_X "ForwardPort=8080:80\n" CT_Y "ForwardPort=9000:90\nMasquerade=yes\n"

Test(fwd, container_removed_from_config_loses_its_forwards)
{
	_cleanup_free_ char *mon = NULL;
	int tx, ty;

	start(XY_CONF, "x", "y", NULL);
	tx = server("x", false, "0.0.0.0", 80);
	ty = server("y", false, "0.0.0.0", 90);
	expect_reach(OUT_NS, false, OUT_HOST4, 9000, ty, NULL);
	cr_assert(fwd_has("fwd4", "tcp", 9000));

	struct nftmon *m = nftmon_start();
	netd_reload(CT_X "ForwardPort=8080:80\n");
	wait_state_gone(STATE_DIR, "y", WAIT_MS);
	mon = nftmon_stop(m);
	cr_expect_eq(count_lines(mon, "add "), 0, "removing y added something:\n%s", mon);
	cr_expect_eq(count_lines(mon, "10.0.0.2") + count_lines(mon, "fd00::2"), 0,
		     "removing y touched x's elements:\n%s", mon);
	expect_y_gone(tx);
}

Test(fwd, container_links_gone_lose_their_forwards)
{
	int tx;

	start(XY_CONF, "x", "y", NULL);
	tx = server("x", false, "0.0.0.0", 80);
	expect_reach(OUT_NS, false, OUT_HOST4, 9000, server("y", false, "0.0.0.0", 90), NULL);

	sh_ok("ip link del ve-y && ip netns del y");
	wait_state_gone(STATE_DIR, "y", WAIT_MS);
	expect_y_gone(tx);

	/* The container comes back: so do its forwards. */
	add_container("y", 2);
	expect_reach(OUT_NS, false, OUT_HOST4, 9000, server("y", false, "0.0.0.0", 90), OUT_PEER4);
}

/* ---- restart --------------------------------------------------------------------------------- */

Test(fwd, sigkill_and_restart_leave_the_same_ruleset)
{
	_cleanup_free_ char *before = NULL, *after = NULL, *mon = NULL;
	int tx, ty;

	/* z, without forwards or masquerade, comes up last. */
	start(XY_CONF CT_Z, "x", "y", NULL);
	add_container("z", 3);
	tx = server("x", false, "0.0.0.0", 80);
	ty = server("y", false, "::", 90);
	before = ruleset();

	netd_kill();
	/* Forwarding goes on while netd is down: new connections, both families. */
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, tx, OUT_PEER4);
	expect_reach(OUT_NS, false, OUT_HOST6, 9000, ty, OUT_PEER6);

	struct nftmon *m = nftmon_start();
	netd_start(NULL, NULL);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	wait_state(STATE_DIR, "z", "configured", WAIT_MS);
	netd_wait_counter("configured", 3, WAIT_MS);
	mon = nftmon_stop(m);
	after = ruleset();

	cr_expect_str_eq(after, before, "nft -j list ruleset differs after the restart");
	cr_expect_str_eq(mon, "", "the restart wrote to the ruleset:\n%s", mon);
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, tx, OUT_PEER4);
	expect_reach("x", false, OUT_HOST4, 8080, tx, "10.0.0.1");
}

Test(fwd, restart_drops_containers_removed_while_down)
{
	_cleanup_free_ char *handles0 = NULL, *handles1 = NULL, *mon = NULL;
	int tx;

	start(XY_CONF, "x", "y", NULL);
	tx = server("x", false, "0.0.0.0", 80);
	handles0 = handles();

	netd_kill();
	file_write(NETD_CONF, CT_X "ForwardPort=8080:80\n");
	struct nftmon *m = nftmon_start();
	netd_start(NULL, NULL);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	netd_wait_counter("configured", 1, WAIT_MS);
	mon = nftmon_stop(m);

	/* One batch taking out y's elements (forwards both families, hairpin, masquerade). */
	cr_expect_eq(count_lines(mon, "(netd)"), 1, "one batch expected:\n%s", mon);
	cr_expect_eq(count_lines(mon, "delete element inet netd "), 8, "%s", mon);
	cr_expect_eq(count_lines(mon, "10.0.1.2") + count_lines(mon, "fd01::2"), 8, "%s", mon);
	handles1 = handles();
	cr_expect_str_eq(handles1, handles0, "the table, its chains, sets or rules were made anew");
	expect_y_gone(tx);
}

/* ---- the rest of the ruleset ----------------------------------------------------------------- */

Test(fwd, foreign_tables_untouched)
{
	_cleanup_free_ char *foreign = NULL, *ipnetd = NULL, *foreign2 = NULL, *ipnetd2 = NULL;
	int t80;

	/* One with a map keyed like netd's and a hooked chain, one with netd's name in another
	 * family. Nothing of the test's traffic passes their rules (no counter moves). */
	sh_ok("nft 'add table inet foreign; "
	      "add set inet foreign s { type ipv4_addr; elements = { 10.0.0.2 } }; "
	      "add map inet foreign fwd4 { "
	      "type inet_proto . inet_service : ipv4_addr . inet_service; "
	      "elements = { tcp . 8080 : 10.9.9.9 . 1 } }; "
	      "add chain inet foreign c { type filter hook input priority 0; policy accept; }; "
	      "add rule inet foreign c tcp dport 22 counter accept; "
	      "add table ip netd; add chain ip netd portfwd; add rule ip netd portfwd counter'");
	foreign = sh_out("nft -j list table inet foreign");
	ipnetd = sh_out("nft -j list table ip netd");

	start(XY_CONF, "x", "y", NULL);
	t80 = server("x", false, "0.0.0.0", 80);
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, t80, NULL);
	netd_reload(CT_X "ForwardPort=8088:80\n" CT_Y "ForwardPort=9000:90\n");
	expect_reach(OUT_NS, false, OUT_HOST4, 8088, t80, NULL);
	netd_kill();
	netd_start(NULL, NULL);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	sh_ok("nft delete table inet netd");
	netd_reload(NULL);
	expect_reach(OUT_NS, false, OUT_HOST4, 8088, t80, NULL);
	sh_ok("ip link del ve-y && ip netns del y");
	wait_state_gone(STATE_DIR, "y", WAIT_MS);

	foreign2 = sh_out("nft -j list table inet foreign");
	ipnetd2 = sh_out("nft -j list table ip netd");
	cr_expect_str_eq(foreign2, foreign, "table inet foreign changed");
	cr_expect_str_eq(ipnetd2, ipnetd, "table ip netd changed");
}

Test(fwd, flush_ruleset_recovery)
{
	_cleanup_free_ char *full = NULL, *again = NULL;
	int tx;

	start(XY_CONF, "x", NULL);
	tx = server("x", false, "0.0.0.0", 80);
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, tx, NULL);

	sh_ok("nft flush ruleset");
	expect_no_reach(OUT_NS, false, OUT_HOST4, 8080, tx);
	/* The next change finds the table gone and re-creates all of it, x's forwards too. */
	add_container("y", 2);
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, tx, OUT_PEER4);
	expect_reach("x", false, OUT_HOST4, 8080, tx, "10.0.0.1");
	expect_reach(OUT_NS, false, OUT_HOST6, 9000, server("y", false, "::", 90), OUT_PEER6);
	/* y's masquerade too. */
	expect_reach("y", false, OUT_PEER4, 5000, server(OUT_NS, false, "0.0.0.0", 5000),
		     OUT_HOST4);
	full = table_norm();

	/* Deleted again, with nothing else changing: SIGHUP restores it. */
	sh_ok("nft delete table inet netd");
	expect_no_reach(OUT_NS, false, OUT_HOST4, 8080, tx);
	netd_reload(NULL);
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, tx, OUT_PEER4);
	again = table_norm();
	cr_expect_str_eq(again, full, "the table restored by SIGHUP differs");
}

/* ---- kernel refusal -------------------------------------------------------------------------- */

/*
 * Create `table inet netd` with NFT_TABLE_F_OWNER on a socket of the test: while that socket is
 * open the kernel refuses every change to the table from anyone else (EPERM); closing it
 * deletes the table.
 */
static struct mnl_socket *own_netd_table(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	struct nftnl_table *t = nftnl_table_alloc();
	uint32_t seq = 1, portid;
	struct nlmsghdr *nlh;
	int n;

	cr_assert(nl && b && t, "oom");
	cr_assert_eq(mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID), 0);
	portid = mnl_socket_get_portid(nl);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, "netd");
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, NFT_TABLE_F_OWNER);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE, NFPROTO_INET,
				    NLM_F_CREATE | NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	mnl_nlmsg_batch_next(b);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq + 1);
	mnl_nlmsg_batch_next(b);
	cr_assert(mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) >= 0,
		  "send: %s", strerror(errno));
	n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	cr_assert(n > 0, "recv: %s", strerror(errno));
	cr_assert_geq(mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL), 0,
		      "owned table refused: %s", strerror(errno));
	nftnl_table_free(t);
	mnl_nlmsg_batch_stop(b);
	return nl;
}

Test(fwd, kernel_refusal_fails_the_container)
{
	struct mnl_socket *owner;
	_cleanup_free_ char *err = NULL, *log = NULL;
	int tx;

	outside_add();
	netd_start(CT_X "ForwardPort=8080:80\n", NULL);
	/* netd's table is replaced by one the kernel keeps for the test's socket. */
	sh_ok("nft delete table inet netd");
	owner = own_netd_table();
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "failed", WAIT_MS);
	err = state_get(STATE_DIR, "x", "ERROR");
	cr_expect(err && strstr(err, strerror(EPERM)),
		  "ERROR= does not say what the kernel said: %s", strna(err));
	/* netd logs every state it writes: x never said configured while its forwards could not
	 * be installed (spawn would have started its init on that). */
	log = file_read(NETD_LOG);
	cr_expect(!text_has_line(log, "netd: x: configured"),
		  "x.state said configured before its forwards were refused:\n%s", strna(log));

	/* The owner goes, the table with it; any accepted reload tries x again. */
	mnl_socket_close(owner);
	netd_reload(NULL);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	tx = server("x", false, "0.0.0.0", 80);
	expect_reach(OUT_NS, false, OUT_HOST4, 8080, tx, OUT_PEER4);
}
