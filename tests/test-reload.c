/* SPDX-License-Identifier: MIT */
/*
 * SIGHUP reload against the real kernel: only the differences are applied, an identical file
 * writes nothing, a bad or half-written file changes nothing and keeps the old config in
 * force, removed containers lose what netd gave them, and a burst of SIGHUPs ends on the last
 * file. "Nothing happened" is proven with ip monitor captures closed by a sentinel event.
 */
#include <stdio.h>

#include "harness.h"

TestSuite(reload, .init = sandbox_enter, .fini = sandbox_leave, .timeout = 60);

#define CT(name, h, l)                \
	"[Container " name "]\n"      \
	"PrivateNetwork=yes\n"        \
	"HostAddress=" h "\n"         \
	"LocalAddress=" l "\n"

#define CONF_X CT("x", "10.0.0.1", "10.0.0.2")
#define CONF_Y CT("y", "10.0.1.1", "10.0.1.2")

static const char *q_x(void)
{
	return q_ct("x", "10.0.0.1", "10.0.0.2", NULL, NULL);
}

static const char *q_y(void)
{
	return q_ct("y", "10.0.1.1", "10.0.1.2", NULL, NULL);
}

/* netd on conf with containers x and y (when in conf) created and configured. */
static struct netd_status start_xy(const char *conf)
{
	netd_start(conf, NULL);
	ct_add("x", false, true);
	ct_add("y", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	if (strstr(conf, "[Container y]"))
		wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	/* Let the kernel's late events land before a test starts an ip monitor capture. */
	watch_ns(NULL);
	watch_ns("x");
	watch_ns("y");
	wait_cond(WAIT_MS, "%s && %s && %s && %s", q_settled(NULL, "ve-x"), q_settled("x", "eth0"),
		  strstr(conf, "[Container y]") ? q_settled(NULL, "ve-y") : "true",
		  strstr(conf, "[Container y]") ? q_settled("y", "eth0") : "true");
	/* STATUS= follows the state files: wait for the one that counts them all */
	return netd_wait_counter("configured", strstr(conf, "[Container y]") ? 2 : 1, WAIT_MS);
}

/* Lines of text that mention word. */
static bool mentions(const char *text, const char *word)
{
	return strstr(text, word) != NULL;
}

Test(reload, changed_address_only_that_container)
{
	start_xy(CONF_X CONF_Y);
	assert_sh(q_x());
	assert_sh(q_y());
	struct monitor *mh = monitor_start(NULL), *my = monitor_start("y");

	struct netd_status s = netd_reload(CT("x", "10.0.3.1", "10.0.3.2") CONF_Y);
	cr_expect(s.rejected == 0 && s.reloads == 1, "reload: %s", netd_status_str(&s));
	_cleanup_free_ char *host = monitor_sync_stop(mh);
	_cleanup_free_ char *cty = monitor_sync_stop(my);

	/* READY=1 comes after the new config is applied */
	expect_sh(q_ct("x", "10.0.3.1", "10.0.3.2", NULL, NULL));
	expect_sh(q_noaddr(NULL, "ve-x", "10.0.0.1"));
	expect_sh(q_noroute(NULL, "10.0.0.2", "ve-x"));
	expect_sh(q_noaddr("x", "eth0", "10.0.0.2"));
	expect_sh(q_noroute("x", "10.0.0.1", "eth0"));
	expect_sh(q_y());
	cr_expect(mentions(host, "ve-x"), "the change of x is not in the host capture:\n%s", host);
	cr_expect(!mentions(host, "ve-y"), "reloading x touched ve-y:\n%s", host);
	cr_expect(streq_ptr(cty, ""), "reloading x touched container y:\n%s", cty);
	cr_expect(ping_ok("x", "10.0.3.1"), "traffic on the new addresses");
}

Test(reload, added_container_whose_links_exist)
{
	start_xy(CONF_X);
	cr_assert(!state_exists(STATE_DIR, "y"), "y.state exists before y is declared");
	expect_sh(q_noaddr(NULL, "ve-y", "10.0.1.1"));

	struct netd_status s = netd_reload(CONF_X CONF_Y);
	cr_expect(s.rejected == 0, "reload: %s", netd_status_str(&s));
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	expect_sh(q_y());
	expect_sh(q_x());
}

Test(reload, removed_container_loses_what_netd_gave)
{
	start_xy(CONF_X CONF_Y);
	sh_ok("ip addr add 192.0.2.10/32 dev ve-x"); /* not netd's: must stay */
	struct monitor *my = monitor_start("y");

	struct netd_status s = netd_reload(CONF_Y);
	cr_expect(s.rejected == 0, "reload: %s", netd_status_str(&s));
	wait_state_gone(STATE_DIR, "x", WAIT_MS);
	_cleanup_free_ char *cty = monitor_sync_stop(my);

	expect_sh(q_noaddr(NULL, "ve-x", "10.0.0.1"));
	expect_sh(q_noroute(NULL, "10.0.0.2", "ve-x"));
	expect_sh(q_noaddr("x", "eth0", "10.0.0.2"));
	expect_sh(q_noroute("x", "10.0.0.1", "eth0"));
	expect_sh(q_noroute("x", "default", "eth0"));
	expect_sh(q_addr(NULL, "ve-x", "192.0.2.10/32"));
	expect_sh(q_y());
	cr_expect(streq_ptr(cty, ""), "removing x touched container y:\n%s", cty);
}

#define CT_B(bridge)                  \
	"[Container b]\n"             \
	"PrivateNetwork=yes\n"        \
	"HostBridge=" bridge "\n"     \
	"LocalAddress=10.5.0.2/24\n"

/* The bridge membership its declaration gave is netd's to undo; the bridge's other ports stay. */
Test(reload, removed_bridged_container_leaves_the_bridge)
{
	sh_ok("ip link add br0 type bridge && ip link set br0 up");
	sh_ok("ip link add fp0 type veth peer name fp1 && ip link set fp0 master br0");
	netd_start(CT_B("br0") CONF_Y, NULL);
	ct_add("b", true, true);
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
	assert_sh(q_master("vb-b", "br0"));

	struct netd_status s = netd_reload(CONF_Y);
	cr_expect(s.rejected == 0, "reload: %s", netd_status_str(&s));
	wait_cond(WAIT_MS, "%s", q_nomaster("vb-b"));
	wait_cond(WAIT_MS, "%s", q_noaddr("b", "eth0", "10.5.0.2"));
	expect_sh(q_up(NULL, "vb-b"));
	expect_sh(q_master("fp0", "br0"));
}

/*
 * HostBridge now names a bridge that does not exist yet: the port must not stay on the old
 * network meanwhile. It leaves br0 (pending), and joins br1 the moment br1 appears.
 */
Test(reload, bridge_changed_to_one_not_there_yet)
{
	sh_ok("ip link add br0 type bridge && ip link set br0 up");
	netd_start(CT_B("br0"), NULL);
	ct_add("b", true, true);
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
	assert_sh(q_master("vb-b", "br0"));

	struct netd_status s = netd_reload(CT_B("br1"));
	cr_expect(s.rejected == 0, "reload: %s", netd_status_str(&s));
	wait_cond(WAIT_MS, "%s", q_nomaster("vb-b"));
	wait_state(STATE_DIR, "b", "pending", WAIT_MS);
	expect_sh(q_addr("b", "eth0", "10.5.0.2/24"));

	sh_ok("ip link add br1 type bridge && ip link set br1 up");
	wait_cond(WAIT_MS, "%s", q_master("vb-b", "br1"));
	wait_state(STATE_DIR, "b", "configured", WAIT_MS);
}

Test(reload, identical_file_writes_nothing)
{
	start_xy(CONF_X CONF_Y);
	struct netd_status before = netd_status_now();
	struct monitor *mh = monitor_start(NULL), *mx = monitor_start("x");

	/* the same text, freshly written (new inode and mtime) */
	struct netd_status s = netd_reload(CONF_X CONF_Y);
	_cleanup_free_ char *host = monitor_sync_stop(mh);
	_cleanup_free_ char *ctx = monitor_sync_stop(mx);

	cr_expect(s.writes == before.writes, "identical reload wrote: before %s, after %s",
		  netd_status_str(&before), netd_status_str(&s));
	cr_expect(s.reloads == before.reloads + 1 && s.rejected == 0, "reload: %s",
		  netd_status_str(&s));
	cr_expect(streq_ptr(host, ""), "identical reload changed the host namespace:\n%s", host);
	cr_expect(streq_ptr(ctx, ""), "identical reload changed container x:\n%s", ctx);
	expect_sh(q_x());
	expect_sh(q_y());
}

/* A rejected reload: nothing written, nothing changed, old config still healing. */
static void check_rejected(const char *bad, const char *where)
{
	struct netd_status before = netd_status_now();
	struct monitor *mh = monitor_start(NULL), *mx = monitor_start("x");

	struct netd_status s = netd_reload(bad);
	_cleanup_free_ char *host = monitor_sync_stop(mh);
	_cleanup_free_ char *ctx = monitor_sync_stop(mx);
	_cleanup_free_ char *log = file_read(NETD_LOG);

	cr_expect(s.rejected == before.rejected + 1, "bad file not counted as rejected: %s",
		  netd_status_str(&s));
	cr_expect(s.writes == before.writes, "bad file caused writes: before %s, after %s",
		  netd_status_str(&before), netd_status_str(&s));
	cr_expect(streq_ptr(host, ""), "bad file changed the host namespace:\n%s", host);
	cr_expect(streq_ptr(ctx, ""), "bad file changed container x:\n%s", ctx);
	cr_expect(log && strstr(log, where), "expected '%s' in netd's log:\n%s", where,
		  strna(log));
	cr_assert(netd_alive(), "netd died on a bad file");

	/* the old config is still in force: netd restores the old address, not the new one */
	watch_ns(NULL);
	/* one deletion (ip addr flush re-dumps and may delete netd's repair again) */
	sh_ok("ip addr del 10.0.0.1/32 dev ve-x");
	wait_cond(WAIT_MS, "%s", q_x());
	expect_sh(q_noaddr(NULL, "ve-x", "10.0.9.1"));
}

Test(reload, broken_file_rejected)
{
	start_xy(CONF_X);
	check_rejected("[Container x]\n"
		       "PrivateNetwork=yes\n"
		       "HostAddress=10.0.9.1\n"
		       "NoSuchKey=1\n"
		       "LocalAddress=10.0.9.2\n",
		       NETD_CONF ":4: ");
}

Test(reload, half_written_file_rejected)
{
	start_xy(CONF_X);
	/* the editor stopped mid-line: "LocalAddr" has no '=' */
	check_rejected("[Container x]\n"
		       "PrivateNetwork=yes\n"
		       "HostAddress=10.0.9.1\n"
		       "LocalAddr",
		       NETD_CONF ":4: ");
}

Test(reload, sighup_burst_last_file_wins)
{
	enum { N = 20 };
	char path[N][64];
	unsigned long long t = 0;

	start_xy(CONF_X);
	struct netd_status before = netd_status_now();
	for (int i = 0; i < N; i++) {
		char text[256];

		snprintf(path[i], sizeof(path[i]), TEST_DIR "/burst-%d.conf", i);
		snprintf(text, sizeof(text), CT("x", "10.1.%d.1", "10.1.%d.2"), i, i);
		file_write(path[i], text);
	}
	/* rename + signal back to back: netd is still busy with one reload when the next
	 * SIGHUP arrives, so signals coalesce; whatever it reads last must be the last file */
	for (int i = 0; i < N; i++) {
		cr_assert(rename(path[i], NETD_CONF) == 0, "rename: %s", strerror(errno));
		t = netd_hup(NULL);
	}
	struct netd_status s = netd_wait_reload(t, WAIT_MS);

	expect_sh(q_ct("x", "10.1.19.1", "10.1.19.2", NULL, NULL));
	expect_sh("ip -j -4 addr show dev ve-x | jq -e '[.[0].addr_info[]] | length == 1' "
		  ">/dev/null");
	expect_sh("ip -n x -j -4 addr show dev eth0 | jq -e '[.[0].addr_info[]] | length == 1' "
		  ">/dev/null");
	cr_expect(s.reloads - before.reloads >= 1 && s.reloads - before.reloads < N,
		  "%d SIGHUPs gave %ld reloads (expected coalescing: 1..%d)", N,
		  s.reloads - before.reloads, N - 1);
	cr_expect(s.rejected == 0, "a complete file was rejected: %s", netd_status_str(&s));
	cr_expect(netd_alive(), "netd died");
}

#define CONF_X6(l6)                   \
	"[Container x]\n"             \
	"PrivateNetwork=yes\n"        \
	"HostAddress=10.0.0.1\n"      \
	"LocalAddress=10.0.0.2\n"     \
	"HostAddress6=fd00::1\n"      \
	"LocalAddress6=" l6 "\n"

/*
 * Only the prefix length of an IPv6 address changes. The kernel keys IPv6 addresses by the
 * address alone and refuses (EEXIST) fd00::2/64 while it holds fd00::2/128, so the old one
 * must be removed first; an "EEXIST means it is there" shortcut would leave /128 in place.
 */
Test(reload, ipv6_prefix_change)
{
	netd_start(CONF_X6("fd00::2"), NULL);
	ct_add("x", false, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	assert_sh(q_ct("x", "10.0.0.1", "10.0.0.2", "fd00::1", "fd00::2"));

	struct netd_status s = netd_reload(CONF_X6("fd00::2/64"));
	cr_expect(s.rejected == 0 && s.reloads == 1, "reload: %s", netd_status_str(&s));
	/* READY=1 comes after the new config is applied */
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	expect_sh(q_addr("x", "eth0", "fd00::2/64"));
	expect_sh("out=$(ip -n x -j -6 addr show dev eth0) && printf '%s' \"$out\" | jq -e "
		  "'all(.[].addr_info[]?; .local != \"fd00::2\" or .prefixlen == 64)' >/dev/null");
	/* the rest of x is as before: host side, host route, default routes */
	expect_sh(q_addr(NULL, "ve-x", "fd00::1/128"));
	expect_sh(q_route(NULL, "fd00::2", "ve-x", NULL));
	expect_sh(q_route("x", "fd00::1", "eth0", NULL));
	expect_sh(q_route("x", "default", "eth0", "fd00::1"));
	expect_sh(q_ct("x", "10.0.0.1", "10.0.0.2", NULL, NULL));
	cr_expect(ping_ok("x", "fd00::1"), "container -> host fd00::1 after the change");
	cr_expect(ping_ok(NULL, "fd00::2"), "host -> container fd00::2 after the change");
	cr_expect(netd_alive(), "netd died");
}

/*
 * A failed container is tried again by any accepted reload, even of the same file: the
 * reload is how an admin says "I fixed what was in the way".
 */
Test(reload, failed_container_retried_by_identical_reload)
{
	sh_ok("ip netns add x && ip -n x link add foo type veth peer name bar && "
	      "ip -n x link set foo up && ip -n x link set bar up && "
	      "ip -n x addr add 10.9.0.9/24 dev foo && "
	      "ip -n x route add default via 10.9.0.10 dev foo proto static");
	netd_start(CONF_X, NULL);
	sh_ok("ip link add ve-x type veth peer name host0 netns x");
	wait_state(STATE_DIR, "x", "failed", WAIT_MS);

	sh_ok("ip -n x route del default via 10.9.0.10 dev foo");
	struct netd_status s = netd_reload(CONF_X);
	cr_expect(s.rejected == 0, "reload: %s", netd_status_str(&s));
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	expect_sh(q_x());
}
