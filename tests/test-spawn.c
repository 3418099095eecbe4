/* SPDX-License-Identifier: MIT */
/*
 * spawn against the kernel: each test builds a busybox root under its private /run, starts
 * netd on a config declaring the container (unless the test is about netd missing), runs
 * spawn NAME -- COMMAND and checks what the command saw and what is left on the host.
 */
#include <elf.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "caps.h"
#include "exec.h"
#include "harness.h"
#include "parent.h"

#define CT	     "ct"
#define ROOT	     TEST_DIR "/root"
#define OUT	     TEST_DIR "/spawn.out"
#define ERR	     TEST_DIR "/spawn.err"
#define HOSTDIR	     TEST_DIR "/host"
#define SPAWN_NOTIFY TEST_DIR "/spawn.notify"
#define H4	     "10.9.0.1"
#define L4	     "10.9.0.2"
#define SPAWN_MS     30000

static struct proc sp = {.pidfd = -1};

static void leave(void)
{
	if (proc_running(&sp))
		(void)proc_stop(&sp, SIGKILL, 5000);
	proc_done(&sp);
	sandbox_leave();
}

TestSuite(spawn, .init = sandbox_enter, .fini = leave, .timeout = 60);

static const char *spawn_bin(void)
{
	static char path[4096];
	const char *s = getenv("SPAWN"), *netd = getenv("NETD");
	char *slash;

	if (s)
		return s;
	/* NETD is .../netd/netd (build/san/netd/netd when sanitized): spawn sits beside it. */
	cr_assert(netd && netd[0] == '/', "set SPAWN or NETD");
	(void)snprintf(path, sizeof(path), "%s", netd);
	slash = strrchr(path, '/');
	*slash = '\0';
	slash = strrchr(path, '/');
	(void)snprintf(slash, sizeof(path) - (size_t)(slash - path), "/spawn/spawn");
	return path;
}

/* A busybox root: /bin/busybox and its applets, /etc, /mnt. */
static void build_root(void)
{
	sh_ok("mkdir -p " ROOT "/bin " ROOT "/sbin " ROOT "/etc " ROOT "/mnt " HOSTDIR
	      " && cp /bin/busybox " ROOT "/bin/ && for c in sh ip ping cat ls hostname ps grep "
	      "true reboot poweroff sleep touch mkdir echo wc head id uname; do ln -s busybox " ROOT
	      "/bin/$c; done");
}

static char *conf_text(const char *name, const char *extra)
{
	char *s = NULL;

	cr_assert(asprintf(&s,
			   "[Container %s]\nPrivateNetwork=yes\nHostAddress=" H4 "\n"
			   "LocalAddress=" L4 "\nDirectory=" ROOT "\nTimeoutStartSec=20s\n%s",
			   name, extra ? extra : "") >= 0);
	return s;
}

/* Build the root, write the config with extra lines for container CT, start netd on it. */
static void setup(const char *extra, bool netd)
{
	_cleanup_free_ char *c = conf_text(CT, extra);

	build_root();
	if (netd)
		netd_start(c, NULL);
	else
		file_write(NETD_CONF, c);
}

/* Raise an inheritable and ambient capability before exec, to see spawn clear them. */
static void raise_inh_amb(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		_exit(126);
	d[0].inheritable |= 1u << CAP_NET_RAW;
	if (syscall(SYS_capset, &h, d) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) < 0)
		_exit(126);
}

struct start_opts {
	const char *name;   /* default CT */
	bool no_command;    /* run the container's init */
	bool leak_fds;	    /* leave fds 7 and 8 open (not CLOEXEC) across spawn's exec */
	bool caps_dirty;    /* inheritable and ambient CAP_NET_RAW */
	const char *notify; /* NOTIFY_SOCKET for spawn */
};

static void spawn_start_opts(const char *cmd, const struct start_opts *o)
{
	char *argv[] = {(char *)spawn_bin(),
			"--config",
			NETD_CONF,
			"--state-dir",
			STATE_DIR,
			(char *)(o->name ? o->name : CT),
			"--",
			"/bin/sh",
			"-c",
			(char *)cmd,
			NULL};
	int out = open(OUT, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err = open(ERR, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r;

	cr_assert(out >= 0 && err >= 0);
	if (o->no_command)
		argv[6] = NULL;
	r = proc_fork(&sp);
	cr_assert(r == 0, "fork: %s", strerror(-r));
	if (sp.pid == 0) {
		(void)dup2(out, 1);
		(void)dup2(err, 2);
		if (o->notify)
			(void)setenv("NOTIFY_SOCKET", o->notify, 1);
		else
			(void)unsetenv("NOTIFY_SOCKET");
		if (o->leak_fds && (dup2(out, 7) < 0 || dup2(err, 8) < 0))
			_exit(126);
		if (o->caps_dirty)
			raise_inh_amb();
		execv(argv[0], argv);
		_exit(127);
	}
	close(out);
	close(err);
}

static void spawn_start(const char *cmd)
{
	spawn_start_opts(cmd, &(struct start_opts){0});
}

static int spawn_wait(void)
{
	int r = proc_wait(&sp, SPAWN_MS);

	if (r < 0) {
		_cleanup_free_ char *e = file_read(ERR);

		netd_dump_log();
		cr_assert_fail("spawn did not exit within %d ms (%s); stderr: %s", SPAWN_MS,
			       strerror(-r), strna(e));
	}
	return r;
}

static int spawn_run(const char *cmd)
{
	spawn_start(cmd);
	return spawn_wait();
}

/* Run cmd in the container and require exit 0; returns its stdout (owned). */
static char *spawn_ok(const char *cmd)
{
	int r = spawn_run(cmd);
	char *out = file_read(OUT);
	_cleanup_free_ char *err = file_read(ERR);

	if (r != 0)
		netd_dump_log();
	cr_assert(r == 0, "spawn exited %d; stdout: %s; stderr: %s", r, strna(out), strna(err));
	return out;
}

/* Nothing of the container is left on the host side. */
static void expect_host_clean(const char *name)
{
	expect_sh("test ! -e /run/netns/ct");
	expect_sh("! grep -q ' /run/netns/ct ' /proc/self/mountinfo");
	expect_sh("! grep -q ' " ROOT "' /proc/self/mountinfo");
	cr_expect(sh("ip link show dev ve-%s >/dev/null 2>&1", name) != 0, "ve-%s still exists",
		  name);
}

Test(spawn, pid1_hostname_own_processes)
{
	_cleanup_free_ char *out = NULL;

	setup(NULL, true);
	out = spawn_ok("echo pid=$$; hostname; ls -d /proc/[0-9]* | wc -l");
	/* sh itself, ls and wc of its pipeline: nothing of the host, nothing of spawn. */
	cr_expect(strcmp(out, "pid=1\n" CT "\n3\n") == 0, "container saw: %s", out);
	expect_host_clean(CT);
}

Test(spawn, network_ready_before_command)
{
	_cleanup_free_ char *out = NULL, *c = conf_text(CT, NULL);
	int r;

	/* netd starts only once spawn has made the links: the command can see the address
	 * and reach the host only if spawn waited for netd. */
	build_root();
	file_write(NETD_CONF, c);
	watch_ns(NULL);
	spawn_start("ip addr show dev eth0 | grep -q 'inet " L4 "/32' && "
		    "ping -c 1 -W 5 " H4 " >/dev/null && echo ok");
	wait_cond(SPAWN_MS, "%s", q_link(NULL, "ve-" CT));
	netd_start(NULL, NULL);
	r = spawn_wait();
	out = file_read(OUT);
	cr_expect(r == 0 && streq_ptr(out, "ok\n"), "spawn exited %d, container saw: %s", r,
		  strna(out));
	expect_host_clean(CT);
}

/* Start the container on a shell that exits 0 on SIGTERM, and wait until it runs. */
static void spawn_start_running(const char *name)
{
	spawn_start_opts("trap 'exit 0' TERM; touch /mnt/rw/ready; sleep 1000 & wait",
			 &(struct start_opts){.name = name});
	wait_exists(HOSTDIR, "ready", SPAWN_MS);
}

static void spawn_stop(void)
{
	cr_assert(proc_signal(&sp, SIGTERM) == 0);
	cr_expect(spawn_wait() == 0, "spawn did not exit 0 on SIGTERM");
}

Test(spawn, long_names_shortened_with_altnames)
{
	const char *name = "averylongcontainername";
	_cleanup_free_ char *c = NULL, *state = NULL;

	build_root();
	c = conf_text(name, "Bind=" HOSTDIR ":/mnt/rw\n"
			    "[ExtraVeth averylongcontainername-mgmt]\n"
			    "Container=averylongcontainername\n"
			    "HostAddress=10.9.1.1\nLocalAddress=10.9.1.2\n");
	netd_start(c, NULL);
	spawn_start_running(name);
	state = state_get(STATE_DIR, name, "STATE");
	cr_assert(streq_ptr(state, "configured"), "STATE=%s", strna(state));
	/* Found by their full names (altnames) on both sides; host0 renamed eth0 by netd. */
	assert_sh("ip link show dev ve-averylongcontainername | grep -q 'altname "
		  "ve-averylongcontainername'");
	assert_sh("ip link show dev averylongcontainername-mgmt >/dev/null");
	assert_sh("ip -n averylongcontainername link show dev averylongcontainername-mgmt "
		  ">/dev/null");
	assert_sh("ip -n averylongcontainername addr show dev eth0 | grep -q 'inet " L4 "/32'");
	spawn_stop();
	expect_sh("! ip link show dev ve-averylongcontainername >/dev/null 2>&1");
	expect_sh("! ip link show dev averylongcontainername-mgmt >/dev/null 2>&1");
	expect_sh("test ! -e /run/netns/averylongcontainername");
}

Test(spawn, bind_writable_lands_on_host)
{
	setup("Bind=" HOSTDIR ":/mnt/rw\n", true);
	free(spawn_ok("echo hello > /mnt/rw/file"));
	expect_sh("grep -qx hello " HOSTDIR "/file");
	expect_host_clean(CT);
}

Test(spawn, bind_readonly_includes_submounts)
{
	setup("BindReadOnly=" HOSTDIR ":/mnt/ro\n", true);
	sh_ok("mkdir -p " HOSTDIR "/sub && mount -t tmpfs tmpfs " HOSTDIR "/sub");
	free(spawn_ok("test -d /mnt/ro/sub && ! touch /mnt/ro/x 2>/dev/null && "
		      "! touch /mnt/ro/sub/y 2>/dev/null"));
	expect_sh("test ! -e " HOSTDIR "/x && test ! -e " HOSTDIR "/sub/y");
	expect_sh("touch " HOSTDIR "/sub/z"); /* the host's own mount stays writable */
}

Test(spawn, temporary_file_system_is_tmpfs)
{
	setup("TemporaryFileSystem=/mnt/tmp:size=1m\n", true);
	free(spawn_ok("grep -q ' /mnt/tmp tmpfs ' /proc/mounts && touch /mnt/tmp/z"));
	expect_sh("test ! -e " ROOT "/mnt/tmp/z");
}

Test(spawn, ephemeral_leaves_nothing_behind)
{
	setup("Ephemeral=yes\n", true);
	free(spawn_ok("echo x > /newfile && mkdir /newdir && rm /bin/true && "
		      "test -e /etc/os-release"));
	expect_sh("test ! -e " ROOT "/newfile && test ! -e " ROOT "/newdir && test -L " ROOT
		  "/bin/true");
	expect_sh("test ! -e " ROOT "/etc/os-release && test ! -e " ROOT "/etc/machine-id");
	expect_sh("! grep -q overlay /proc/self/mountinfo");
	expect_host_clean(CT);
}

Test(spawn, persistent_root_gets_os_release_machine_id_resolv_conf)
{
	setup(NULL, true);
	free(spawn_ok("test -f /etc/os-release && test -f /etc/machine-id"));
	expect_sh("test -f " ROOT "/etc/os-release && test -f " ROOT "/etc/machine-id");
	if (access("/etc/resolv.conf", R_OK) == 0)
		expect_sh("cmp -s /etc/resolv.conf " ROOT "/etc/resolv.conf");
}

Test(spawn, only_stdio_fds_inside)
{
	_cleanup_free_ char *out = NULL;
	int r;

	setup(NULL, true);
	/* "; true": sh stays PID 1 instead of exec'ing ls, whose own fd would show. */
	spawn_start_opts("ls /proc/1/fd; true", &(struct start_opts){.leak_fds = true});
	r = spawn_wait();
	out = file_read(OUT);
	cr_assert(r == 0, "spawn exited %d: %s", r, strna(file_read(ERR)));
	cr_expect(streq_ptr(out, "0\n1\n2\n"), "fds of PID 1: %s", strna(out));
}

static uint64_t cap_line(const char *out, const char *key)
{
	const char *p = strstr(out, key);
	unsigned long long v = ~0ULL;

	cr_assert(p && sscanf(p + strlen(key), ":\t%llx", &v) == 1, "no %s in %s", key, out);
	return v;
}

Test(spawn, capabilities_reduced_and_inheritable_ambient_empty)
{
	_cleanup_free_ char *out = NULL;
	uint64_t want = caps_default | (1ULL << CAP_NET_ADMIN) | (1ULL << CAP_SYS_TIME);
	_cleanup_free_ char *self = file_read("/proc/self/status");
	int r;

	/* Nothing beyond the bounding set spawn itself runs with. */
	want &= cap_line(self, "CapBnd");

	setup("Capability=CAP_SYS_TIME\n", true);
	spawn_start_opts("grep Cap /proc/self/status", &(struct start_opts){.caps_dirty = true});
	r = spawn_wait();
	out = file_read(OUT);
	cr_assert(r == 0 && out, "spawn exited %d: %s", r, strna(file_read(ERR)));
	cr_expect(cap_line(out, "CapBnd") == want, "CapBnd %llx, want %llx",
		  (unsigned long long)cap_line(out, "CapBnd"), (unsigned long long)want);
	cr_expect(!(cap_line(out, "CapBnd") & (1ULL << CAP_SYS_MODULE)), "CAP_SYS_MODULE kept");
	cr_expect(cap_line(out, "CapInh") == 0, "CapInh not empty: %s", out);
	cr_expect(cap_line(out, "CapAmb") == 0, "CapAmb not empty: %s", out);
}

Test(spawn, host_network_lacks_net_admin_tun_adds_it)
{
	_cleanup_free_ char *out = NULL;

	build_root();
	file_write(NETD_CONF, "[Container " CT "]\nDirectory=" ROOT "\n");
	out = spawn_ok("grep CapBnd /proc/self/status");
	cr_expect(!(cap_line(out, "CapBnd") & (1ULL << CAP_NET_ADMIN)), "CAP_NET_ADMIN kept: %s",
		  out);
	free(out);
	file_write(NETD_CONF, "[Container " CT "]\nDirectory=" ROOT "\nEnableTun=yes\n");
	out = spawn_ok("grep CapBnd /proc/self/status; ls -l /dev/net/tun");
	cr_expect(cap_line(out, "CapBnd") & (1ULL << CAP_NET_ADMIN), "no CAP_NET_ADMIN: %s", out);
	cr_expect(strstr(out, "10, 200") != NULL, "no /dev/net/tun node: %s", out);
}

Test(spawn, dev_is_built_by_spawn)
{
	_cleanup_free_ char *out = NULL;

	setup(NULL, true);
	/* A node the image plants in its /dev is not what the container gets. */
	sh_ok("mkdir -p " ROOT "/dev && touch " ROOT "/dev/planted");
	out = spawn_ok("ls /dev; ls -l /dev/null | head -c 1; echo; "
		       "echo x > /dev/null && head -c 1 /dev/zero | wc -c");
	cr_expect(strstr(out, "planted") == NULL, "image's /dev leaked in: %s", out);
	cr_expect(strstr(out, "\nc\n1\n") != NULL, "/dev/null not a working device: %s", out);
}

Test(spawn, exit_status_passes_through)
{
	setup(NULL, true);
	cr_expect(spawn_run("exit 7") == 7);
	cr_expect(spawn_run("reboot -f") == 133, "reboot did not give 133");
	cr_expect(spawn_run("poweroff -f") == 0, "poweroff did not give 0");
	expect_host_clean(CT);
}

Test(spawn, sigterm_is_forwarded)
{
	setup("Bind=" HOSTDIR ":/mnt/rw\n", true);
	spawn_start("trap 'exit 42' TERM; touch /mnt/rw/ready; sleep 1000 & wait");
	wait_exists(HOSTDIR, "ready", SPAWN_MS);
	cr_assert(proc_signal(&sp, SIGTERM) == 0);
	cr_expect(spawn_wait() == 42, "SIGTERM not forwarded to PID 1");
	expect_host_clean(CT);
}

/* A container booting systemd is stopped as systemd wants: SIGRTMIN+3, not SIGTERM. */
Test(spawn, sigterm_reaches_systemd_as_sigrtmin_3)
{
	setup("Bind=" HOSTDIR ":/mnt/rw\n", true);
	sh_ok("mkdir -p " ROOT "/usr/lib/systemd && printf '#!/bin/sh\\nexit 0\\n' > " ROOT
	      "/usr/lib/systemd/systemd && chmod +x " ROOT "/usr/lib/systemd/systemd");
	/* SIGRTMIN+3 is 37 for the C library busybox is built with, as for systemd's. */
	sh_ok("printf '#!/bin/sh\\ntrap \"exit 43\" 37\\ntrap \"exit 15\" TERM\\n"
	      "touch /mnt/rw/ready\\nsleep 1000 & wait\\n' > " ROOT "/sbin/init && chmod +x " ROOT
	      "/sbin/init");
	spawn_start_opts(NULL, &(struct start_opts){.no_command = true});
	wait_exists(HOSTDIR, "ready", SPAWN_MS);
	cr_assert(proc_signal(&sp, SIGTERM) == 0);
	cr_expect_eq(spawn_wait(), 43, "PID 1 did not get SIGRTMIN+3");
	expect_host_clean(CT);
}

Test(spawn, default_init)
{
	_cleanup_free_ char *out = NULL;

	setup(NULL, true);
	sh_ok("printf '#!/bin/sh\\necho sbin-init\\nexit 3\\n' > " ROOT
	      "/sbin/init && chmod +x " ROOT "/sbin/init");
	spawn_start_opts(NULL, &(struct start_opts){.no_command = true});
	cr_expect(spawn_wait() == 3);
	out = file_read(OUT);
	cr_expect(streq_ptr(out, "sbin-init\n"), "ran: %s", strna(out));
	free(TAKE_PTR(out));
	sh_ok("mkdir -p " ROOT "/nix/var/nix/profiles/system && printf '#!/bin/sh\\necho nixos\\n'"
	      " > " ROOT "/nix/var/nix/profiles/system/init && chmod +x " ROOT
	      "/nix/var/nix/profiles/system/init");
	spawn_start_opts(NULL, &(struct start_opts){.no_command = true});
	cr_expect(spawn_wait() == 0);
	out = file_read(OUT);
	cr_expect(streq_ptr(out, "nixos\n"), "ran: %s", strna(out));
}

/* spawn refused: exit 1, stderr says why, nothing created on the host. */
static void expect_refused(const char *name, const char *words)
{
	_cleanup_free_ char *err = NULL;
	int r = spawn_run("echo started");

	err = file_read(ERR);
	cr_expect(r == 1, "spawn exited %d, want 1; stderr: %s", r, strna(err));
	cr_expect(err && strstr(err, words), "stderr lacks \"%s\": %s", words, strna(err));
	expect_sh("test ! -s " OUT);
	expect_host_clean(name);
}

Test(spawn, symlink_bind_destination_escape_refused)
{
	setup("Bind=" TEST_DIR "/src:/mnt/escape/sub\n", true);
	sh_ok("mkdir -p " TEST_DIR "/src " TEST_DIR "/outside && ln -s " TEST_DIR "/outside " ROOT
	      "/mnt/escape");
	expect_refused(CT, "symlink");
	expect_sh("test -z \"$(ls -A " TEST_DIR "/outside)\"");
	sh_ok("rm " ROOT "/mnt/escape && ln -s ../../../../../../.." TEST_DIR "/outside " ROOT
	      "/mnt/escape");
	expect_refused(CT, "symlink");
	expect_sh("test -z \"$(ls -A " TEST_DIR "/outside)\"");
}

Test(spawn, symlinked_dev_refused)
{
	setup(NULL, true);
	sh_ok("mkdir -p " TEST_DIR "/outside && ln -s " TEST_DIR "/outside " ROOT "/dev");
	expect_refused(CT, "symlink");
	expect_sh("test -z \"$(ls -A " TEST_DIR "/outside)\"");
}

Test(spawn, symlinked_proc_refused)
{
	setup(NULL, true);
	sh_ok("mkdir -p " TEST_DIR "/outside && ln -s " TEST_DIR "/outside " ROOT "/proc");
	expect_refused(CT, "symlink");
	expect_sh("test -z \"$(ls -A " TEST_DIR "/outside)\"");
}

Test(spawn, proc_masked_and_readonly)
{
	_cleanup_free_ char *out = NULL;

	setup(NULL, true);
	cr_assert(access("/proc/kallsyms", F_OK) == 0, "this kernel has no /proc/kallsyms");
	out = spawn_ok("for f in kcore kallsyms keys timer_list; do test -e /proc/$f || continue; "
		       "cat /proc/$f >/dev/null 2>&1 && echo readable $f; done; "
		       "echo 1 > /proc/sys/net/ipv4/ip_forward 2>/dev/null && echo writable sys; "
		       "test -e /proc/sysrq-trigger && echo h > /proc/sysrq-trigger 2>/dev/null && "
		       "echo writable sysrq; "
		       "echo 999 > /sys/class/net/lo/tx_queue_len 2>/dev/null && "
		       "echo writable /sys; echo done");
	cr_expect(streq_ptr(out, "done\n"), "container could: %s", strna(out));
}

Test(spawn, no_netd_times_out_and_cleans_up)
{
	_cleanup_free_ char *err = NULL;
	unsigned long long t0;
	int r;

	setup("TimeoutStartSec=2s\n", false);
	t0 = now_usec();
	r = spawn_run("echo started");
	err = file_read(ERR);
	cr_expect(r == 1, "spawn exited %d; stderr: %s", r, strna(err));
	cr_expect(now_usec() - t0 >= 2000000, "gave up before TimeoutStartSec");
	cr_expect(err && strstr(err, "netd did not configure the network") &&
		      strstr(err, "netd is not running: nothing holds its lock"),
		  "stderr: %s", strna(err));
	expect_sh("test ! -s " OUT);
	expect_host_clean(CT);
}

Test(spawn, undeclared_name_refused)
{
	setup(NULL, false);
	spawn_start_opts("echo started", &(struct start_opts){.name = "nosuch"});
	cr_expect(spawn_wait() == 1);
	cr_expect(sh("grep -q 'not declared' " ERR) == 0, "stderr: %s", strna(file_read(ERR)));
	expect_sh("test ! -e /run/netns/nosuch");
}

Test(spawn, missing_root_and_invalid_declaration_refused)
{
	_cleanup_free_ char *err = NULL;

	build_root();
	file_write(NETD_CONF, "[Container " CT "]\nPrivateNetwork=yes\nHostAddress=" H4 "\n"
			      "Directory=" TEST_DIR "/nosuchroot\n");
	cr_expect(spawn_run("echo started") == 1);
	err = file_read(ERR);
	cr_expect(err && strstr(err, TEST_DIR "/nosuchroot"), "stderr: %s", strna(err));
	expect_host_clean(CT);
	free(TAKE_PTR(err));
	file_write(NETD_CONF, "[Container " CT "]\nPrivateNetwork=yes\nDirectory=" ROOT "\n"
			      "Capability=CAP_NOT_A_CAP\n");
	cr_expect(spawn_run("echo started") == 1);
	err = file_read(ERR);
	cr_expect(err && strstr(err, "CAP_NOT_A_CAP"), "stderr: %s", strna(err));
	expect_host_clean(CT);
	free(TAKE_PTR(err));
	file_write(NETD_CONF, "[Container " CT "]\nPrivateNetwork=yes\nDirectory=" ROOT "\n"
			      "NoSuchKey=1\n");
	cr_expect(spawn_run("echo started") == 1);
	err = file_read(ERR);
	cr_expect(err && strstr(err, NETD_CONF ":4:"), "stderr: %s", strna(err));
	expect_sh("test ! -s " OUT);
	expect_host_clean(CT);
}

Test(spawn, no_links_without_addresses)
{
	_cleanup_free_ char *out = NULL;

	build_root();
	file_write(NETD_CONF, "[Container " CT "]\nPrivateNetwork=yes\nDirectory=" ROOT "\n");
	/* No netd, and no wait for it: only lo inside. */
	out = spawn_ok("ls /sys/class/net");
	cr_expect(streq_ptr(out, "lo\n"), "links inside: %s", strna(out));
	expect_host_clean(CT);
}

Test(spawn, interface_and_macvlan_moved_in)
{
	_cleanup_free_ char *out = NULL;

	setup("Interface=dum0\nMACVLAN=dum1\n", true);
	sh_ok("ip link add dum0 type veth peer name dum0p && "
	      "ip link add dum1 type veth peer name dum1p && ip link set dum1 up");
	out = spawn_ok("ls /sys/class/net");
	cr_expect(strstr(out, "dum0\n") && strstr(out, "mv-dum1\n"), "links inside: %s", out);
	expect_sh("ip link show dev dum1 >/dev/null");
}

Test(spawn, sigkill_takes_the_container_and_host_side_with_it)
{
	char buf[256], path[64];
	_cleanup_free_ char *children = NULL;
	int notify = -1, pidfds[4], n = 0;
	unsigned long long deadline = now_usec() + WAIT_MS * 1000ULL;

	setup(NULL, true);
	cr_assert(notify_open(SPAWN_NOTIFY, &notify) == 0);
	spawn_start_opts("sleep 1000 & sleep 1000", &(struct start_opts){.notify = SPAWN_NOTIFY});
	/* READY=1 comes at exec: the command has no notify support of its own. */
	for (;;) {
		int r = notify_wait(notify, &(int){proc_exit_fd(&sp)}, 1, deadline, buf,
				    sizeof(buf), NULL);

		cr_assert(r > 0, "no READY=1 from spawn");
		cr_assert(!(r & NOTIFY_EXITED(0)), "spawn exited: %s", strna(file_read(ERR)));
		if (text_has_line(buf, "READY=1"))
			break;
	}
	(void)snprintf(path, sizeof(path), "/proc/%d/task/%d/children", sp.pid, sp.pid);
	children = file_read(path);
	cr_assert(children && *children, "spawn has no children");
	for (char *s = children, *e; n < 4 && (pid_t)strtol(s, &e, 10) > 0; s = e) {
		pidfds[n] = (int)syscall(SYS_pidfd_open, (pid_t)strtol(s, NULL, 10), 0);
		cr_assert(pidfds[n] >= 0);
		n++;
	}
	cr_assert(n == 2, "want the container and the guard as children: %s", children);
	assert_sh("test -e /run/netns/" CT " && ip link show dev ve-" CT " >/dev/null");
	cr_assert(proc_stop(&sp, SIGKILL, WAIT_MS) == 128 + SIGKILL);
	for (int i = 0; i < n; i++) {
		struct pollfd p = {.fd = pidfds[i], .events = POLLIN};

		cr_expect(poll(&p, 1, WAIT_MS) == 1, "child %d of spawn still runs", i);
		close(pidfds[i]);
	}
	expect_host_clean(CT);
	close(notify);
}

Test(spawn, x86_personality_for_32bit_nixos_root)
{
	_cleanup_free_ char *out = NULL;

	setup(NULL, true);
	out = spawn_ok("uname -m");
	cr_expect(strcmp(out, "x86_64\n") == 0, "64-bit root: %s", out);
	free(out);
	sh_ok("mkdir -p " ROOT "/nix/var/nix/profiles/system && echo -n i686-linux > " ROOT
	      "/nix/var/nix/profiles/system/system");
	out = spawn_ok("uname -m");
	cr_expect(strcmp(out, "i686\n") == 0, "i686-linux NixOS root: %s", out);
}

/* A static sd_notify client for the busybox root: sends argv[1] to $NOTIFY_SOCKET. */
static const char notify_src[] =
	"#include <stdlib.h>\n#include <string.h>\n#include <sys/socket.h>\n#include <sys/un.h>\n"
	"int main(int argc, char **argv) {\n"
	"	struct sockaddr_un sa = { .sun_family = AF_UNIX };\n"
	"	const char *p = getenv(\"NOTIFY_SOCKET\");\n"
	"	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);\n"
	"	if (!p || argc < 2 || fd < 0) return 2;\n"
	"	strncpy(sa.sun_path, p, sizeof(sa.sun_path) - 1);\n"
	"	return sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&sa,\n"
	"		      sizeof(sa)) < 0;\n}\n";

Test(spawn, notify_forwarded_from_container)
{
	unsigned long long deadline = now_usec() + WAIT_MS * 1000ULL;
	char buf[512];
	int notify = -1;
	bool ready = false, status = false;

	setup(NULL, true);
	file_write(TEST_DIR "/notify.c", notify_src);
	sh_ok("cc -static -O1 -o " ROOT "/bin/notify " TEST_DIR "/notify.c");
	cr_assert(notify_open(SPAWN_NOTIFY, &notify) == 0);
	spawn_start_opts("test \"$NOTIFY_SOCKET\" = /run/host/notify && "
			 "notify 'STATUS=from inside\nREADY=1' && echo sent",
			 &(struct start_opts){.notify = SPAWN_NOTIFY});
	while (!(ready && status)) {
		int r = notify_wait(notify, NULL, 0, deadline, buf, sizeof(buf),
				    &(struct netd_status){0});

		cr_assert(r > 0, "want READY=1 and the container's STATUS=; ready %d status %d",
			  ready, status);
		ready = ready || text_has_line(buf, "READY=1");
		status = status || text_has_line(buf, "STATUS=from inside");
	}
	cr_expect(spawn_wait() == 0);
	cr_expect(sh("grep -qx sent " OUT) == 0, "the container could not send");
	close(notify);
}

/* ---- pure helpers: no sandbox ------------------------------------------------------------ */

Test(spawn_pure, exit_status_mapping)
{
	cr_expect(parent_exit_status(CLD_EXITED, 7) == 7);
	cr_expect(parent_exit_status(CLD_KILLED, SIGHUP) == 133, "reboot() -> restart");
	cr_expect(parent_exit_status(CLD_KILLED, SIGINT) == 0, "halt -> clean exit");
	cr_expect(parent_exit_status(CLD_KILLED, SIGKILL) == 128 + SIGKILL);
	cr_expect(parent_exit_status(CLD_DUMPED, SIGSEGV) == 128 + SIGSEGV);
}

Test(spawn_pure, capability_names_and_sets)
{
	uint64_t set = 0;
	const char *bad = NULL;
	char *list[] = {"CAP_SYS_TIME", "sys_module", NULL}, *wrong[] = {"CAP_NOPE", NULL};

	cr_expect(caps_from_name("CAP_NET_ADMIN") == CAP_NET_ADMIN);
	cr_expect(caps_from_name("cap_bpf") == CAP_BPF);
	cr_expect(caps_from_name("CAP_NOPE") == -EINVAL);
	cr_assert(caps_for(list, false, false, &set, &bad) == 0);
	cr_expect(set == (caps_default | (1ULL << CAP_SYS_TIME) | (1ULL << CAP_SYS_MODULE)));
	cr_expect(!(caps_default & (1ULL << CAP_NET_ADMIN)));
	cr_assert(caps_for(NULL, true, false, &set, &bad) == 0);
	cr_expect(set & (1ULL << CAP_NET_ADMIN), "private network keeps CAP_NET_ADMIN");
	cr_assert(caps_for(NULL, false, true, &set, &bad) == 0);
	cr_expect(set & (1ULL << CAP_NET_ADMIN), "EnableTun keeps CAP_NET_ADMIN");
	cr_expect(caps_for(wrong, false, false, &set, &bad) == -EINVAL);
	cr_expect_str_eq(bad, "CAP_NOPE");
}

Test(spawn_pure, elf_i386)
{
	Elf32_Ehdr h = {.e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32, ELFDATA2LSB},
			.e_machine = EM_386};

	cr_expect(exec_elf_is_i386(&h, sizeof(h)));
	cr_expect(!exec_elf_is_i386(&h, sizeof(h) - 1), "truncated header");
	h.e_machine = EM_ARM;
	cr_expect(!exec_elf_is_i386(&h, sizeof(h)));
	h.e_machine = EM_386;
	h.e_ident[EI_CLASS] = ELFCLASS64;
	cr_expect(!exec_elf_is_i386(&h, sizeof(h)));
}
