/* SPDX-License-Identifier: MIT */
/*
 * Self-healing: someone removes what netd configured (addresses, routes, the up flag, bridge
 * membership, the bridge itself) and netd restores it from the events alone. Each test breaks
 * one thing, then waits on events (ip monitor in both namespaces, netd's notify messages) until
 * the full expected state is back.
 */
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "harness.h"

TestSuite(heal, .init = sandbox_enter, .fini = sandbox_leave, .timeout = 60);

static const char *conf_x = "[Container x]\n"
			    "PrivateNetwork=yes\n"
			    "HostAddress=10.0.0.1\n"
			    "LocalAddress=10.0.0.2\n"
			    "HostAddress6=fd00::1\n"
			    "LocalAddress6=fd00::2\n";

static const char *q_x(void)
{
	return q_ct("x", "10.0.0.1", "10.0.0.2", "fd00::1", "fd00::2");
}

/*
 * netd running, container x configured, monitors in both namespaces as event sources, and
 * the kernel's own late events about both ends (operstate, DAD) already landed: what a test
 * breaks then is the only thing netd hears about.
 */
static void setup_x(void)
{
	netd_start(conf_x, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	assert_sh(q_x());
	watch_ns(NULL);
	watch_ns("x");
	wait_cond(WAIT_MS, "%s && %s", q_settled(NULL, "ve-x"), q_settled("x", "eth0"));
}

/*
 * Break something with cmd (the kernel applies it before ip returns), then wait for the full
 * state to be back. Checking that it is broken in between would race netd's repair; that the
 * repair was netd's shows in its write counter, which must move.
 */
static void break_and_heal(const char *cmd)
{
	long writes = netd_status_now().writes;

	sh_ok("%s", cmd);
	wait_cond(WAIT_MS, "%s", q_x());
	netd_wait_above("writes", writes, WAIT_MS);
	cr_expect(netd_alive(), "netd died");
}

/*
 * One address deleted, nothing else: its RTM_DELADDR is the only event netd gets (an IPv4
 * /32 and an IPv6 /128 have no prefix route whose removal would be announced too).
 */
Test(heal, address_deleted)
{
	setup_x();
	break_and_heal("ip addr del 10.0.0.1/32 dev ve-x");
	break_and_heal("ip -n x addr del fd00::2/128 dev eth0");
	cr_expect(ping_ok("x", "10.0.0.1"), "traffic after repair");
}

/*
 * ip's flush lists and deletes again, up to ten rounds, and exits non-zero when netd has put
 * the addresses back every time: that is netd winning, so its status is no verdict here.
 */
#define FLUSH(ns_opt, dev) "ip " ns_opt " addr flush dev " dev " scope global || true"

Test(heal, host_addresses_flushed)
{
	setup_x();
	break_and_heal(FLUSH("", "ve-x"));
	cr_expect(ping_ok("x", "10.0.0.1"), "traffic after repair");
}

Test(heal, container_addresses_flushed)
{
	setup_x();
	break_and_heal(FLUSH("-n x", "eth0"));
	cr_expect(ping_ok(NULL, "10.0.0.2"), "traffic after repair");
}

/*
 * Two flush loops race netd's repairs: an address can go between netd adding the route that
 * needs it and the kernel handling that request. Such a refusal comes with the event that
 * explains it and is replanned; the container must end configured, never failed.
 */
Test(heal, flush_fight)
{
	setup_x();
	sh_ok("for s in 1 2; do (for i in $(seq 100); do " FLUSH("-n x", "eth0")
	      " 2>/dev/null; done) & done; wait");
	wait_cond(WAIT_MS, "%s", q_x());
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	cr_expect_eq(netd_status_now().failed, 0, "a refusal caused by the flush was a failure");
}

Test(heal, host_link_set_down)
{
	setup_x();
	/* down also drops the routes through the link: they must come back too */
	break_and_heal("ip link set ve-x down");
	cr_expect(ping_ok("x", "10.0.0.1"), "traffic after repair");
}

Test(heal, container_link_set_down)
{
	setup_x();
	break_and_heal("ip -n x link set eth0 down");
}

Test(heal, route_deleted)
{
	setup_x();
	break_and_heal("ip route del 10.0.0.2 dev ve-x");
	break_and_heal("ip -n x route del default via 10.0.0.1");
	break_and_heal("ip -n x -6 route del fd00::1 dev eth0");
}

static const char *conf_b = "[Container b]\n"
			    "PrivateNetwork=yes\n"
			    "HostBridge=br0\n"
			    "LocalAddress=10.5.0.2/24\n"
			    "Gateway=10.5.0.1\n";

static void setup_b(void)
{
	sh_ok("ip link add br0 type bridge && ip link set br0 up");
	netd_start(conf_b, NULL);
	ct_add("b", true, true);
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
	assert_sh(q_master("vb-b", "br0"));
	watch_ns(NULL);
}

Test(heal, bridge_port_released)
{
	setup_b();
	long writes = netd_status_now().writes;

	sh_ok("ip link set vb-b nomaster");
	wait_cond(WAIT_MS, "%s && %s", q_master("vb-b", "br0"), q_up(NULL, "vb-b"));
	netd_wait_above("writes", writes, WAIT_MS);
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
}

Test(heal, bridge_recreated)
{
	setup_b();
	sh_ok("ip link del br0");
	/* without its bridge the container waits for it */
	wait_state(STATE_DIR, "b", "pending", WAIT_MS);
	sh_ok("ip link add br0 type bridge && ip link set br0 up");
	wait_cond(WAIT_MS, "%s && %s", q_master("vb-b", "br0"), q_up(NULL, "vb-b"));
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
	expect_sh(q_addr("b", "eth0", "10.5.0.2/24"));
	expect_sh(q_route("b", "default", "eth0", "10.5.0.1"));
}

/*
 * The bridge is renamed away: vb-b stays enslaved to it, but HostBridge=br0 no longer names
 * it, so b waits for a br0 again. Renamed back, the membership is right as it stands and b is
 * configured again. A rename is only a RTM_NEWLINK with another name: netd must judge the
 * bridge by its current name, not by the ifindex it once found under br0.
 */
Test(heal, bridge_renamed_away)
{
	setup_b();
	/* let the kernel's late events land first, or one of them would make netd look at b
	 * again for the wrong reason */
	watch_ns("b");
	wait_cond(WAIT_MS, "%s && %s", q_settled(NULL, "vb-b"), q_settled("b", "eth0"));
	sh_ok("ip link set br0 name br1");
	wait_state(STATE_DIR, "b", "pending", WAIT_MS);
	/* nothing to undo: the port stays on br1, netd must not fight over it */
	expect_sh(q_master("vb-b", "br1"));
	sh_ok("ip link set br1 name br0");
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
	wait_cond(WAIT_MS, "%s && %s", q_master("vb-b", "br0"), q_up(NULL, "vb-b"));
	expect_sh(q_addr("b", "eth0", "10.5.0.2/24"));
	expect_sh(q_route("b", "default", "eth0", "10.5.0.1"));
	cr_expect(netd_alive(), "netd died");
}

/* Event sockets in namespace ns: NETLINK_ROUTE sockets subscribed to some group. */
static int subscribed_sockets_in(const char *ns)
{
	_cleanup_free_ char *out =
	    sh_out("ip netns exec %s awk 'NR > 1 && $2 == 0 && $4 != \"00000000\"' "
		   "/proc/net/netlink | wc -l",
		   ns);

	return atoi(out);
}

/*
 * netd hears the container's namespace through its own namespace's event socket
 * (NETLINK_LISTEN_ALL_NSID): no socket of its subscribes inside, and a change made there is
 * still repaired.
 */
Test(heal, container_heard_through_the_host_socket)
{
	netd_start(conf_x, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	cr_expect_eq(subscribed_sockets_in("x"), 0, "netd subscribed inside x");
	watch_ns(NULL);
	watch_ns("x");
	wait_cond(WAIT_MS, "%s && %s", q_settled(NULL, "ve-x"), q_settled("x", "eth0"));
	break_and_heal("ip -n x addr del fd00::2/128 dev eth0");
	break_and_heal("ip -n x route del 10.0.0.1/32 dev eth0");
}

/* Without CAP_NET_BROADCAST netd says so and listens inside each namespace instead. */
Test(heal, container_heard_without_cap_net_broadcast)
{
	/* netd is executed by this process: as root it gets the bounding set, less this. */
	cr_assert(prctl(PR_CAPBSET_DROP, CAP_NET_BROADCAST, 0, 0, 0) == 0, "PR_CAPBSET_DROP: %m");
	netd_start(conf_x, NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	cr_expect_eq(subscribed_sockets_in("x"), 1, "netd's event socket inside x");
	_cleanup_free_ char *log = file_read(NETD_LOG);
	cr_expect(log && strstr(log, "cannot hear every namespace on one socket"),
		  "netd did not say it listens in each namespace");
	watch_ns(NULL);
	watch_ns("x");
	wait_cond(WAIT_MS, "%s && %s", q_settled(NULL, "ve-x"), q_settled("x", "eth0"));
	break_and_heal("ip -n x addr del fd00::2/128 dev eth0");
	break_and_heal("ip -n x route del 10.0.0.1/32 dev eth0");
}
