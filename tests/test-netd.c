/* SPDX-License-Identifier: MIT */
/*
 * netd against the real kernel, each test in its own network + mount namespace: host-address
 * and bridge mode, unmanaged containers, extra veths, config errors, links that are not ours,
 * renames and re-creations, restart adoption, SIGTERM, foreign addresses, forged netlink.
 */
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "harness.h"

TestSuite(netd, .init = sandbox_enter, .fini = sandbox_leave, .timeout = 60);


#define CT_Y                          \
	"[Container y]\n"             \
	"PrivateNetwork=yes\n"        \
	"HostAddress=10.0.1.1\n"      \
	"LocalAddress=10.0.1.2\n"

/* The full expectations of the standard containers. */
static const char *q_x(void)
{
	return q_ct("x", "10.0.0.1", "10.0.0.2", "fd00::1", "fd00::2");
}

static const char *q_y(void)
{
	return q_ct("y", "10.0.1.1", "10.0.1.2", NULL, NULL);
}

Test(netd, host_address_v4_v6)
{
	netd_start(CT_X, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);

	/* host side */
	assert_sh(q_up(NULL, "ve-x"));
	expect_sh(q_addr(NULL, "ve-x", "10.0.0.1/32"));
	expect_sh(q_addr(NULL, "ve-x", "fd00::1/128"));
	expect_sh(q_route(NULL, "10.0.0.2", "ve-x", NULL));
	expect_sh(q_route(NULL, "fd00::2", "ve-x", NULL));
	/* container side: host0 became eth0 */
	expect_sh("! ip -n x link show dev host0 >/dev/null 2>&1");
	assert_sh(q_up("x", "eth0"));
	expect_sh(q_addr("x", "eth0", "10.0.0.2/32"));
	expect_sh(q_addr("x", "eth0", "fd00::2/128"));
	expect_sh(q_route("x", "10.0.0.1", "eth0", NULL));
	expect_sh(q_route("x", "fd00::1", "eth0", NULL));
	expect_sh(q_route("x", "default", "eth0", "10.0.0.1"));
	expect_sh(q_route("x", "default", "eth0", "fd00::1"));
	/* no DAD wait: the v6 addresses are not tentative */
	expect_sh("ip -j -6 addr show dev ve-x | jq -e "
		  "'all(.[0].addr_info[]; .local != \"fd00::1\" or (.tentative | not))' >/dev/null");
	expect_sh("ip -n x -j -6 addr show dev eth0 | jq -e "
		  "'all(.[0].addr_info[]; .local != \"fd00::2\" or (.tentative | not))' >/dev/null");

	/* state file */
	_cleanup_free_ char *ifname = state_get(STATE_DIR, "x", "IFNAME");
	_cleanup_free_ char *netns = state_get(STATE_DIR, "x", "NETNS");
	cr_expect(streq_ptr(ifname, "ve-x"), "IFNAME=%s, expected ve-x", strna(ifname));
	cr_expect(streq_ptr(netns, "/run/netns/x"), "NETNS=%s, expected /run/netns/x",
		  strna(netns));

	/* real traffic both ways, both families */
	cr_expect(ping_ok("x", "10.0.0.1"), "container -> host 10.0.0.1");
	cr_expect(ping_ok(NULL, "10.0.0.2"), "host -> container 10.0.0.2");
	cr_expect(ping_ok("x", "fd00::1"), "container -> host fd00::1");
	cr_expect(ping_ok(NULL, "fd00::2"), "host -> container fd00::2");
	cr_expect(netd_alive(), "netd died");
}

Test(netd, unmanaged_without_netns)
{
	netd_start(CT_X, NULL);
	ct_add("x", false, false);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);

	_cleanup_free_ char *netns = state_get(STATE_DIR, "x", "NETNS");
	cr_expect(streq_ptr(netns, "unmanaged"), "NETNS=%s, expected unmanaged", strna(netns));
	expect_sh(q_up(NULL, "ve-x"));
	expect_sh(q_addr(NULL, "ve-x", "10.0.0.1/32"));
	expect_sh(q_addr(NULL, "ve-x", "fd00::1/128"));
	expect_sh(q_route(NULL, "10.0.0.2", "ve-x", NULL));
	/* the peer (named vp-x here, in the host namespace) is not netd's to touch */
	expect_sh("ip -j addr show dev vp-x | jq -e "
		  "'all(.[0].addr_info[]; .scope != \"global\")' >/dev/null");
	expect_sh("! ip link show dev eth0 >/dev/null 2>&1");
	/* the state file may be written before the STATUS that counts it is read: wait */
	netd_wait_counter("unmanaged", 1, WAIT_MS);
}

static const char *bridge_conf =
	"[Container b]\n"
	"PrivateNetwork=yes\n"
	"HostBridge=br0\n"
	"LocalAddress=10.5.0.2/24\n"
	"Gateway=10.5.0.1\n"
	"LocalAddress6=fd05::2/64\n"
	"Gateway6=fd05::1\n";

static void check_bridged(void)
{
	expect_sh(q_master("vb-b", "br0"));
	expect_sh(q_up(NULL, "vb-b"));
	expect_sh(q_up("b", "eth0"));
	expect_sh(q_addr("b", "eth0", "10.5.0.2/24"));
	expect_sh(q_addr("b", "eth0", "fd05::2/64"));
	expect_sh(q_route("b", "default", "eth0", "10.5.0.1"));
	expect_sh(q_route("b", "default", "eth0", "fd05::1"));
	/* nothing goes on the host side in bridge mode */
	expect_sh("ip -j -4 addr show dev vb-b | jq -e '.[0].addr_info | length == 0' >/dev/null");
}

Test(netd, bridge_existing)
{
	sh_ok("ip link add br0 type bridge && ip link set br0 up && "
	      "ip addr add 10.5.0.1/24 dev br0 && ip addr add fd05::1/64 dev br0 nodad");
	netd_start(bridge_conf, NULL);
	ct_add("b", true, true);
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
	check_bridged();
	cr_expect(ping_ok("b", "10.5.0.1"), "container -> bridge address 10.5.0.1");
	cr_expect(ping_ok(NULL, "10.5.0.2"), "host -> container 10.5.0.2 over br0");
}

Test(netd, bridge_created_after_link)
{
	netd_start(bridge_conf, NULL);
	ct_add("b", true, true);
	wait_state(STATE_DIR, "b", "pending", WAIT_MS);
	expect_sh("ip -j link show dev vb-b | jq -e '.[0].master == null' >/dev/null");
	sh_ok("ip link add br0 type bridge && ip link set br0 up");
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
	check_bridged();
}

Test(netd, extra_veth)
{
	netd_start(CT_X "[ExtraVeth xe0]\n"
			"Container=x\n"
			"HostAddress=10.9.0.1\n"
			"LocalAddress=10.9.0.2\n",
		   NULL);
	ct_add("x", false, true);
	sh_ok("ip link add xe0 type veth peer name xe0 netns x");
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	/* the extra veth is configured in the same pass or right after: wait on events */
	wait_cond(WAIT_MS, "%s && %s && %s && %s", q_addr(NULL, "xe0", "10.9.0.1/32"),
		  q_addr("x", "xe0", "10.9.0.2/32"), q_up(NULL, "xe0"), q_up("x", "xe0"));
	expect_sh(q_route(NULL, "10.9.0.2", "xe0", NULL));
	expect_sh(q_route("x", "10.9.0.1", "xe0", NULL));
	expect_sh(q_x());
	cr_expect(ping_ok("x", "10.9.0.1"), "container -> host over the extra veth");
	cr_expect(ping_ok(NULL, "10.9.0.2"), "host -> container over the extra veth");
}

Test(netd, check_good_file)
{
	_cleanup_free_ char *err = NULL;

	file_write(TEST_DIR "/good.conf", CT_X CT_Y);
	int st = netd_run(&err, "--check --config %s/good.conf", TEST_DIR);
	cr_expect(st == 0, "netd --check on a good file: status %d, stderr:\n%s", st, strna(err));
}

Test(netd, check_bad_file)
{
	_cleanup_free_ char *err = NULL;

	/* line 4 has an unknown key */
	file_write(TEST_DIR "/bad.conf", "[Container x]\nPrivateNetwork=yes\n"
					 "HostAddress=10.0.0.1\nNoSuchKey=1\n");
	int st = netd_run(&err, "--check --config %s/bad.conf", TEST_DIR);
	cr_expect(st == 1, "netd --check on a bad file: status %d, expected 1", st);
	cr_expect(err && strstr(err, TEST_DIR "/bad.conf:4: "),
		  "expected '" TEST_DIR "/bad.conf:4: message' on stderr, got:\n%s", strna(err));
}

Test(netd, bad_config_at_start)
{
	_cleanup_free_ char *err = NULL;

	file_write(TEST_DIR "/bad.conf", "[Container x]\nPrivateNetwork=maybe\n");
	int st = netd_run(&err, "--config %s/bad.conf --state-dir %s", TEST_DIR, STATE_DIR);
	cr_expect(st == 1, "netd on a bad file: status %d, expected 1", st);
	cr_expect(err && strstr(err, TEST_DIR "/bad.conf:2: "),
		  "expected '" TEST_DIR "/bad.conf:2: message' on stderr, got:\n%s", strna(err));
}

Test(netd, non_veth_named_like_ours_left_alone)
{
	sh_ok("ip link add ve-x type bridge");
	netd_start(CT_X CT_Y, NULL);
	/* sync point: a real container later in the event stream is configured */
	ct_add("y", false, true);
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	expect_sh("ip -j addr show dev ve-x | jq -e "
		  "'all(.[0].addr_info[]; .scope != \"global\")' >/dev/null");
	expect_sh("ip -j link show dev ve-x | jq -e 'all(.[0].flags[]; . != \"UP\")' >/dev/null");
	expect_sh(q_noroute(NULL, "10.0.0.2", "ve-x"));
	cr_expect(!state_exists(STATE_DIR, "x"), "x.state written for a bridge named ve-x");
}

Test(netd, link_recreated_with_new_ifindex)
{
	netd_start(CT_X, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	long old = sh_num("ip -j link show dev ve-x | jq '.[0].ifindex'");
	watch_ns(NULL);
	/* delete and re-create back to back, as a quick container restart does */
	sh_ok("ip link del ve-x && ip link add ve-x type veth peer name host0 netns x");
	long new = sh_num("ip -j link show dev ve-x | jq '.[0].ifindex'");
	cr_assert(new != old, "the kernel reused ifindex %ld", old);
	watch_ns("x");
	wait_cond(WAIT_MS, "%s", q_x());
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	cr_expect(ping_ok("x", "10.0.0.1"), "container -> host after re-creation");
}

/* netd is still configuring the first link when it goes; requests for it must not stick. */
Test(netd, link_recreated_mid_configuration)
{
	netd_start(CT_X, NULL);
	sh_ok("ip netns add x && for i in 1 2 3 4 5; do "
	      "ip link add ve-x type veth peer name host0 netns x && ip link del ve-x; done && "
	      "ip link add ve-x type veth peer name host0 netns x && "
	      "ip link set ve-x name tmp-x && ip link set tmp-x name ve-x");
	watch_ns(NULL);
	watch_ns("x");
	wait_cond(WAIT_MS, "%s", q_x());
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	cr_expect(ping_ok("x", "10.0.0.1"), "container -> host after the churn");
	cr_expect(ping_ok(NULL, "10.0.0.2"), "host -> container after the churn");
}

Test(netd, renamed_away_and_onto)
{
	netd_start(CT_X CT_Y, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	/* renaming a link that is up works since Linux 6.2 (IFF_LIVE_RENAME_OK is not needed);
	 * keeping it up avoids racing netd's self-healing of the up flag */
	sh_ok("ip link set ve-x name other0");
	wait_state_gone(STATE_DIR, "x", WAIT_MS);

	sh_ok("ip netns add y && ip link add tmp0 type veth peer name host0 netns y");
	sh_ok("ip link set tmp0 name ve-y");
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	watch_ns(NULL);
	watch_ns("y");
	wait_cond(WAIT_MS, "%s", q_y());
}

Test(netd, restart_adopts_without_changes)
{
	netd_start(CT_X, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	/* let the kernel's late events land before the capture, so it holds only the restart's */
	watch_ns(NULL);
	watch_ns("x");
	wait_cond(WAIT_MS, "%s && %s", q_settled(NULL, "ve-x"), q_settled("x", "eth0"));
	netd_stop();

	struct monitor *mh = monitor_start(NULL), *mx = monitor_start("x");
	struct netd_status s = netd_start(NULL, NULL);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	_cleanup_free_ char *host = monitor_sync_stop(mh);
	_cleanup_free_ char *ct = monitor_sync_stop(mx);

	cr_expect(s.writes == 0, "restart: %s, expected writes=0", netd_status_str(&s));
	cr_expect(streq_ptr(host, ""), "restart changed the host namespace:\n%s", host);
	cr_expect(streq_ptr(ct, ""), "restart changed the container namespace:\n%s", ct);
	expect_sh(q_x());
}

Test(netd, sigterm_leaves_kernel_state)
{
	netd_start(CT_X, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	netd_stop(); /* asserts exit status 0 */
	expect_sh(q_x());
	cr_expect(ping_ok("x", "10.0.0.1"), "traffic after netd stopped");
}

Test(netd, foreign_addresses_kept)
{
	ct_add("x", false, true);
	sh_ok("ip addr add 192.0.2.10/32 dev ve-x");
	netd_start(CT_X, NULL);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	expect_sh(q_x());
	expect_sh(q_addr(NULL, "ve-x", "192.0.2.10/32"));
	/* added while netd runs, in both namespaces, then netd repairs the link */
	sh_ok("ip addr add 192.0.2.11/32 dev ve-x && ip -n x addr add 192.0.2.12/32 dev eth0");
	watch_ns(NULL);
	sh_ok("ip addr del 10.0.0.1/32 dev ve-x");
	wait_cond(WAIT_MS, "%s", q_x());
	struct netd_status s = netd_reload(NULL);
	cr_expect(s.rejected == 0, "identical reload rejected: %s", netd_status_str(&s));
	expect_sh(q_addr(NULL, "ve-x", "192.0.2.10/32"));
	expect_sh(q_addr(NULL, "ve-x", "192.0.2.11/32"));
	expect_sh(q_addr("x", "eth0", "192.0.2.12/32"));
}

/*
 * Someone else puts routed x's ve-x on a bridge and takes it off again. The kernel reports
 * the port leaving with an AF_BRIDGE RTM_DELLINK: bridge-port state going, not the link.
 * x keeps its addresses and routes and stays configured; nothing fails.
 */
Test(netd, bridge_port_of_routed_link_by_others)
{
	netd_start(CT_X CT_Y, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	sh_ok("ip link add brx type bridge && ip link set brx up && "
	      "ip link set ve-x master brx && ip link set ve-x nomaster");
	/* sync point: y's links come later in the event stream than ve-x's port changes */
	ct_add("y", false, true);
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	_cleanup_free_ char *state = state_get(STATE_DIR, "x", "STATE");
	_cleanup_free_ char *err = state_get(STATE_DIR, "x", "ERROR");
	cr_expect(streq_ptr(state, "configured"), "x is %s (ERROR=%s)", strna(state), strna(err));
	struct netd_status s = netd_wait_counter("configured", 2, WAIT_MS);
	cr_expect(s.failed == 0, "a bridge port coming and going failed a container: %s",
		  netd_status_str(&s));
	expect_sh(q_nomaster("ve-x"));
	expect_sh(q_x());
}

Test(netd, state_removed_when_links_deleted)
{
	netd_start(CT_X, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	sh_ok("ip link del ve-x");
	wait_state_gone(STATE_DIR, "x", WAIT_MS);
	cr_expect(netd_alive(), "netd died");
}

/* ---- forged netlink ---------------------------------------------------------------------- */

/* netd's NETLINK_ROUTE sockets subscribed to groups: the port ids of its event sockets. */
static size_t netd_event_ports(uint32_t *ports, size_t max)
{
	char fddir[64], link[128], line[512];
	unsigned long inodes[64];
	size_t n_inodes = 0, n = 0;
	DIR *d;
	FILE *f;

	snprintf(fddir, sizeof(fddir), "/proc/%d/fd", (int)netd_pid());
	d = opendir(fddir);
	cr_assert(d, "opendir %s: %s", fddir, strerror(errno));
	for (struct dirent *de; (de = readdir(d)) && n_inodes < ARRAY_SIZE(inodes);) {
		ssize_t l;

		l = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = '\0';
		if (sscanf(link, "socket:[%lu]", &inodes[n_inodes]) == 1)
			n_inodes++;
	}
	closedir(d);

	/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
	f = fopen("/proc/net/netlink", "re");
	cr_assert(f, "open /proc/net/netlink: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) && n < max) {
		unsigned proto, groups;
		unsigned long portid, inode, x;
		char sk[32];

		if (sscanf(line, "%31s %u %lu %x %lu %lu %lu %lu %lu %lu", sk, &proto, &portid,
			   &groups, &x, &x, &x, &x, &x, &inode) != 10)
			continue;
		if (proto != NETLINK_ROUTE || groups == 0)
			continue;
		for (size_t i = 0; i < n_inodes; i++)
			if (inodes[i] == inode)
				ports[n++] = (uint32_t)portid;
	}
	fclose(f);
	return n;
}

Test(netd, forged_netlink_message_ignored)
{
	union {
		struct nlmsghdr nh;
		char buf[1024];
	} m = { 0 };
	uint32_t ports[8];
	size_t n;
	struct ifinfomsg *ifi;
	struct rtattr *linkinfo;
	_cleanup_close_ int fd = -1;

	netd_start("[Container ghost]\nPrivateNetwork=yes\nHostAddress=10.7.0.1\n"
		   "LocalAddress=10.7.0.2\n" CT_Y,
		   NULL);
	n = netd_event_ports(ports, ARRAY_SIZE(ports));
	cr_assert(n > 0, "found no NETLINK_ROUTE socket with groups among netd's fds");

	m.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	m.nh.nlmsg_type = RTM_NEWLINK;
	m.nh.nlmsg_seq = 0;
	ifi = NLMSG_DATA(&m.nh);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_type = ARPHRD_ETHER;
	ifi->ifi_index = 999999; /* no such link */
	ifi->ifi_flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
	harness_rta_put(&m.nh, IFLA_IFNAME, "ve-ghost", sizeof("ve-ghost"));
	linkinfo = (struct rtattr *)((char *)&m.nh + m.nh.nlmsg_len);
	harness_rta_put(&m.nh, IFLA_LINKINFO, NULL, 0);
	harness_rta_put(&m.nh, IFLA_INFO_KIND, "veth", sizeof("veth"));
	linkinfo->rta_len = (unsigned short)((char *)&m.nh + m.nh.nlmsg_len - (char *)linkinfo);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	cr_assert(fd >= 0, "netlink socket: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = ports[i] };

		cr_assert(sendto(fd, &m, m.nh.nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) ==
				  (ssize_t)m.nh.nlmsg_len,
			  "sendto netd port %u: %s", ports[i], strerror(errno));
	}

	/* sync point: a real link event queued after the forged message */
	ct_add("y", false, true);
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	cr_expect(!state_exists(STATE_DIR, "ghost"), "a forged RTM_NEWLINK made netd write "
						     "ghost.state");
	cr_expect(netd_alive(), "netd died after a forged netlink message");
	expect_sh("! ip link show dev ve-ghost >/dev/null 2>&1");
}

/*
 * A request the kernel refuses: the container's namespace already has an eth0, so renaming
 * host0 fails. That container is failed with the reason; the others are served all the same.
 */
Test(netd, refused_request_fails_only_that_container)
{
	netd_start(CT_X CT_Y, NULL);
	sh_ok("ip netns add x && ip -n x link add eth0 type veth peer name spare");
	sh_ok("ip link add ve-x type veth peer name host0 netns x");
	ct_add("y", false, true);

	wait_state(STATE_DIR, "x", "failed", WAIT_MS);
	_cleanup_free_ char *err = state_get(STATE_DIR, "x", "ERROR");
	cr_expect(err && strstr(err, "eth0") && strstr(err, "File exists"),
		  "ERROR= names the request and the kernel's reason: %s", err ? err : "(none)");
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	expect_sh(q_y());
	cr_expect(netd_alive(), "netd survives a refused request");
	struct netd_status s = netd_wait_counter("configured", 1, WAIT_MS);
	cr_expect(s.failed == 1, "one configured, one failed: %s", netd_status_str(&s));
}

/*
 * `ip netns del` while the container's veth lives: the name is the last reference the
 * namespace has besides netd's own sockets in it. netd must drop them, so the namespace dies,
 * the kernel destroys the veth pair with it and x is gone. Were netd to keep its sockets, they
 * would pin the namespace: ve-x would stay forever and x.state with it.
 */
Test(netd, netns_deleted_releases_container)
{
	netd_start(CT_X, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	assert_sh(q_x());
	/* no watch_ns("x") here: an ip monitor in x would pin the namespace itself */
	sh_ok("ip netns del x");
	/* the namespace is torn down by a kernel worker after its last reference goes: ve-x
	 * disappears asynchronously, and netd removes x.state when it sees that */
	wait_state_gone(STATE_DIR, "x", WAIT_MS);
	expect_sh("! ip link show dev ve-x >/dev/null 2>&1");
	cr_expect(netd_alive(), "netd died");
}

/*
 * The pair is created with both ends in the host namespace and the peer is moved into the
 * container afterwards (as some spawners do). While the peer is ours netd configures the host
 * side only; the move must make it look again and configure the inside too. The kernel says
 * nothing about ve-y on the move: the only event is host0's RTM_DELLINK in the host namespace
 * (with IFLA_NEW_NETNSID), and host0 stays down, so no carrier change on ve-y follows either.
 */
Test(netd, peer_moved_into_netns_later)
{
	netd_start(CT_Y, NULL);
	watch_ns(NULL);
	sh_ok("ip netns add y && ip link add ve-y type veth peer name host0");
	/* sync point: netd has seen ve-y with its peer still in the host namespace */
	wait_cond(WAIT_MS, "%s && %s", q_up(NULL, "ve-y"), q_addr(NULL, "ve-y", "10.0.1.1/32"));
	expect_sh(q_link(NULL, "host0"));
	expect_sh(q_noaddr(NULL, "host0", "10.0.1.2"));
	/* y has a namespace its peer is not in yet: not configured, whatever the host side says */
	wait_state(STATE_DIR, "y", "pending", WAIT_MS);

	sh_ok("ip link set host0 netns y");
	watch_ns("y");
	wait_cond(WAIT_MS, "%s", q_y());
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	_cleanup_free_ char *netns = state_get(STATE_DIR, "y", "NETNS");
	cr_expect(streq_ptr(netns, "/run/netns/y"), "NETNS=%s, expected /run/netns/y",
		  strna(netns));
	cr_expect(ping_ok("y", "10.0.1.1"), "container -> host after the move");
}

/*
 * `ip netns add` creates /run/netns/NAME before it mounts the namespace there, and a name can
 * be mounted or unmounted in place; inotify reports none of that. Here the name is an empty
 * file when netd starts (the peer lives in a namespace called tmp), so x is host-only. The
 * bind mount alone must bring the inside in, and the unmount must let it go again.
 */
Test(netd, netns_mounted_on_its_name_later)
{
	sh_ok("ip netns add tmp && ip link add ve-x type veth peer name host0 netns tmp");
	sh_ok("touch /run/netns/x");
	netd_start(CT_X, NULL);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	_cleanup_free_ char *before = state_get(STATE_DIR, "x", "NETNS");
	cr_assert(streq_ptr(before, "unmanaged"), "NETNS=%s before the mount", strna(before));
	expect_sh(q_link("tmp", "host0"));

	sh_ok("mount --bind /run/netns/tmp /run/netns/x");
	watch_ns("x");
	wait_cond(WAIT_MS, "%s", q_x());
	wait_cond(WAIT_MS, "grep -qx NETNS=/run/netns/x %s/x.state", STATE_DIR);
	cr_expect(ping_ok("x", "10.0.0.1"), "container -> host after the mount");

	sh_ok("umount /run/netns/x");
	wait_cond(WAIT_MS, "grep -qx NETNS=unmanaged %s/x.state", STATE_DIR);
	cr_expect(netd_alive(), "netd died");
}

/*
 * Another default route already holds the key netd's default route needs (IPv4: destination
 * 0/0, tos 0, metric 0, table main), so the kernel answers EEXIST to netd's NLM_F_EXCL add.
 * That EEXIST is a refusal, not "already there": x is failed and says why, and the foreign
 * route, which netd did not add, stays.
 */
Test(netd, conflicting_route_fails)
{
	sh_ok("ip netns add x && ip -n x link add foo type veth peer name bar && "
	      "ip -n x link set foo up && ip -n x link set bar up && "
	      "ip -n x addr add 10.0.0.9/24 dev foo && "
	      "ip -n x route add default via 10.0.0.10 dev foo proto static");
	netd_start(CT_X CT_Y, NULL);
	sh_ok("ip link add ve-x type veth peer name host0 netns x");

	wait_state(STATE_DIR, "x", "failed", WAIT_MS);
	_cleanup_free_ char *err = state_get(STATE_DIR, "x", "ERROR");
	cr_expect(err && strstr(err, "File exists"),
		  "ERROR= carries the kernel's reason: %s", strna(err));
	cr_expect(err && strstr(err, "0.0.0.0/0"), "ERROR= names the default route: %s",
		  strna(err));
	expect_sh(q_route("x", "default", "foo", "10.0.0.10"));
	expect_sh("ip -n x -j -4 route show table main default | jq -e "
		  "'[.[] | select(.protocol == \"static\")] | length == 1' >/dev/null");
	/* netd's own default route did not somehow get in beside it */
	expect_sh(q_noroute("x", "default", "eth0"));
	cr_expect(netd_alive(), "netd died");

	/*
	 * A failed link stays failed: an event on the container's host link makes netd look at
	 * both ends again, which must not start the failed one over. y's host-only link, created
	 * after the event, is the sync point: netd reads the host's events in order.
	 */
	long writes = netd_status_now().writes;
	sh_ok("ip link set ve-x alias poke");
	sh_ok("ip link add ve-y type veth peer name vp-y");
	struct netd_status st = netd_wait_counter("configured", 1, WAIT_MS);
	/* y's host side: up, address, route */
	cr_expect_eq(st.writes, writes + 3, "writes %ld -> %ld: more than y's 3", writes,
		     st.writes);
	_cleanup_free_ char *state = state_get(STATE_DIR, "x", "STATE");
	cr_expect(streq_ptr(state, "failed"), "x is %s, not failed", strna(state));
}

/*
 * /run/netns/x holds a veth called host0 whose peer is not ve-x: ve-x's peer went to another
 * namespace. netd opens /run/netns/x by the container's name, but the container side is
 * ve-x's peer only; the stranger must not be renamed, brought up or addressed.
 */
/* x's host0, which is not ve-x's peer: not renamed, not up, no addresses. */
static void expect_stranger_untouched(void)
{
	expect_sh("! ip -n x link show dev eth0 >/dev/null 2>&1");
	assert_sh(q_link("x", "host0"));
	expect_sh("out=$(ip -n x -j link show dev host0) && printf '%s' \"$out\" | "
		  "jq -e 'all(.[0].flags[]; . != \"UP\")' >/dev/null");
	expect_sh(q_noaddr("x", "host0", "10.0.0.2"));
	expect_sh(q_noaddr("x", "host0", "fd00::2"));
}

/*
 * x's own side is served all the same. It is also the sync point: netd asks for the inside's
 * rename in its first pass, with ve-x's up, and rtnetlink applies a request before sendmsg
 * returns, so once ve-x has its route (a later phase) a wrongful rename would already show.
 * x's inside never appears in x, so x's state is not asserted: pending is what a careful netd
 * can say, and that is not what these tests are about.
 */
static void wait_host_side_x(void)
{
	wait_cond(WAIT_MS, "%s && %s && %s", q_up(NULL, "ve-x"),
		  q_addr(NULL, "ve-x", "10.0.0.1/32"), q_route(NULL, "10.0.0.2", "ve-x", NULL));
}

Test(netd, stale_netns_foreign_veth_not_touched)
{
	sh_ok("ip netns add x && ip -n x link add host0 type veth peer name other");
	netd_start(CT_X, NULL);
	watch_ns(NULL);
	watch_ns("x");
	sh_ok("ip netns add z && ip link add ve-x type veth peer name host0 netns z");

	wait_host_side_x();
	expect_stranger_untouched();
	expect_sh(q_noroute("x", "default", "host0"));
	/* nor the peer in z, which netd has no business with */
	expect_sh(q_link("z", "host0"));
	expect_sh(q_noaddr("z", "host0", "10.0.0.2"));
	cr_expect(netd_alive(), "netd died");
}

/*
 * The same with the indexes lined up against netd: x's stranger host0 has the ifindex of
 * ve-x's real peer (in z), and its own peer (in w) has the ifindex of ve-x. Index numbers
 * alone then match both ways; only the peer's namespace (the link-netnsid of x's host0 names
 * w, not the host) tells the stranger from ve-x's peer.
 */
Test(netd, stale_netns_foreign_veth_same_indexes)
{
	sh_ok("ip netns add x && ip netns add w && ip netns add z && "
	      "ip -n x link add host0 index 7 type veth peer name other netns w index 100");
	netd_start(CT_X, NULL);
	watch_ns(NULL);
	watch_ns("x");
	sh_ok("ip link add ve-x index 100 type veth peer name host0 netns z index 7");

	wait_host_side_x();
	expect_stranger_untouched();
	cr_expect(netd_alive(), "netd died");
}

/*
 * A link named by hand with a short name of its own carries the container's long name as an
 * altname, and netd finds it by that. IFNAME= must name the link as it is, not the name netd
 * would have derived. (The kernel announces an altname added to a down link only once the link
 * is up; here it is in place before netd starts, so netd's first dump sees it.)
 */
Test(netd, ifname_is_the_links_actual_name)
{
	sh_ok("ip netns add averyveryverylongname && "
	      "ip link add ve-averyvQx9Z type veth peer name host0 netns averyveryverylongname && "
	      "ip link property add dev ve-averyvQx9Z altname ve-averyveryverylongname");
	netd_start("[Container averyveryverylongname]\nPrivateNetwork=yes\n"
		   "HostAddress=10.0.0.1\nLocalAddress=10.0.0.2\n",
		   NULL);
	wait_state(STATE_DIR, "averyveryverylongname", "configured", WAIT_MS);
	expect_sh(q_addr(NULL, "ve-averyvQx9Z", "10.0.0.1/32"));
	_cleanup_free_ char *ifname = state_get(STATE_DIR, "averyveryverylongname", "IFNAME");
	cr_expect(streq_ptr(ifname, "ve-averyvQx9Z"), "IFNAME=%s, expected ve-averyvQx9Z",
		  strna(ifname));
}

/* Nothing declared: netd starts, is ready, claims nothing and stops cleanly. */
Test(netd, empty_config)
{
	struct netd_status s = netd_start("# nothing here yet\n", NULL);

	cr_expect(s.writes == 0 && s.configured == 0, "empty config: %s", netd_status_str(&s));
	ct_add("x", false, true);
	s = netd_reload("[Container x]\nPrivateNetwork=yes\nHostAddress=10.0.0.1\n"
			"LocalAddress=10.0.0.2\n");
	cr_expect(s.rejected == 0, "reload: %s", netd_status_str(&s));
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	netd_stop();
}

/* What a supplicant does once it has authenticated: IFLA_OPERSTATE UP on a dormant link. */
static void set_operstate_up(const char *dev)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} m = {};
	char ack[512];
	uint8_t up = 6; /* IF_OPER_UP */
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct nlmsgerr *err = NLMSG_DATA((struct nlmsghdr *)ack);

	cr_assert(fd >= 0, "netlink socket: %s", strerror(errno));
	m.nh.nlmsg_len = NLMSG_LENGTH(sizeof(m.ifi));
	m.nh.nlmsg_type = RTM_NEWLINK;
	m.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m.ifi.ifi_family = AF_UNSPEC;
	m.ifi.ifi_index = (int)if_nametoindex(dev);
	cr_assert(m.ifi.ifi_index > 0, "%s: no such link", dev);
	harness_rta_put(&m.nh, IFLA_OPERSTATE, &up, sizeof(up));
	cr_assert(send(fd, &m, m.nh.nlmsg_len, 0) == (ssize_t)m.nh.nlmsg_len, "send: %s",
		  strerror(errno));
	cr_assert(recv(fd, ack, sizeof(ack), 0) > 0, "recv: %s", strerror(errno));
	cr_assert_eq(err->error, 0, "IFLA_OPERSTATE UP on %s: %s", dev, strerror(-err->error));
}

/*
 * configured means the kernel says both ends are operationally up, not only that netd's
 * requests were acknowledged. A host link in link mode dormant (as 802.1X supplicants use it)
 * stays DORMANT once up, and keeps its container pending until it is released to UP. y, a
 * host-only container whose link is created once x's kernel state is complete, is the sync
 * point: by the time netd has configured y it has handled everything about x.
 */
Test(netd, configured_waits_for_operstate_up)
{
	sh_ok("ip netns add x && ip link add ve-x type veth peer name host0 netns x && "
	      "ip link set ve-x mode dormant");
	netd_start(CT_X CT_Y, NULL);
	wait_cond(WAIT_MS, "%s", q_x());
	sh_ok("ip link add ve-y type veth peer name vp-y");
	netd_wait_counter("configured", 1, WAIT_MS);
	expect_sh("ip -j link show dev ve-x | jq -e '.[0].operstate == \"DORMANT\"' >/dev/null");
	_cleanup_free_ char *state = state_get(STATE_DIR, "x", "STATE");
	cr_expect(streq_ptr(state, "pending"), "x is %s while ve-x is DORMANT", strna(state));

	set_operstate_up("ve-x");
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	expect_sh("ip -j link show dev ve-x | jq -e '.[0].operstate == \"UP\"' >/dev/null");
}

/* Two netds on one state directory would fight over the same links: the second is refused. */
Test(netd, second_netd_on_same_state_dir_refused)
{
	_cleanup_free_ char *err = NULL;

	netd_start(CT_X, NULL);
	int status = netd_run(&err, "--config " NETD_CONF " --state-dir " STATE_DIR);
	cr_expect_eq(status, 1, "second netd exited %d", status);
	cr_expect(err && strstr(err, "Another netd is running on " STATE_DIR), "stderr: %s",
		  strna(err));
	cr_expect(netd_alive(), "the first netd went away");
	/* once the first is gone (even killed), the lock is free again */
	netd_kill();
	netd_start(NULL, NULL);
}

#define HOSTS_HEAD "# Configured containers, kept by netd. Do not edit.\n"

/* STATE_DIR/hosts names exactly the configured containers, both families, as they come and go. */
Test(netd, hosts_file_follows_containers)
{
	netd_start(CT_X CT_Y, NULL);
	wait_file(STATE_DIR, "hosts", HOSTS_HEAD, WAIT_MS);
	ct_add("x", false, true);
	wait_file(STATE_DIR, "hosts", HOSTS_HEAD "10.0.0.2 x.containers\nfd00::2 x.containers\n",
		  WAIT_MS);
	ct_add("y", false, true);
	wait_file(STATE_DIR, "hosts",
		  HOSTS_HEAD "10.0.0.2 x.containers\nfd00::2 x.containers\n10.0.1.2 y.containers\n",
		  WAIT_MS);
	sh_ok("ip link del ve-x");
	wait_file(STATE_DIR, "hosts", HOSTS_HEAD "10.0.1.2 y.containers\n", WAIT_MS);
	netd_reload(CT_X "[Container y]\nPrivateNetwork=yes\nHostAddress=10.0.1.1\n"
			 "LocalAddress=10.0.1.3\n");
	wait_file(STATE_DIR, "hosts", HOSTS_HEAD "10.0.1.3 y.containers\n", WAIT_MS);
}

/*
 * Under journald netd logs natively with structured fields. The test plays journald: it owns
 * /run/systemd/journal/socket in its private /run and points JOURNAL_STREAM at netd's stderr,
 * which is how systemd tells a service its stderr is the journal.
 */
static int journal_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX,
				  .sun_path = "/run/systemd/journal/socket" };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct stat st;
	char env[64];

	cr_assert(fd >= 0);
	sh_ok("mkdir -p /run/systemd/journal && touch " NETD_LOG);
	cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind: %s", strerror(errno));
	cr_assert(stat(NETD_LOG, &st) == 0);
	snprintf(env, sizeof(env), "%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	return fd;
}

/* Every queued journal message mentioning CONTAINER=name, as "KEY=VALUE\n..." texts joined by
 * "\n--\n". */
static char *journal_read(int fd, const char *name)
{
	char *all = NULL, buf[8192], want[80];
	size_t size = 0;
	FILE *f = open_memstream(&all, &size);
	ssize_t n;

	snprintf(want, sizeof(want), "\nCONTAINER=%s\n", name);
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, want))
			fprintf(f, "%s\n--\n", buf);
	}
	fclose(f);
	return all;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

Test(netd, journal_fields)
{
	_cleanup_close_ int jfd = journal_open();

	netd_start(CT_X, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	_cleanup_free_ char *msgs = journal_read(jfd, "x");

	cr_expect(count(msgs, "MESSAGE_ID=dc7d76773dd14a20a29622925bd1f6c6\n") == 1,
		  "one 'configured' message with its MESSAGE_ID:\n%s", msgs);
	cr_expect(strstr(msgs, "IFNAME=ve-x\n") && strstr(msgs, "SYSLOG_IDENTIFIER=netd\n") &&
			  strstr(msgs, "PRIORITY=6\n") && strstr(msgs, "MESSAGE=x: configured\n"),
		  "fields of the transition:\n%s", msgs);
	/* pending, then configured: one message per transition, none per netlink request */
	cr_expect_eq(count(msgs, "\n--\n"), 2, "messages about x:\n%s", msgs);
	_cleanup_free_ char *log = file_read(NETD_LOG);
	cr_expect(log && !strstr(log, "x: configured"), "fell back to stderr:\n%s", strna(log));
}

Test(netd, journal_fields_of_a_failure)
{
	_cleanup_close_ int jfd = journal_open();

	sh_ok("ip netns add x && ip -n x link add foo type veth peer name bar && "
	      "ip -n x link set foo up && ip -n x addr add 10.0.0.9/24 dev foo && "
	      "ip -n x route add default via 10.0.0.10 dev foo proto static");
	netd_start(CT_X, NULL);
	sh_ok("ip link add ve-x type veth peer name host0 netns x");
	wait_state(STATE_DIR, "x", "failed", WAIT_MS);
	_cleanup_free_ char *msgs = journal_read(jfd, "x");

	cr_expect(strstr(msgs, "MESSAGE_ID=d2ab7dc84f5146bdbbda5e27bed929b0\n"),
		  "the 'failed' MESSAGE_ID:\n%s", msgs);
	cr_expect(strstr(msgs, "NETLINK_ERRNO=17\n") && strstr(msgs, "IFNAME=host0\n"),
		  "the refusal with the kernel's errno and the link:\n%s", msgs);
}

/*
 * A link carrying IPv6 skips DAD of its link-local address too, or neighbour discovery on it
 * waits for DAD (here made to take 100 s): at configured, neither end's link-local address is
 * tentative.
 */
Test(netd, ipv6_link_local_usable_at_configured)
{
	sh_ok("sysctl -qw net.ipv6.conf.default.dad_transmits=100 && ip netns add x && "
	      "ip netns exec x sysctl -qw net.ipv6.conf.default.dad_transmits=100 && "
	      "ip link add ve-x type veth peer name host0 netns x");
	netd_start(CT_X, NULL);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	expect_sh("ip -j -6 addr show dev ve-x scope link | jq -e '[.[].addr_info[] | "
		  "select(.tentative)] | length == 0' >/dev/null");
	expect_sh("ip -n x -j -6 addr show dev eth0 scope link | jq -e '[.[].addr_info[] | "
		  "select(.tentative)] | length == 0' >/dev/null");
	expect_sh("ip -j -6 addr show dev ve-x scope link | jq -e 'length > 0' >/dev/null");
}
