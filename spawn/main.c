/* SPDX-License-Identifier: MIT */
/*
 * spawn: start one declared container. Parse and validate everything first; then the network
 * namespace at /run/netns/NAME, the links, the clone of the container's PID 1; wait for netd;
 * exec; supervise; undo the host side on every way out (a guard process covers SIGKILL).
 */
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "caps.h"
#include "child.h"
#include "die.h"
#include "exec.h"
#include "links.h"
#include "ns.h"
#include "parent.h"

#define DEFAULT_CONF	  "/etc/netd/netd.conf"
#define DEFAULT_STATE_DIR "/run/netd"

static struct spawn_cfg cfg = {.root_fd = -1};
static unsigned undo_bits;
static int guard_fd = -1;

static void undo(unsigned bits)
{
	if (bits & NS_GUARD_LINKS)
		(void)links_remove(cfg.ct, cfg.main_veth);
	if (bits & NS_GUARD_NETNS)
		(void)ns_net_remove(cfg.netns_path);
}

static void cleanup(void)
{
	undo(undo_bits);
	undo_bits = 0;
	ns_guard_note(guard_fd, 0);
	guard_fd = safe_close(guard_fd);
}

static void note(unsigned bits)
{
	undo_bits |= bits;
	ns_guard_note(guard_fd, bits);
}

static _Noreturn void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: spawn [--config FILE] [--state-dir DIR] NAME [-- COMMAND [ARGS...]]\n"
		"Start container NAME as declared in FILE (default " DEFAULT_CONF "), wait until\n"
		"netd has configured its network (DIR, default " DEFAULT_STATE_DIR
		"), run COMMAND\n"
		"or the container's init as its PID 1.\n");
	exit(status);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"state-dir", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	int c;

	cfg.conf_path = DEFAULT_CONF;
	cfg.state_dir = DEFAULT_STATE_DIR;
	while ((c = getopt_long(argc, argv, "+c:s:h", opts, NULL)) != -1) {
		if (c == 'c')
			cfg.conf_path = optarg;
		else if (c == 's')
			cfg.state_dir = optarg;
		else
			usage(c == 'h' ? 0 : 2);
	}
	if (optind >= argc)
		usage(2);
	cfg.name = argv[optind++];
	if (optind < argc) {
		if (strcmp(argv[optind], "--") != 0 || optind + 1 >= argc)
			usage(2);
		cfg.argv = argv + optind + 1;
	}
}

static void load_conf(void)
{
	int r = conf_load(cfg.conf_path, &cfg.conf);

	if (r == -EINVAL) {
		for (size_t i = 0; i < cfg.conf->n_errors; i++)
			fprintf(stderr, "%s\n", cfg.conf->errors[i]);
		die("%s: invalid configuration, nothing started", cfg.conf_path);
	}
	if (r < 0)
		die_errno(r, "%s", cfg.conf_path);
	cfg.ct = conf_find_container(cfg.conf, cfg.name);
	if (!cfg.ct)
		die("container \"%s\" is not declared in %s", cfg.name, cfg.conf_path);
}

static bool veth_declared(const struct conf_container *ct)
{
	const struct conf_veth *v = &ct->veth;

	return v->host_bridge || v->host_addr4.family || v->host_addr6.family ||
	       v->local_addr4.family || v->local_addr6.family;
}

static void check_link_free(const char *name)
{
	if (if_nametoindex(name) > 0)
		die("link %s already exists (is container %s running?)", name, cfg.name);
}

static void check_host_link(const char *key, const char *name)
{
	if (if_nametoindex(name) == 0)
		die("%s=%s: no such interface", key, name);
}

static void validate_network(void)
{
	const struct conf_container *ct = cfg.ct;
	struct stat st;

	if (!ct->private_network) {
		if (ct->n_extras || (ct->interfaces && *ct->interfaces) ||
		    (ct->macvlans && *ct->macvlans))
			die("container %s: Interface=, MACVLAN= and extra veths need "
			    "PrivateNetwork=yes",
			    cfg.name);
		return;
	}
	(void)snprintf(cfg.netns_path, sizeof(cfg.netns_path), "/run/netns/%s", cfg.name);
	if (lstat(cfg.netns_path, &st) == 0)
		die("%s already exists (is container %s running?)", cfg.netns_path, cfg.name);
	cfg.main_veth = veth_declared(ct);
	cfg.wait_netd = cfg.main_veth;
	if (cfg.main_veth)
		check_link_free(ct->veth.ifname);
	for (size_t i = 0; i < ct->n_extras; i++)
		check_link_free(ct->extras[i]->veth.ifname);
	for (char **m = ct->macvlans; m && *m; m++) {
		char full[IFNAME_ALT_MAX + 1], name[IFNAMSIZ];

		check_host_link("MACVLAN", *m);
		if (links_macvlan_name(*m, full, name) < 0)
			die("MACVLAN=%s: invalid name", *m);
	}
	for (char **i = ct->interfaces; i && *i; i++)
		check_host_link("Interface", *i);
}

static void validate_root(void)
{
	char err[512];
	const char *bad = NULL;
	int r;

	r = conf_container_directory(cfg.ct, &cfg.directory);
	if (r < 0)
		die_errno(r, "root directory");
	cfg.root_fd = open(cfg.directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_fd < 0)
		die_errno(-errno, "container %s: root directory %s", cfg.name, cfg.directory);
	r = mount_plan_new(cfg.ct, "/etc/resolv.conf", &cfg.plan, err, sizeof(err));
	if (r == -ENOMEM)
		die_errno(r, "mount plan");
	if (r == 0)
		r = mount_plan_stat_devices(cfg.plan, err, sizeof(err));
	if (r == 0)
		r = mount_plan_check(cfg.plan, cfg.root_fd, err, sizeof(err));
	if (r < 0)
		die("container %s: %s", cfg.name, err);
	r = caps_for(cfg.ct->capabilities, cfg.ct->private_network, cfg.ct->enable_tun, &cfg.caps,
		     &bad);
	if (r < 0)
		die("container %s: unknown capability %s", cfg.name, bad);
}

static void validate(void)
{
	const char *s;

	load_conf();
	validate_root();
	validate_network();
	if (!cfg.argv) {
		cfg.exec_argv[0] = strdup(exec_default_init(cfg.root_fd));
		if (!cfg.exec_argv[0])
			die_errno(-ENOMEM, "init");
		cfg.argv = cfg.exec_argv;
	}
	cfg.x86 = exec_wants_x86(cfg.root_fd, cfg.argv[0]);
	cfg.notify = getenv("NOTIFY_SOCKET") != NULL;
	cfg.ready_at_exec = cfg.argv != cfg.exec_argv || !exec_root_has_systemd(cfg.root_fd);
	cfg.systemd_init = !cfg.ready_at_exec;
	s = getenv("TERM");
	if (s && !(cfg.term = strdup(s)))
		die_errno(-ENOMEM, "TERM");
}

static int signals_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	(void)signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void create_network(struct parent *p, int *ret_netns)
{
	char err[512];
	int r;

	*ret_netns = -1;
	clock_gettime(CLOCK_REALTIME_COARSE, &p->links_since);
	if (!cfg.ct->private_network)
		return;
	r = ns_net_create(cfg.netns_path, ret_netns);
	if (r < 0)
		die_errno(r, "create network namespace %s", cfg.netns_path);
	note(NS_GUARD_NETNS);
	note(NS_GUARD_LINKS);
	r = links_create(cfg.ct, cfg.main_veth, *ret_netns, err, sizeof(err));
	if (r < 0)
		die("container %s: %s", cfg.name, err);
}

static void start(struct parent *p)
{
	struct child_fds fds = {.notify = -1};
	int report[2], go[2], netns, r;
	pid_t pid;

	p->cfg = &cfg;
	p->notify = -1;
	p->sigfd = signals_block();
	if (p->sigfd < 0)
		die_errno(p->sigfd, "signalfd");
	r = ns_guard_start(undo, &guard_fd);
	if (r < 0)
		die_errno(r, "fork guard");
	die_set_cleanup(cleanup);
	create_network(p, &netns);
	if (cfg.notify) {
		p->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (p->notify < 0)
			die_errno(-errno, "notify socket");
	}
	if (pipe2(report, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		die_errno(-errno, "pipe");
	pid = ns_clone(&p->pidfd);
	if (pid < 0)
		die_errno(pid, "clone");
	if (pid == 0) {
		close(report[0]);
		close(go[1]);
		fds = (struct child_fds){.netns = netns,
					 .report = report[1],
					 .go = go[0],
					 .notify = p->notify,
					 .guard = guard_fd};
		child_run(&cfg, &fds);
	}
	p->pid = pid;
	close(report[1]);
	close(go[0]);
	safe_close(netns);
	p->report = report[0];
	p->go = go[1];
}

int main(int argc, char **argv)
{
	struct parent p = {.pidfd = -1, .state_watch = -1};
	int status;

	parse_args(argc, argv);
	validate();
	start(&p);
	if (parent_start(&p) < 0)
		die("container %s not started", cfg.name);
	status = parent_supervise(&p);
	cleanup();
	safe_close(p.state_watch);
	safe_close(p.report);
	safe_close(p.notify);
	safe_close(p.sigfd);
	safe_close(p.pidfd);
	safe_close(cfg.root_fd);
	mount_plan_free(cfg.plan);
	conf_free(cfg.conf);
	free(cfg.exec_argv[0]);
	free(cfg.term);
	free(cfg.directory);
	return status;
}
