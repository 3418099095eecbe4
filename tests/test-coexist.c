/* SPDX-License-Identifier: MIT */
/*
 * Coexistence with systemd-networkd and NetworkManager (coexist/): the files netd installs keep
 * other network managers off the links netd configures.
 *
 * The real systemd-networkd runs in the test's sandbox, started by the test (not systemctl)
 * and killed by its pidfd at the end: a read-only sysfs of the sandbox's netns on /sys (so it
 * does not wait for a udev that is not there), an empty /run/systemd, and a private tmpfs over
 * /etc/systemd/network holding a catch-all .network that would configure any link. The files
 * under test go to /run/systemd/network, where networkd reads them like the installed ones in
 * /usr/lib. No D-Bus: networkd logs that it cannot connect and carries on. Its readiness is
 * READY=1 on a notify socket the test owns; what it decided about a link is its state file
 * /run/systemd/netif/links/IFINDEX (what `networkctl list` shows), waited for with inotify.
 *
 * The udev rule is checked by evaluating it here against the properties udev would have (no
 * udevd needed), and by the real `udevadm test` where udevadm is installed.
 */
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "harness.h"

static void coexist_init(void);
static void coexist_fini(void);

TestSuite(coexist, .init = coexist_init, .fini = coexist_fini, .timeout = 90);

#define LINK_FILE    "70-netd-containers.link"
#define NETWORK_FILE "70-netd-containers.network"
#define RULES_FILE   "90-netd-containers.rules"

#define ETC_NETWORK	"/etc/systemd/network"
#define RUN_NETWORK	"/run/systemd/network"
#define NETIF_LINKS	"/run/systemd/netif/links"
#define NETWORKD_LOG	TEST_DIR "/networkd.log"
#define NETWORKD_NOTIFY TEST_DIR "/networkd.notify"

/* Would configure every link: what a careless catch-all on a host looks like. */
#define CATCH_ALL                                                                                  \
	"[Match]\n"                                                                                \
	"Name=*\n"                                                                                 \
	"\n"                                                                                       \
	"[Network]\n"                                                                              \
	"Address=192.0.2.99/32\n"                                                                  \
	"LinkLocalAddressing=no\n"                                                                 \
	"IPv6AcceptRA=no\n"                                                                        \
	"ConfigureWithoutCarrier=yes\n"

/* x: host-address mode on ve-x; y: bridge mode, vb-y in br0. */
#define CONF                                                                                       \
	"[Container x]\n"                                                                          \
	"PrivateNetwork=yes\n"                                                                     \
	"HostAddress=10.231.0.1\n"                                                                 \
	"LocalAddress=10.231.0.2\n"                                                                \
	"\n"                                                                                       \
	"[Container y]\n"                                                                          \
	"PrivateNetwork=yes\n"                                                                     \
	"HostBridge=br0\n"                                                                         \
	"LocalAddress=10.232.0.2/24\n"                                                             \
	"Gateway=10.232.0.1\n"

/* ---- sandbox and files ------------------------------------------------------------------- */

static char *src_path(const char *name)
{
	const char *srcdir = getenv("SRCDIR");
	char *p = NULL;

	cr_assert(srcdir && *srcdir, "SRCDIR must name the source tree (make check sets it)");
	cr_assert(asprintf(&p, "%s/coexist/%s", srcdir, name) >= 0, "oom");
	return p;
}

static void copy_file(const char *from, const char *to)
{
	_cleanup_free_ char *text = file_read(from);

	cr_assert(text, "cannot read %s: %s", from, strerror(errno));
	file_write(to, text);
}

/* Install a shipped file where networkd (or udev) reads it, as `make install` would. */
static void install_shipped(const char *name, const char *dir)
{
	_cleanup_free_ char *from = src_path(name), *to = NULL;

	cr_assert(asprintf(&to, "%s/%s", dir, name) >= 0, "oom");
	copy_file(from, to);
}

/* Mask a file name in every directory networkd reads (the /etc entry wins): a copy a
 * `make install` left in /usr/local/lib counts as left out too. */
static void mask(const char *name)
{
	_cleanup_free_ char *path = NULL;

	cr_assert(asprintf(&path, ETC_NETWORK "/%s", name) >= 0, "oom");
	cr_assert(symlink("/dev/null", path) == 0, "symlink %s: %s", path, strerror(errno));
}

static void coexist_init(void)
{
	sandbox_enter();
	/* networkd takes a read-only /sys for "no udev here" and configures links without
	 * waiting for udev to announce them. The sandbox's /sys is a fresh sysfs of its netns;
	 * only this mount point becomes read-only. */
	cr_assert(mount(NULL, "/sys", NULL,
			MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			NULL) == 0,
		  "remount /sys read-only: %s", strerror(errno));
	/* A private, empty /etc/systemd/network: mount propagation is private (sandbox), so
	 * the host's directory is neither changed nor seen. */
	cr_assert(access(ETC_NETWORK, F_OK) == 0,
		  ETC_NETWORK " does not exist: is systemd installed? (make deps)");
	cr_assert(mount("tmpfs", ETC_NETWORK, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0,
		  "tmpfs on " ETC_NETWORK ": %s", strerror(errno));
	/* /run is the sandbox's own tmpfs: /run/systemd starts empty. */
	cr_assert(mkdir("/run/systemd", 0755) == 0 && mkdir(RUN_NETWORK, 0755) == 0,
		  "mkdir " RUN_NETWORK ": %s", strerror(errno));
}

/* ---- systemd-networkd ---------------------------------------------------------------------- */

static struct {
	bool started;
	struct proc proc;
	int notify_fd;
} nwd = {.notify_fd = -1};

static void networkd_dump(void)
{
	_cleanup_free_ char *log = file_read(NETWORKD_LOG);

	fprintf(stderr, "---- %s ----\n%s---- end of networkd log ----\n", NETWORKD_LOG,
		log ? log : "(none)\n");
	(void)sh("exec >&2; echo '---- networkd link states'; for f in " NETIF_LINKS "/*; do "
		 "echo \"-- $f ($(ip -o link show | awk -F': ' -v i=${f##*/} '$1 == i {sub(/@.*/, "
		 "\"\", $2); print $2}'))\"; "
		 "grep -E '^(ADMIN_STATE|NETWORK_FILE)=' $f; done; echo '---- end'");
	netd_dump_log();
}

static const char *networkd_binary(void)
{
	static const char *const paths[] = {"/lib/systemd/systemd-networkd",
					    "/usr/lib/systemd/systemd-networkd"};
	const char *env = getenv("NETWORKD");

	if (env)
		return env;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	cr_assert_fail("systemd-networkd not found: install systemd (make deps) or set NETWORKD");
	return NULL;
}

/* Start networkd and wait (bounded) for its READY=1. */
static void networkd_start(void)
{
	char *argv[] = {(char *)networkd_binary(), NULL};
	unsigned long long deadline = now_usec() + (unsigned long long)WAIT_MS * 1000;
	_cleanup_close_ int log =
	    open(NETWORKD_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct netd_status ignored;
	char buf[4096];
	int r;

	cr_assert(log >= 0, "open %s: %s", NETWORKD_LOG, strerror(errno));
	r = notify_open(NETWORKD_NOTIFY, &nwd.notify_fd);
	cr_assert(r == 0, "notify socket %s: %s", NETWORKD_NOTIFY, strerror(-r));
	/* networkd drops to the user systemd-network before it sends READY=1. */
	cr_assert(chmod(NETWORKD_NOTIFY, 0666) == 0, "chmod %s: %s", NETWORKD_NOTIFY,
		  strerror(errno));
	/* Inherited by the child only: debug output on the log file, nothing to a journal. */
	cr_assert(setenv("SYSTEMD_LOG_LEVEL", "debug", 1) == 0 &&
		  setenv("SYSTEMD_LOG_TARGET", "console", 1) == 0);
	r = proc_spawn(argv, log, log, NETWORKD_NOTIFY, &nwd.proc);
	(void)unsetenv("SYSTEMD_LOG_LEVEL");
	(void)unsetenv("SYSTEMD_LOG_TARGET");
	cr_assert(r == 0, "spawn %s: %s", argv[0], strerror(-r));
	nwd.started = true;
	for (;;) {
		r = notify_wait(nwd.notify_fd, &nwd.proc.pidfd, 1, deadline, buf, sizeof(buf),
				&ignored);
		cr_assert(r >= 0, "poll: %s", strerror(-r));
		if ((r & NOTIFY_MESSAGE) && text_has_line(buf, "READY=1"))
			break;
		if (r == 0 || (r & NOTIFY_EXITED(0))) {
			networkd_dump();
			cr_assert_fail("systemd-networkd %s before READY=1",
				       r == 0 ? "sent nothing within the bound" : "exited");
		}
	}
	cr_assert(access(NETIF_LINKS, F_OK) == 0, "networkd is ready but made no " NETIF_LINKS);
}

static void coexist_fini(void)
{
	if (nwd.started) {
		int st = proc_stop(&nwd.proc, SIGTERM, 10000);

		if (st < 0)
			(void)proc_stop(&nwd.proc, SIGKILL, 5000);
		cr_expect(st == 0, "systemd-networkd did not exit 0 on SIGTERM (status %d)", st);
		proc_done(&nwd.proc);
		nwd.started = false;
	}
	nwd.notify_fd = safe_close(nwd.notify_fd);
	sandbox_leave();
}

/*
 * Wait until the shell condition holds, re-evaluated whenever networkd rewrites a link state
 * file (it replaces them by rename); fails after timeout_ms or when networkd exits.
 */
static void wait_netif(int timeout_ms, const char *fmt, ...) _printf_(2, 3);
static void wait_netif(int timeout_ms, const char *fmt, ...)
{
	unsigned long long deadline = now_usec() + (unsigned long long)timeout_ms * 1000;
	_cleanup_close_ int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	_cleanup_free_ char *cond = NULL;
	char ev[4096];
	va_list ap;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cond, fmt, ap) >= 0, "oom");
	va_end(ap);
	cr_assert(ifd >= 0 && inotify_add_watch(ifd, NETIF_LINKS,
						IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) >= 0,
		  "inotify on " NETIF_LINKS ": %s", strerror(errno));
	for (;;) {
		struct pollfd pfd[2] = {{.fd = ifd, .events = POLLIN},
					{.fd = proc_exit_fd(&nwd.proc), .events = POLLIN}};
		int r;

		if (sh("%s", cond) == 0)
			return;
		r = poll(pfd, 2, remaining_ms(deadline));
		cr_assert(r >= 0, "poll: %s", strerror(errno));
		if (r == 0 || (pfd[1].revents & POLLIN)) {
			networkd_dump();
			cr_assert_fail("%s within %d ms: %s",
				       r == 0 ? "condition did not hold" : "networkd exited",
				       timeout_ms, cond);
		}
		while (read(ifd, ev, sizeof(ev)) > 0)
			;
	}
}

/* networkd's state file of a link. */
static const char *netif_state(const char *dev)
{
	static char buf[4][64];
	static unsigned i;
	long idx = sh_num("cat /sys/class/net/%s/ifindex", dev);
	char *b = buf[i++ % ARRAY_SIZE(buf)];

	snprintf(b, sizeof(buf[0]), NETIF_LINKS "/%ld", idx);
	return b;
}

/* Shell conditions. networkd left dev alone: its state file says unmanaged, no .network. */
static const char *q_unmanaged(const char *dev)
{
	static char buf[4][256];
	static unsigned i;
	char *b = buf[i++ % ARRAY_SIZE(buf)];
	const char *f = netif_state(dev);

	snprintf(b, sizeof(buf[0]),
		 "grep -qx ADMIN_STATE=unmanaged %s && ! grep -q ^NETWORK_FILE= %s", f, f);
	return b;
}

static const char *q_admin_state(const char *dev, const char *state)
{
	static char buf[4][128];
	static unsigned i;
	char *b = buf[i++ % ARRAY_SIZE(buf)];

	snprintf(b, sizeof(buf[0]), "grep -qx ADMIN_STATE=%s %s", state, netif_state(dev));
	return b;
}

/* dev's IPv4 addresses are exactly the list (a jq array literal, e.g. ["10.0.0.1"]). */
static const char *q_v4_exactly(const char *dev, const char *list)
{
	static char buf[4][256];
	static unsigned i;
	char *b = buf[i++ % ARRAY_SIZE(buf)];

	snprintf(b, sizeof(buf[0]),
		 "ip -j -4 addr show dev %s | jq -e '[.[].addr_info[]?.local] == %s' >/dev/null",
		 dev, list);
	return b;
}

/* The catch-all, networkd running, netd configuring x and y, then the control link other0. */
static struct netd_status scenario(void)
{
	struct netd_status st;

	file_write(ETC_NETWORK "/90-catch-all.network", CATCH_ALL);
	sh_ok("ip link add br0 type bridge && ip link set br0 up");
	networkd_start();
	netd_start(CONF, NULL);
	ct_add("x", false, true);
	ct_add("y", true, true);
	wait_state(STATE_DIR, "x", "configured", WAIT_MS);
	wait_state(STATE_DIR, "y", "configured", WAIT_MS);
	st = netd_wait_counter("configured", 2, WAIT_MS);
	/* The control, added last: networkd handles links in the order the kernel announces
	 * them, so once other0 is configured it has made up its mind about ve-x and vb-y and
	 * seen every change netd made to them. A veth like the containers', but another name. */
	sh_ok("ip link add other0 type veth peer name other1");
	return st;
}

/* ---- the files keep networkd off the containers' links --------------------------------------- */

Test(coexist, networkd_leaves_container_links_alone)
{
	struct netd_status before;

	install_shipped(NETWORK_FILE, RUN_NETWORK);
	install_shipped(LINK_FILE, RUN_NETWORK);
	before = scenario();

	/* control: networkd is running and takes over a link nothing protects */
	wait_netif(WAIT_MS, "%s", q_admin_state("other0", "configured"));
	expect_sh(q_addr(NULL, "other0", "192.0.2.99/32"));

	/* networkd decided about the containers' links: unmanaged, no .network applied */
	wait_netif(WAIT_MS, "%s && %s", q_unmanaged("ve-x"), q_unmanaged("vb-y"));

	/* and changed nothing on them: exactly netd's address and route on ve-x, no address on
	 * vb-y and still in netd's bridge */
	expect_sh(q_v4_exactly("ve-x", "[\"10.231.0.1\"]"));
	expect_sh(q_route(NULL, "10.231.0.2", "ve-x", NULL));
	expect_sh(q_v4_exactly("vb-y", "[]"));
	expect_sh(q_master("vb-y", "br0"));
	expect_sh(q_up(NULL, "ve-x"));
	expect_sh(q_up(NULL, "vb-y"));
	/* netd never had to put anything back */
	struct netd_status now = netd_status_now();
	cr_expect(now.writes == before.writes && now.configured == 2,
		  "netd wrote again while networkd ran: %s, then %s", netd_status_str(&before),
		  netd_status_str(&now));
	/* networkd parsed the shipped .network without complaint ("FILE:LINE: ...") */
	expect_sh("! grep -F '" NETWORK_FILE ":' " NETWORKD_LOG);
	_cleanup_free_ char *x = state_get(STATE_DIR, "x", "STATE");
	cr_expect(streq_ptr(x, "configured"), "x is %s", strna(x));
}

/*
 * The control of the test above: without the shipped files (masked, so a copy installed on
 * the host does not count) the same scenario ends with networkd owning ve-x and vb-y, and the
 * very checks the test above makes fail. systemd's own 80-container-ve/vb.network are masked
 * too, so that the catch-all is what takes the links (with them, networkd would give ve-x a
 * DHCP server and a pool address instead: taken over just the same).
 */
Test(coexist, control_without_the_files_networkd_takes_them)
{
	mask(NETWORK_FILE);
	mask(LINK_FILE);
	mask("80-container-ve.network");
	mask("80-container-vb.network");
	scenario();

	wait_netif(WAIT_MS, "%s", q_admin_state("other0", "configured"));
	wait_netif(WAIT_MS, "%s && %s", q_admin_state("ve-x", "configured"),
		   q_admin_state("vb-y", "configured"));
	expect_sh(q_addr(NULL, "ve-x", "192.0.2.99/32"));
	expect_sh(q_addr(NULL, "vb-y", "192.0.2.99/32"));
	cr_expect(sh("%s", q_unmanaged("ve-x")) != 0, "networkd left ve-x alone without the files");
	cr_expect(sh("%s", q_v4_exactly("ve-x", "[\"10.231.0.1\"]")) != 0,
		  "ve-x carries only netd's address although networkd configured it");
	cr_expect(sh("%s", q_v4_exactly("vb-y", "[]")) != 0,
		  "vb-y carries no address although networkd configured it");
}

/* ---- the udev rule -------------------------------------------------------------------------- */

/* A [Section] Key= value of an ini file (the last assignment), or NULL. */
static char *ini_get(const char *path, const char *section, const char *key)
{
	_cleanup_free_ char *text = file_read(path);
	char *value = NULL, *save = NULL;
	bool in = false;
	size_t n = strlen(key);

	cr_assert(text, "cannot read %s", path);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (*l == '[')
			in = strncmp(l + 1, section, strlen(section)) == 0 &&
			     l[1 + strlen(section)] == ']';
		else if (in && strncmp(l, key, n) == 0 && l[n] == '=') {
			free(value);
			value = strdup(l + n + 1);
		}
	}
	return value;
}

struct udev_dev {
	const char *name, *action;
	char env[8][2][64]; /* properties: ID_NET_DRIVER and what the rules assign */
	size_t n_env;
};

static const char *dev_env(const struct udev_dev *d, const char *key)
{
	for (size_t i = d->n_env; i-- > 0;)
		if (strcmp(d->env[i][0], key) == 0)
			return d->env[i][1];
	return NULL;
}

static void dev_setenv(struct udev_dev *d, const char *key, const char *value)
{
	cr_assert(d->n_env < ARRAY_SIZE(d->env) && strlen(key) < 64 && strlen(value) < 64);
	snprintf(d->env[d->n_env][0], 64, "%s", key);
	snprintf(d->env[d->n_env++][1], 64, "%s", value);
}

/* udev's pattern: shell globs separated by '|'. */
static bool udev_glob(const char *pattern, const char *s)
{
	_cleanup_free_ char *copy = strdup(pattern);
	char *save = NULL;

	cr_assert(copy, "oom");
	for (char *p = strtok_r(copy, "|", &save); p; p = strtok_r(NULL, "|", &save))
		if (fnmatch(p, s, 0) == 0)
			return true;
	return false;
}

/*
 * Apply one rule line to a net device the way udev does for the keys the file may use:
 * SUBSYSTEM, ACTION, KERNEL, ENV{X} matched with == / !=, ENV{X}="v" assigned once every
 * match holds. Anything else (another key or operator, a missing quote or comma) fails the
 * test: the file stays within what this check understands.
 */
static void udev_apply(const char *file, int lineno, const char *line, struct udev_dev *d)
{
	char assign[4][2][64];
	size_t n_assign = 0;
	bool match = true;
	const char *p = line;

	while (*p) {
		char key[64], op[3] = "", value[64];
		const char *end;
		size_t n;

		n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_{}");
		cr_assert(n > 0 && n < sizeof(key), "%s:%d: no key at '%s'", file, lineno, p);
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		p += n;
		for (const char *const *o = (const char *const[]){"==", "!=", "=", NULL}; *o; o++)
			if (strncmp(p, *o, strlen(*o)) == 0) {
				snprintf(op, sizeof(op), "%s", *o);
				break;
			}
		cr_assert(*op && p[strlen(op)] == '"',
			  "%s:%d: expected ==, != or = and a quoted "
			  "value after %s",
			  file, lineno, key);
		p += strlen(op) + 1;
		end = strchr(p, '"');
		cr_assert(end && (size_t)(end - p) < sizeof(value),
			  "%s:%d: unterminated value of %s", file, lineno, key);
		snprintf(value, sizeof(value), "%.*s", (int)(end - p), p);
		p = end + 1;
		cr_assert(*p == '\0' || strncmp(p, ", ", 2) == 0, "%s:%d: expected ', ' after %s",
			  file, lineno, key);
		p += *p ? 2 : 0;

		if (streq_ptr(op, "=")) {
			cr_assert(strncmp(key, "ENV{", 4) == 0 && key[n - 1] == '}',
				  "%s:%d: assigns %s: only ENV{} is expected", file, lineno, key);
			cr_assert(n_assign < ARRAY_SIZE(assign));
			snprintf(assign[n_assign][0], 64, "%.*s", (int)(n - 5), key + 4);
			snprintf(assign[n_assign++][1], 64, "%s", value);
			continue;
		}
		const char *have;

		if (streq_ptr(key, "SUBSYSTEM"))
			have = "net";
		else if (streq_ptr(key, "ACTION"))
			have = d->action;
		else if (streq_ptr(key, "KERNEL"))
			have = d->name;
		else if (strncmp(key, "ENV{", 4) == 0 && key[n - 1] == '}') {
			char env[64];

			snprintf(env, sizeof(env), "%.*s", (int)(n - 5), key + 4);
			have = dev_env(d, env) ?: "";
		} else {
			cr_assert_fail("%s:%d: unexpected match key %s", file, lineno, key);
			return;
		}
		if (udev_glob(value, have) != streq_ptr(op, "=="))
			match = false;
	}
	for (size_t i = 0; match && i < n_assign; i++)
		dev_setenv(d, assign[i][0], assign[i][1]);
}

/* The properties the rules file gives a net device on an event. */
static struct udev_dev udev_eval(const char *name, const char *driver, const char *action)
{
	_cleanup_free_ char *path = src_path(RULES_FILE);
	_cleanup_free_ char *text = file_read(path);
	struct udev_dev d = {.name = name, .action = action};
	int lineno = 0;

	cr_assert(text, "cannot read %s", path);
	dev_setenv(&d, "ID_NET_DRIVER", driver);
	for (char *l = text, *nl; l && *l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		if (*l == '#' || *l == '\0')
			continue;
		udev_apply(RULES_FILE, lineno, l, &d);
	}
	return d;
}

Test(coexist, udev_rule_and_files_agree)
{
	_cleanup_free_ char *link = src_path(LINK_FILE), *network = src_path(NETWORK_FILE);
	_cleanup_free_ char *property = ini_get(link, "Link", "Property");
	_cleanup_free_ char *orig = ini_get(link, "Match", "OriginalName");
	_cleanup_free_ char *kind = ini_get(link, "Match", "Kind");
	_cleanup_free_ char *name = ini_get(network, "Match", "Name");
	_cleanup_free_ char *driver = ini_get(network, "Match", "Driver");
	_cleanup_free_ char *unmanaged = ini_get(network, "Link", "Unmanaged");
	const char *owner;

	/* one owner name everywhere, and not networkd's own */
	cr_assert(property && strncmp(property, "ID_NET_MANAGED_BY=", 18) == 0,
		  "%s: [Link] Property=ID_NET_MANAGED_BY=... missing (%s)", LINK_FILE,
		  strna(property));
	owner = property + 18;
	cr_assert(*owner && strcmp(owner, "io.systemd.Network") != 0, "owner '%s'", owner);
	/* the same links everywhere: veths called ve-* or vb-* */
	cr_expect(streq_ptr(orig, "ve-* vb-*") && streq_ptr(name, "ve-* vb-*"),
		  "OriginalName=%s, Name=%s", strna(orig), strna(name));
	cr_expect(streq_ptr(kind, "veth") && streq_ptr(driver, "veth"), "Kind=%s, Driver=%s",
		  strna(kind), strna(driver));
	cr_expect(streq_ptr(unmanaged, "yes"), "Unmanaged=%s", strna(unmanaged));

	static const struct {
		const char *name, *driver, *action;
		bool nm, owned;
	} cases[] = {
	    {"ve-x", "veth", "add", true, true},
	    {"vb-y", "veth", "add", true, true},
	    {"ve-averylongnnh", "veth", "add", true, true}, /* a shortened long name */
	    {"ve-x", "veth", "change", true, true},
	    {"ve-x", "veth", "move", true, true},
	    {"ve-x", "veth", "remove", false, false},
	    {"ve-x", "bridge", "add", true, false}, /* NM: by name, as the NixOS module */
	    {"other0", "veth", "add", false, false},
	    {"veth0", "veth", "add", false, false},
	    {"host0", "veth", "add", false, false},
	    {"eth0", "e1000e", "add", false, false},
	    {"vx-ve-1", "veth", "add", false, false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct udev_dev d = udev_eval(cases[i].name, cases[i].driver, cases[i].action);
		const char *nm = dev_env(&d, "NM_UNMANAGED"),
			   *by = dev_env(&d, "ID_NET_MANAGED_BY");

		cr_expect(streq_ptr(nm, cases[i].nm ? "1" : NULL), "%s (%s, %s): NM_UNMANAGED=%s",
			  cases[i].name, cases[i].driver, cases[i].action, strna(nm));
		cr_expect(streq_ptr(by, cases[i].owned ? owner : NULL),
			  "%s (%s, %s): ID_NET_MANAGED_BY=%s", cases[i].name, cases[i].driver,
			  cases[i].action, strna(by));
	}
}

/*
 * The real udev, where it is installed (package udev; not a test dependency: installing it
 * starts udevd on a host without systemd as init): `udevadm test` runs every rule, the
 * net_setup_link builtin and its .link lookup for a link, without udevd, and prints the
 * properties the link would get.
 */
Test(coexist, udevadm_test_properties)
{
	const char *udevadm = getenv("UDEVADM");
	_cleanup_free_ char *found = NULL;

	if (!udevadm) {
		if (sh("command -v udevadm") != 0)
			cr_skip_test("udevadm is not installed: the rule is checked by "
				     "udev_rule_and_files_agree only");
		found = sh_out("command -v udevadm");
		found[strcspn(found, "\n")] = '\0';
		udevadm = found;
	}
	_cleanup_free_ char *link = src_path(LINK_FILE);
	_cleanup_free_ char *property = ini_get(link, "Link", "Property");
	_cleanup_free_ char *want = NULL;

	cr_assert(property, "%s: no Property=", LINK_FILE);
	cr_assert(asprintf(&want, "\n%s\n", property) >= 0, "oom");
	sh_ok("mkdir -p /run/udev/rules.d");
	install_shipped(RULES_FILE, "/run/udev/rules.d");
	install_shipped(LINK_FILE, RUN_NETWORK);
	ct_add("x", false, true);
	ct_add("y", true, true);
	sh_ok("ip link add other0 type veth peer name other1");

	static const char *const ours[] = {"ve-x", "vb-y"};
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++) {
		_cleanup_free_ char *out =
		    sh_out("%s test --action=add /sys/class/net/%s 2>/dev/null", udevadm, ours[i]);

		cr_expect(strstr(out, "\nNM_UNMANAGED=1\n"), "%s: no NM_UNMANAGED=1:\n%s", ours[i],
			  out);
		cr_expect(strstr(out, want), "%s: no %s:\n%s", ours[i], property, out);
		cr_expect(strstr(out, "\nID_NET_LINK_FILE=" RUN_NETWORK "/" LINK_FILE "\n"),
			  "%s: " LINK_FILE " not the .link file applied:\n%s", ours[i], out);
	}
	_cleanup_free_ char *other =
	    sh_out("%s test --action=add /sys/class/net/other0 2>/dev/null", udevadm);
	cr_expect(!strstr(other, "NM_UNMANAGED=") && !strstr(other, "ID_NET_MANAGED_BY="),
		  "other0 got our properties:\n%s", other);
}
