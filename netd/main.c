/* SPDX-License-Identifier: MIT */
/* netd: command line, event loop, signals, start-up and shutdown. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "log.h"
#include "manager.h"
#include "notify.h"
#include "state.h"

struct args {
	const char *config;    /* borrowed: argv or a literal */
	const char *state_dir; /* borrowed: argv or a literal */
	bool check;
	int rcvbuf;
};

static void help(void)
{
	printf("Usage: netd [OPTION]...\n"
	       "Configure container links from a declared config as they appear.\n\n"
	       "  -c, --config FILE      config file (default /etc/netd/netd.conf)\n"
	       "  -s, --state-dir DIR    state files (default /run/netd)\n"
	       "      --check            validate the config and exit: 0 valid, 1 not\n"
	       "      --rcvbuf BYTES     netlink event socket receive buffer (default 16 MiB)\n"
	       "      --log-level LEVEL  err, warning, notice, info (default) or debug\n"
	       "                         (default from $NETD_LOG_LEVEL)\n"
	       "  -h, --help             show this help\n"
	       "  -V, --version          show the version\n\n"
	       "Signals: SIGHUP reloads the config (applying only the difference),\n"
	       "SIGTERM/SIGINT exit and leave the kernel state in place.\n");
}

/* Returns 0 to run, 1 to exit successfully (help, version), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, struct args *a)
{
	enum { ARG_CHECK = 0x100, ARG_RCVBUF, ARG_LOG_LEVEL };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, ARG_CHECK },
		{ "rcvbuf", required_argument, NULL, ARG_RCVBUF },
		{ "log-level", required_argument, NULL, ARG_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	char *end;
	int c, level;

	while ((c = getopt_long(argc, argv, "c:s:hV", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 's':
			a->state_dir = optarg;
			break;
		case ARG_CHECK:
			a->check = true;
			break;
		case ARG_RCVBUF:
			a->rcvbuf = (int)strtol(optarg, &end, 10);
			if (*end || a->rcvbuf <= 0) {
				log_error("invalid --rcvbuf value \"%s\"", optarg);
				return -EINVAL;
			}
			break;
		case ARG_LOG_LEVEL:
			level = log_parse_level(optarg);
			if (level < 0) {
				log_error("invalid --log-level \"%s\"", optarg);
				return -EINVAL;
			}
			log_set_max_level(level);
			break;
		case 'h':
			help();
			return 1;
		case 'V':
			printf("netd %s\n", NETD_VERSION);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0 with *ret set, or -errno after printing every problem. */
static int load(const char *path, struct conf **ret)
{
	struct conf *c = NULL;
	int r = conf_load(path, &c);

	if (r == -EINVAL) {
		for (size_t i = 0; i < c->n_errors; i++)
			fprintf(stderr, "%s\n", c->errors[i]);
		conf_free(c);
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "%s", path);
	*ret = c;
	return 0;
}

/*
 * Two netlink sockets per running container (three without CAP_NET_BROADCAST): the soft limit
 * of 1024 descriptors would cap netd at a few hundred containers. The hard limit is what the
 * admin (or systemd) allows.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warning_errno(-errno, "Failed to raise the file descriptor limit, ignoring");
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)notify_send("STOPPING=1", true);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	manager_request_reload(userdata);
	return 0;
}

static int setup_signals(sd_event *e, struct manager *m)
{
	sigset_t mask;
	int r;

	/* sd-event reads signals from a signalfd, which sees only blocked signals. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	r = sd_event_add_signal(e, NULL, SIGTERM, on_term, NULL);
	if (r >= 0)
		r = sd_event_add_signal(e, NULL, SIGINT, on_term, NULL);
	if (r >= 0)
		r = sd_event_add_signal(e, NULL, SIGHUP, on_hup, m);
	return r;
}

static int run(const struct args *a, struct conf *conf)
{
	struct manager *m = NULL;
	sd_event *e = NULL;
	_cleanup_close_ int lock = -1;
	int r;

	/* Two netds on one state directory would fight over the same links. */
	lock = state_dir_lock(a->state_dir);
	if (lock < 0) {
		conf_free(conf);
		if (lock == -EBUSY)
			return log_error_errno(lock, "Another netd is running on %s", a->state_dir);
		return log_error_errno(lock, "Failed to lock %s", a->state_dir);
	}
	raise_fd_limit();
	r = sd_event_default(&e);
	if (r < 0) {
		conf_free(conf);
		return log_error_errno(r, "Failed to create the event loop");
	}
	notify_attach(e);
	r = manager_new(e, conf, a->state_dir, a->rcvbuf, &m);
	if (r < 0) {
		conf_free(conf);
		log_error_errno(r, "Failed to set up");
		goto out;
	}
	r = setup_signals(e, m);
	if (r < 0) {
		log_error_errno(r, "Failed to set up signal handling");
		goto out;
	}
	r = manager_start(m);
	if (r < 0) {
		log_error_errno(r, "Failed to read the kernel's network state");
		goto out;
	}
	r = sd_event_loop(e);
	if (r < 0)
		log_error_errno(r, "Event loop failed");
out:
	manager_free(m);
	notify_detach();
	sd_event_unref(e);
	return r;
}

int main(int argc, char **argv)
{
	/*
	 * A container start creates links in bursts; a large event buffer (forced past
	 * net.core.rmem_max, as networkd does) keeps the re-dumps after an overflow rare.
	 */
	struct args a = {
		.config = "/etc/netd/netd.conf",
		.state_dir = "/run/netd",
		.rcvbuf = 16 << 20,
	};
	struct conf *conf = NULL;
	const char *env_level;
	int r;

	log_set_ident("netd");
	/* The environment sets the default; --log-level overrides it. */
	if ((env_level = getenv("NETD_LOG_LEVEL"))) {
		int level = log_parse_level(env_level);

		if (level < 0) {
			log_error("invalid NETD_LOG_LEVEL \"%s\"", env_level);
			return EXIT_FAILURE;
		}
		log_set_max_level(level);
	}
	r = parse_args(argc, argv, &a);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	r = load(a.config, &conf);
	if (r < 0)
		return EXIT_FAILURE;
	if (a.check) {
		conf_free(conf);
		return EXIT_SUCCESS;
	}
	return run(&a, conf) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
