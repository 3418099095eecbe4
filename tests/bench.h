/* SPDX-License-Identifier: MIT */
/*
 * `make bench` (build/bench/bench): what the experiment modules (bench-burst.c,
 * bench-latency.c, bench-idle.c, bench-reload.c, bench-fwd.c) share with the driver
 * (bench-main.c) and the library (bench-lib.c): the containers' names and addresses, the
 * sandboxes, the commands, netd, systemd-networkd, state-file watches, rtnetlink calls, and
 * statistics and table cells.
 *
 * Every run happens in a child that enters fresh network + mount namespaces with a private
 * /run (tests/sandbox.c, shared with the test harness). Failures die(): the benchmark exits
 * non-zero only when something did not work, never for being slow. Nothing sleeps: every wait
 * is a bounded poll() on a pidfd, a notify socket, inotify, a pipe or a timerfd.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"
#include "util.h"

#define BENCH_DIR	"/run/bench"
#define CONF_PATH	BENCH_DIR "/netd.conf"
#define CONF_TMP_PATH	BENCH_DIR "/netd.conf.tmp"
#define BATCH_PATH	BENCH_DIR "/links.batch"
#define OPS_PATH	BENCH_DIR "/ops.batch"
#define NFT_PATH	BENCH_DIR "/ruleset.nft"
#define NOTIFY_PATH	BENCH_DIR "/notify"
#define LOG_PATH	BENCH_DIR "/netd.log"
#define OUT_PATH	BENCH_DIR "/cmd.out"
#define MONITOR_LOG	BENCH_DIR "/monitor.log"
#define STATE_DIR	"/run/netd"
#define NETWORKD_LOG	BENCH_DIR "/networkd.log"
#define NETWORKD_NOTIFY BENCH_DIR "/networkd.notify"
#define ETC_NETWORK	"/etc/systemd/network"
#define NETIF_LINKS	"/run/systemd/netif/links"

enum {
	MAX_RUNS = 15,
	MAX_N = 30000,	     /* 10.(100 + I/250).(I%250).x has room for 38,750 */
	MAX_LAT_REPS = 2000, /* latency samples per run */
	RELOAD_ROUNDS = 11,  /* changed-HostAddress reloads per run (odd: a true median) */
	NETD_MS = 30000,     /* READY=1, a reload, exit after SIGTERM */
	QUIET_MS = 2000,     /* ip monitor silence before the idle windows: "the kernel is done" */
	LAT_QUIET_MS = 500,  /* and before the latency repetitions */
	IDLE_RETRIES = 3,    /* idle windows measured again because the kernel spoke in them */
	LAT_K = 20,	     /* latency: containers cN..cN+LAT_K-1 are created in turn, then deleted
			      * at once (deleting a link costs an RCU grace period, ~30 ms) */
	LAT_GROUP = 9,	     /* their link group */
	SETTLE_MIN = 1000,   /* links + namespaces a run leaves before its teardown is waited for */
};

/* How a container's two ends are configured. */
enum variant {
	V_HOST, /* host side only: no /run/netns/NAME, the peer stays unconfigured */
	V_BOTH, /* its own namespace /run/netns/cI, both ends configured */
	_V_MAX,
};

/* Who configures the links. */
enum method {
	M_FLOOR,    /* one ip -batch for every operation (or netlink in-process, latency) */
	M_SEED,	    /* one ip process per operation, as the NixOS scripts do */
	M_NETWORKD, /* systemd-networkd, one .network file per link (host side only) */
	M_NETD,
	_M_MAX,
};

extern const char *const variant_name[_V_MAX];
extern const char *const variant_key[_V_MAX]; /* BENCH_SIDES= */
extern const char *const method_name[_M_MAX];

/* ---- options (bench-main.c fills them from the environment) ------------------------------- */

struct options {
	const char *netd;     /* $NETD, absolute */
	char ip[PATH_MAX];    /* ip from PATH */
	char nft[PATH_MAX];   /* nft from PATH */
	const char *networkd; /* systemd-networkd binary, NULL when not installed */
	int runs;	      /* BENCH_RUNS */
	int lat_reps;	      /* BENCH_LAT_REPS: latency samples per run (netd, networkd, floor) */
	int seed_lat_reps;    /* the seed's (a dozen forks each) */
	int seed_max;	      /* BENCH_SEED_MAX: containers the seed configures, the rest scaled */
	int seed_fwd_max;     /* BENCH_SEED_FWD_MAX: forwards the seed installs, scaled */
	int idle_ms;	      /* BENCH_IDLE_S: an idle window */
	int networkd_max;     /* BENCH_NETWORKD_MAX: largest N networkd runs at */
	int fwd_containers;   /* containers the forwards are spread over */
	int full_max;	      /* BENCH_FULL_MAX: largest N every method runs every experiment at */
	bool idle_networkd;   /* BENCH_IDLE_NETWORKD=1: networkd's idle windows too */
};
extern struct options opt;

/* ---- failing ------------------------------------------------------------------------------- */

_printf_(1, 2) __attribute__((noreturn)) void die(const char *fmt, ...);
/* The end of netd's log (and networkd's, when there is one) on stderr, then die. */
_printf_(1, 2) __attribute__((noreturn)) void die_netd(const char *fmt, ...);
/* A note on stderr about something that did not go as planned but leaves the numbers valid. */
_printf_(1, 2) void note(const char *fmt, ...);

double since_s(unsigned long long t0);

/* ---- containers: names and addresses -------------------------------------------------------- */

/*
 * Container cI: host side ve-cI with 10.(100 + I/250).(I%250).1 and fd42:I::1 (I in hex), the
 * container side .2 and fd42:I::2; alt switches the host's IPv4 address to .3 (reload).
 * Host-side-only peers are pI in the sandbox's namespace; with namespaces the peer is host0
 * in cI (eth0 once configured).
 */
void ct_host4(int i, bool alt, char *buf, size_t len);
void ct_local4(int i, char *buf, size_t len);
void ct_host6(int i, char *buf, size_t len);
void ct_local6(int i, char *buf, size_t len);

/* netd's config: containers 0..n-1 (changed: -1, or the one whose HostAddress is .3), each
 * with fwd_each forwards (tcp:PORT:80, PORT from 10000 on); temporary file + rename. */
void write_netd_conf(int n, int changed, int fwd_each);
/* The links batch: n veth pairs (V_BOTH: and their namespaces), containers from..from+n-1. */
void write_links_batch(int from, int n, enum variant v);
/* The floor's ops batch: the host-side operations of containers 0..n-1. */
void write_ops_batch(int n);

/* ---- commands -------------------------------------------------------------------------------- */

struct proc spawn_or_die(char *const argv[], int out_fd, int err_fd, const char *notify);
/* Run argv to its end (bound: timeout_ms), die unless it exits 0. Returns its run time, s. */
double run_cmd(char *const argv[], int timeout_ms);
/* The same, stdout into buf (NUL-terminated, cut at len - 1). */
void run_capture(char *const argv[], char *buf, size_t len, int timeout_ms);
/* `sh -c CMD` printing one number; dies unless it does. */
_printf_(1, 2) long sh_num(const char *fmt, ...);
/* `ip -batch path`, waited for: its run time in seconds. */
double run_batch(const char *path, int timeout_ms);
/* A batch of n lines' bound: 60 s, or 30 ms a line. */
int batch_ms(int n);
/*
 * Every route of the sandbox's namespace, v4 and v6, flushed (0.2 s for 10,000 configured
 * host-side pairs), at the end of a run when nothing is timed and no daemon runs any more:
 * the kernel's teardown of the namespace walks all routes again for every link it removes,
 * 30 s for those 10,000 pairs, 2.6 s once flushed.
 */
void routes_flush(void);

/*
 * One step of the seed: posix_spawn (vfork + exec, a little cheaper than a shell's fork, so the
 * seed is if anything flattered) of argv, waited for, dies on a non-zero exit.
 */
void seed_step(const char *path, char *const argv[]);
/* The seed's steps for container i: 5 host-side ip processes, 8 more inside with V_BOTH. */
void seed_container(int i, enum variant v);

/* ---- sandbox runs --------------------------------------------------------------------------- */

/* Sandbox extras. */
#define BOX_NETWORKD 1 /* read-only /sys, tmpfs over /etc/systemd/network, /run/systemd */

/* A run in its sandbox, as the parent sees it. */
struct sandbox {
	char what[128];
	struct proc proc;
	int res_fd; /* owned: the result, child -> parent */
	int ctl_fd; /* owned: the child says "detached" (D) and "waiting" (W) */
	int go_fd;  /* owned: the parent lets a waiting child go on (G) */
	void *res;  /* borrowed: the caller's result buffer */
	size_t res_size;
	size_t got;
	long objects; /* links and namespaces it leaves the kernel to tear down */
	int timeout_ms;
	unsigned long long t_start;
	bool detached, waiting;
};

/*
 * Start fn(arg, res) in a child that enters its own namespaces (with the extras in box); res
 * (res_size bytes, zeroed first) comes back over a pipe. Returns when the child is done (then
 * as sandbox_finish() below) or when it called sandbox_detach(): the rest of its run until
 * sandbox_rejoin() may go on while other runs do theirs (sb->detached). Dies when the child
 * fails or exceeds timeout_ms.
 */
void sandbox_start(struct sandbox *sb, const char *what, unsigned box, long objects,
		   void (*fn)(const void *arg, void *res), const void *arg, void *res,
		   size_t res_size, int timeout_ms);
/* Whether a detached child waits in sandbox_rejoin() (does not block). */
bool sandbox_waiting(struct sandbox *sb);
/*
 * Let a detached child go on, alone now, and wait for its result and its end. Then, when the
 * run left at least SETTLE_MIN objects (links and namespaces) for the kernel to tear down,
 * wait (bounded) until the kernel's time on the CPUs says it is done.
 */
void sandbox_finish(struct sandbox *sb);
/* sandbox_start() and sandbox_finish(): the run from start to end, alone. */
void run_sandboxed(const char *what, unsigned box, long objects,
		   void (*fn)(const void *arg, void *res), const void *arg, void *res,
		   size_t res_size, int timeout_ms);
/*
 * In the child: what follows until sandbox_rejoin() may run alongside other sandboxes' runs
 * (it must time nothing those could disturb, and disturb nothing: the idle windows).
 * sandbox_rejoin() waits until the parent lets the run go on alone.
 */
void sandbox_detach(void);
void sandbox_rejoin(void);

/* ---- netd ---------------------------------------------------------------------------------- */

struct netd {
	struct proc proc;	 /* netd */
	int notify_fd;		 /* owned: bound to NOTIFY_PATH */
	struct netd_status last; /* the last STATUS= seen */
};
extern struct netd nd;

/* netd on CONF_PATH and STATE_DIR; waits for READY=1 (bound: ms). Returns the status. */
struct netd_status netd_start(int ms);
/* Wait for a notify line (READY=1, RELOADING=1); returns the last STATUS. */
struct netd_status netd_wait_line(const char *line, int timeout_ms);
/* SIGHUP, wait RELOADING=1 and READY=1: returns seconds from the signal to READY=1. */
double netd_reload(struct netd_status *ret);
void netd_stop(void);

/* ---- systemd-networkd ------------------------------------------------------------------------ */

/* One .network file per container 0..n-1 (host side: 2 addresses, 2 routes). */
void networkd_write_files(int n);
/* Start networkd in the sandbox (BOX_NETWORKD), wait for its READY=1. */
void networkd_start(void);
void networkd_stop(void);
pid_t networkd_pid(void);
int networkd_exit_fd(void);

/* ---- state watches: netd's STATE_DIR/cI.state, networkd's NETIF_LINKS/IFINDEX ---------------- */

struct watch {
	int fd;		  /* inotify */
	const char *dir;  /* STATE_DIR or NETIF_LINKS */
	bool networkd;	  /* networkd's files (else netd's) */
	int n;		  /* containers tracked: 0..n-1 */
	bool *configured; /* per container */
	bool *present;	  /* per container: its state file exists */
	int *ifindex;	  /* networkd: the file each container's state came from, 0: none */
	int n_configured;
	long events;	/* inotify events read */
	long overflows; /* IN_Q_OVERFLOW: the directory was read again */
};

/* Watch dir (created when missing) for containers 0..n-1. */
void watch_open(struct watch *w, const char *dir, bool networkd, int n);
void watch_close(struct watch *w);
/*
 * Wait until target containers are configured, or the deadline (dies then, saying which are
 * not). netd or networkd exiting is fatal; batch: an ip -batch that may end meanwhile (reaped,
 * its end time in *batch_end). Returns the time the last one was seen configured.
 */
unsigned long long watch_wait_all(struct watch *w, int target, unsigned long long deadline,
				  struct proc *batch, unsigned long long *batch_end);
/* Wait until container i is configured. Returns the time it was seen. */
unsigned long long watch_wait_one(struct watch *w, int i, unsigned long long deadline);
/* Wait until the state files of containers from..from+n-1 are gone. */
void watch_wait_gone(struct watch *w, int from, int n, unsigned long long deadline);

/* ---- rtnetlink in-process (proto/nl.c) ------------------------------------------------------ */

struct nl_sock;
/* A NETLINK_ROUTE socket in the sandbox's namespace, and one inside namespace cI (V_BOTH). */
struct nl_sock *rt_open(void);
struct nl_sock *rt_open_in(const char *netns, int *ret_netns_fd);
/* Create ve-cI with its peer (pI here, or host0 in the namespace open at netns_fd >= 0), the
 * host end in link group `group` (0: the default). */
void rt_veth_add(struct nl_sock *nl, int i, int netns_fd, unsigned group);
/* Delete every link of a group in one request (one RCU grace period for all). */
void rt_group_del(struct nl_sock *nl, unsigned group);
/* The floor's operations for container i over netlink, each waited for (in: cI's socket). */
void rt_floor_ops(struct nl_sock *nl, struct nl_sock *in, int netns_fd, int i);

/* ---- the kernel going quiet, and a process's costs ---------------------------------------- */

struct monitor {
	struct proc proc; /* ip monitor all-nsid link address route */
	int fd;		  /* its stdout */
	long bytes;	  /* read so far */
};
void monitor_start(struct monitor *m);
void monitor_stop(struct monitor *m);
/* Read what is queued; returns the bytes read. */
long monitor_drain(struct monitor *m);
/* Have the kernel handle now what its linkwatch queue holds for the links of the sandbox's
 * namespace (bench-lib.c says why), instead of at its rate limit. */
void linkwatch_sync(void);
/* linkwatch_sync(), then wait until m sees nothing for quiet_ms, at most bound_ms. Returns the time
 * waited (s); *quiet: whether the silence came. */
double monitor_wait_quiet(struct monitor *m, int quiet_ms, int bound_ms, bool *quiet);

struct pstat {
	double cpu_s;		   /* utime + stime, clock ticks */
	unsigned long long run_ns; /* /proc/PID/schedstat: time on a CPU */
	long vcsw, nvcsw;	   /* voluntary and involuntary context switches */
	long rss_kib, hwm_kib;
};
void pstat_read(pid_t pid, struct pstat *ret);

/* One idle window: the daemon's costs over opt.idle_ms, and what the kernel announced. */
struct idle_win {
	struct pstat before, after;
	long kernel_bytes; /* ip monitor's output during the window */
	double window_s;
};

/* ---- statistics and cells --------------------------------------------------------------- */

struct series {
	double v[MAX_RUNS * RELOAD_ROUNDS];
	int n;
};
void series_add(struct series *s, double x);
double series_min(const struct series *s);
double series_median(const struct series *s);
double series_max(const struct series *s);
/* Nearest-rank percentile (0 < p <= 100) of n values (sorted here). */
double percentile(double *v, int n, double p);

/* A time in the unit that suits it ("812 µs", "12.3 ms", "1.92 s") in one of 16 static
 * buffers used in turn, right-aligned in width. */
const char *fmt_t(double s, int width);
/* A ratio: "12.3x", or "-" when b is 0. */
const char *fmt_ratio(double a, double b);
/* min / median / max of s, times. */
const char *fmt_mmm(const struct series *s);

/* ---- one sandboxed run: what it does and what it brings back ----------------------------------
 */

/* Experiments a run serves, in this order after the burst. */
#define EXP_BURST   1u
#define EXP_IDLE    2u /* netd and networkd */
#define EXP_LATENCY 4u
#define EXP_RELOAD  8u /* netd */

struct run_arg {
	int n;
	enum variant v;
	enum method m;
	unsigned what;
	int rounds; /* reload rounds: 1, or opt.runs in one sandbox (res is an array of them) */
};

struct run_res {
	/* burst */
	double create_s; /* the links batch (floor, seed: on its own; netd, networkd: under them) */
	double ops_s;	 /* floor, seed: the configuration after creating (seed: scaled to N) */
	double burst_s;	 /* from the batch's start to every container configured */
	int seed_ct;	 /* containers the seed configured (scaled from) */
	long writes;	 /* netd: writes once configured (sync reload) */
	long overflows;	 /* inotify overflows of the state watch */
	struct pstat ready;	 /* netd: at READY=1, before the batch */
	struct pstat configured; /* netd, networkd: right after the burst */
	struct pstat empty;	 /* netd with an empty config (RSS baseline) */
	/* idle: opt.runs windows one after the other, in the first run's sandbox */
	bool idle_done, quiet;
	int idle_retries; /* windows measured again: the kernel spoke during them */
	double quiet_wait_s;
	struct idle_win win[MAX_RUNS];
	/* latency */
	int n_lat;
	double lat[MAX_LAT_REPS];      /* from the creation call's ACK */
	double lat_call[MAX_LAT_REPS]; /* from before the creation call */
	bool lat_loud;		       /* no silence of LAT_QUIET_MS before the repetitions */
	/* reload (netd) */
	bool reload_done;
	double reload_s[RELOAD_ROUNDS];
	long reload_writes[RELOAD_ROUNDS];
	double unchanged_s, check_s, restart_s;
	long unchanged_writes, restart_writes, restart_configured;
};

/* Bound on a burst to configured: 60 s + 60 ms a container. */
int burst_ms(int n);

/* bench-burst.c: set up and time the burst (always runs first). */
void burst_run(const struct run_arg *a, struct run_res *res, struct watch *w);
/* bench-idle.c: wait for the kernel to go quiet, then opt.runs idle windows, detached from the
 * parent's sequence (pid: the daemon). */
void idle_run(const struct run_arg *a, struct run_res *res, pid_t pid);
/* bench-latency.c: one more container's link, created and deleted lat_reps times. */
void latency_run(const struct run_arg *a, struct run_res *res, struct watch *w);
/* bench-reload.c: netd's reload rounds, the unchanged reload, --check, a restart. */
void reload_run(const struct run_arg *a, struct run_res *res);

/*
 * Results of every run of one (N, variant): res[method][run]. Up to opt.full_max, runs is
 * opt.runs, each in its own sandbox; above it netd alone, in one sandbox (runs 1): its burst,
 * its idle windows and opt.runs reload rounds, round k in res[M_NETD][k].
 */
struct cell_runs {
	int n;
	enum variant v;
	unsigned what; /* EXP_* */
	int runs;      /* sandboxes a method ran in */
	bool have[_M_MAX];
	struct run_res *res[_M_MAX];	 /* opt.runs each */
	struct sandbox idle_sb;		 /* the netd run with the idle windows (run 0) */
	struct sandbox idle_sb_networkd; /* networkd's, BENCH_IDLE_NETWORKD=1 */
};

void burst_report(const struct cell_runs *c, bool header);
void idle_report(const struct cell_runs *c, bool header);
void latency_report(const struct cell_runs *c, bool header);
void reload_report(const struct cell_runs *c, bool header);
/* The must-holds of reload (writes of unchanged reloads and of a restart): problems found. */
int reload_check(const struct cell_runs *c);

/* bench-fwd.c: the forwards experiment, F forwards, its own sandboxes and table. */
void fwd_experiment(const int *fwds, int n_fwds);
