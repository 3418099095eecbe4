/* SPDX-License-Identifier: MIT */
/* The container's PID 1 from clone to exec (see child.h). Reports, never prints. */
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "caps.h"
#include "child.h"
#include "exec.h"
#include "nl.h"
#include "nlmsg.h"

static const char *const step_names[_CHILD_STEP_MAX] = {
	[CHILD_READY] = "ready",
	[CHILD_PARENT_GONE] = "parent gone",
	[CHILD_NETNS] = "join the network namespace",
	[CHILD_LOOPBACK] = "bring lo up",
	[CHILD_PROPAGATION] = "make mount propagation slave",
	[CHILD_MOUNT] = "mount",
	[CHILD_HOSTNAME] = "set the hostname",
	[CHILD_PIVOT] = "pivot_root",
	[CHILD_NOTIFY] = "bind the notify socket",
	[CHILD_SESSION] = "setsid",
	[CHILD_PERSONALITY] = "set the x86 personality",
	[CHILD_CAPS] = "drop capabilities",
	[CHILD_EXEC] = "exec",
};

const char *child_step_to_string(enum child_step s)
{
	return s < _CHILD_STEP_MAX ? step_names[s] : "?";
}

static void report(int fd, enum child_step step, int error, const char *what)
{
	struct child_msg m = {.step = (int32_t)step, .error = error};

	if (what)
		(void)snprintf(m.what, sizeof(m.what), "%s", what);
	(void)!write(fd, &m, sizeof(m));
}

static _Noreturn void fail(const struct child_fds *fds, enum child_step step, int error,
			   const char *what)
{
	report(fds->report, step, error, what);
	_exit(1);
}

static int loopback_up(void)
{
	char buf[NLMSG_BUF_SIZE];
	struct nl_sock *nl = NULL;
	int r = nl_open(NULL, 0, 0, false, &nl);

	if (r < 0)
		return r;
	/* lo is ifindex 1 in every network namespace. */
	r = nl_talk(nl, nlmsg_put_link_set(buf, 1, NULL, IFF_UP, IFF_UP, -1), NULL);
	nl_close(nl);
	return r;
}

static int bind_notify(int fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", SPAWN_NOTIFY_PATH);
	if (mkdir("/run/host", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static void reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < _NSIG; s++)
		(void)signal(s, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static void set_env(const struct spawn_cfg *cfg)
{
	(void)clearenv();
	(void)setenv("PATH", EXEC_PATH, 1);
	(void)setenv("container", "spawn", 1);
	if (cfg->term)
		(void)setenv("TERM", cfg->term, 1);
	if (cfg->notify)
		(void)setenv("NOTIFY_SOCKET", SPAWN_NOTIFY_PATH, 1);
}

static void setup_mounts(const struct spawn_cfg *cfg, const struct child_fds *fds)
{
	_cleanup_close_ int root = -1;
	size_t failed = 0;
	char what[224];
	int r;

	_cleanup_close_ int dir = -1;

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		fail(fds, CHILD_PROPAGATION, -errno, NULL);
	/* Opened again: an fd from before the clone names a mount of the parent's namespace,
	 * which neither open_tree() nor move_mount() accept. */
	dir = open(cfg->directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		fail(fds, CHILD_MOUNT, -errno, cfg->directory);
	umask(0);
	r = mount_plan_execute(cfg->plan, dir, &root, &failed);
	if (r < 0) {
		const struct mount_op *op = &cfg->plan->ops[failed];

		(void)snprintf(what, sizeof(what), "%s %s%s%s", mount_kind_to_string(op->kind),
			       op->dest, op->source ? " from " : "", op->source ? op->source : "");
		fail(fds, CHILD_MOUNT, r, what);
	}
	umask(022);
	if (sethostname(cfg->name, strlen(cfg->name)) < 0)
		fail(fds, CHILD_HOSTNAME, -errno, cfg->name);
	r = mount_pivot(root);
	if (r < 0)
		fail(fds, CHILD_PIVOT, r, NULL);
}

void child_run(const struct spawn_cfg *cfg, const struct child_fds *fds)
{
	struct pollfd pfd = {.fd = fds->go, .events = POLLIN};
	char go;
	int r;

	/* Dies with spawn; if spawn is already gone, the go pipe has hung up. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || poll(&pfd, 1, 0) != 0)
		_exit(1);
	safe_close(fds->guard);
	if (fds->netns >= 0) {
		if (setns(fds->netns, CLONE_NEWNET) < 0)
			fail(fds, CHILD_NETNS, -errno, NULL);
		r = loopback_up();
		if (r < 0)
			fail(fds, CHILD_LOOPBACK, r, NULL);
	}
	setup_mounts(cfg, fds);
	if (fds->notify >= 0) {
		r = bind_notify(fds->notify);
		if (r < 0)
			fail(fds, CHILD_NOTIFY, r, SPAWN_NOTIFY_PATH);
	}
	/* A new session: no controlling terminal of the caller to push input into (TIOCSTI). */
	if (setsid() < 0)
		fail(fds, CHILD_SESSION, -errno, NULL);
	if (cfg->x86 && personality(PER_LINUX32) < 0)
		fail(fds, CHILD_PERSONALITY, -errno, NULL);
	r = caps_apply(cfg->caps);
	if (r < 0)
		fail(fds, CHILD_CAPS, r, NULL);
	set_env(cfg);
	/* Everything but stdio closes at exec; the report pipe tells the parent it happened. */
	(void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	report(fds->report, CHILD_READY, 0, NULL);
	if (read(fds->go, &go, 1) != 1)
		_exit(1);
	reset_signals();
	execvp(cfg->argv[0], cfg->argv);
	fail(fds, CHILD_EXEC, -errno, cfg->argv[0]);
}
