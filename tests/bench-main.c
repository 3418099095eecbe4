/* SPDX-License-Identifier: MIT */
/*
 * `make bench`: netd against the baselines measured in the same run (see DEVELOPERS.md,
 * "Benchmark"). For every variant (host side only; both sides, namespaces) and every N up to
 * BENCH_FULL_MAX, each method runs BENCH_RUNS times, each time in fresh namespaces of its own,
 * the methods interleaved run by run; a run is the burst (experiment 1) and then, in the same
 * sandbox, the latency repetitions (2) and netd's reloads (3). The first netd run of an N in
 * BENCH_IDLE_N has the idle windows (5) after its burst, BENCH_RUNS of them one after the
 * other, detached: the other runs go on meanwhile. Beyond BENCH_FULL_MAX netd runs alone, in
 * one sandbox: its burst, the idle windows, BENCH_RUNS reload rounds. The forwards (4) have
 * sandboxes of their own. Progress goes to stderr, the tables to stdout at the end.
 *
 * Exits non-zero only when something did not work (a daemon never reached configured, a
 * reload wrote where it must not, a command failed), never for being slow: the targets
 * it sets itself are printed as met or missed.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

enum { MAX_LIST = 16 };

struct list {
	int v[MAX_LIST];
	int n;
};

static bool in_list(const struct list *l, int x)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i] == x)
			return true;
	return false;
}

/* Numbers separated by commas or spaces; 0 or an empty value: none. */
static struct list list_env(const char *name, const char *def, int max)
{
	const char *v = getenv(name);
	struct list l = {.n = 0};

	if (!v)
		v = def;
	for (const char *p = v; *p;) {
		char *end;
		long x;

		if (*p == ',' || *p == ' ') {
			p++;
			continue;
		}
		errno = 0;
		x = strtol(p, &end, 10);
		if (errno || end == p || (*end && *end != ',' && *end != ' ') || x < 0 || x > max ||
		    (x > 0 && l.n == MAX_LIST))
			die("%s=%s: expected up to %d numbers from 1 to %d (0: none)", name, v,
			    MAX_LIST, max);
		if (x > 0)
			l.v[l.n++] = (int)x;
		p = end;
	}
	return l;
}

static int int_env(const char *name, int def, int min, int max)
{
	const char *v = getenv(name);
	char *end;
	long x;

	if (!v || !v[0])
		return def;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < min || x > max)
		die("%s=%s: expected a number from %d to %d", name, v, min, max);
	return (int)x;
}

/* name from PATH, as a script finds it; /usr/sbin/name or /sbin/name when PATH has none. */
static void find_tool(const char *name, char *buf, size_t len)
{
	_cleanup_free_ char *path = strdup(getenv("PATH") ?: "");
	static const char *const extra[] = {"/usr/sbin", "/sbin"};
	char *save = NULL;

	if (!path)
		die("out of memory");
	for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/%s", d, name);
		if (d[0] == '/' && access(buf, X_OK) == 0)
			return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		snprintf(buf, len, "%s/%s", extra[i], name);
		if (access(buf, X_OK) == 0)
			return;
	}
	die("no %s in PATH, /usr/sbin or /sbin (make deps installs it)", name);
}

static const char *find_networkd(void)
{
	static const char *const paths[] = {"/lib/systemd/systemd-networkd",
					    "/usr/lib/systemd/systemd-networkd"};
	const char *env = getenv("NETWORKD");

	if (env && env[0])
		return access(env, X_OK) == 0 ? env : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* ---- one run in its sandbox ------------------------------------------------------------------ */

/* The run: the burst, then what a->what says. res: a->rounds of them (reload round k in
 * res[k], everything else in res[0]). */
static void sandbox_run(const void *arg, void *result)
{
	const struct run_arg *a = arg;
	struct run_res *res = result;
	struct watch w = {.fd = -1};
	unsigned long long t[6];

	t[0] = now_usec();
	burst_run(a, res, &w);
	t[1] = now_usec();
	if ((a->what & EXP_IDLE) && (a->m == M_NETD || (a->m == M_NETWORKD && opt.idle_networkd)))
		idle_run(a, res, a->m == M_NETD ? nd.proc.pid : networkd_pid());
	t[2] = now_usec();
	if (a->what & EXP_LATENCY)
		latency_run(a, res, &w);
	t[3] = now_usec();
	if ((a->what & EXP_RELOAD) && a->m == M_NETD)
		for (int k = 0; k < a->rounds; k++)
			reload_run(a, &res[k]);
	t[4] = now_usec();
	if (a->m == M_NETD)
		netd_stop();
	if (a->m == M_NETWORKD)
		networkd_stop();
	if (w.fd >= 0)
		watch_close(&w);
	routes_flush();
	t[5] = now_usec();
	if (getenv("BENCH_VERBOSE"))
		fprintf(stderr,
			"bench:   N=%d %s %s: burst %.2f s (measured %.2f s, its batch %.2f s, %ld "
			"inotify overflows), idle %.2f s, latency %.2f s, reload %.2f s, stop %.2f "
			"s\n",
			a->n, variant_key[a->v], method_name[a->m], (t[1] - t[0]) / 1e6,
			res->burst_s, res->create_s, res->overflows, (t[2] - t[1]) / 1e6,
			(t[3] - t[2]) / 1e6, (t[4] - t[3]) / 1e6, (t[5] - t[4]) / 1e6);
}

/* ---- main -------------------------------------------------------------------------------- */

/* The first line of what argv prints (stdout), or "?" when it fails. */
static void first_line(char *const argv[], char *buf, size_t len)
{
	struct proc p;
	int fds[2];
	ssize_t n = 0;

	snprintf(buf, len, "?");
	if (access(argv[0], X_OK) < 0 || pipe2(fds, O_CLOEXEC) < 0)
		return;
	p = spawn_or_die(argv, fds[1], fds[1], NULL);
	(void)close(fds[1]);
	n = read(fds[0], buf, len - 1);
	(void)close(fds[0]);
	(void)proc_wait(&p, NETD_MS);
	proc_done(&p);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* What the numbers were measured on. */
static void machine(void)
{
	char cpu[256] = "?", line[256], ipv[128], nftv[128], nwdv[128];
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	_cleanup_fclose_ FILE *m = fopen("/proc/meminfo", "re");
	struct utsname u;
	double load[3] = {0};
	long kib = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "model name : %255[^\n]", cpu) == 1)
			break;
	while (m && fgets(line, sizeof(line), m))
		if (sscanf(line, "MemTotal: %ld kB", &kib) == 1)
			break;
	if (uname(&u) < 0)
		die("uname: %m");
	(void)getloadavg(load, 3);
	first_line((char *[]){opt.ip, "-V", NULL}, ipv, sizeof(ipv));
	first_line((char *[]){opt.nft, "-v", NULL}, nftv, sizeof(nftv));
	snprintf(nwdv, sizeof(nwdv), "no systemd-networkd");
	if (opt.networkd)
		first_line((char *[]){(char *)opt.networkd, "--version", NULL}, nwdv, sizeof(nwdv));
	if (strstr(ipv, ", libbpf"))
		*strstr(ipv, ", libbpf") = '\0';
	nwdv[strcspn(nwdv, "(")] = '\0';
	printf("machine: Linux %s %s, %ld CPUs (%s), %.1f GiB; load %.2f %.2f %.2f at the start\n",
	       u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), cpu, kib / 1048576.0, load[0],
	       load[1], load[2]);
	printf("tools: %s; %s; %s\n", ipv, nftv, nwdv);
}

static struct cell_runs cells[_V_MAX][MAX_LIST];
static int n_cells[_V_MAX];
static unsigned exps; /* EXP_* and EXP_FWD selected by BENCH_ONLY */
#define EXP_FWD 16u

static unsigned only_env(void)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"burst", EXP_BURST},
		     {"latency", EXP_LATENCY},
		     {"reload", EXP_RELOAD},
		     {"forwards", EXP_FWD},
		     {"idle", EXP_IDLE}};
	_cleanup_free_ char *v = strdup(getenv("BENCH_ONLY") ?: "");
	unsigned bits = 0;
	char *save = NULL;

	if (!v)
		die("out of memory");
	for (char *t = strtok_r(v, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names) && strcmp(names[i].name, t) != 0; i++)
			;
		if (i == ARRAY_SIZE(names))
			die("BENCH_ONLY=%s: expected some of burst,latency,reload,forwards,idle",
			    t);
		bits |= names[i].bit;
	}
	return bits ? bits : EXP_BURST | EXP_LATENCY | EXP_RELOAD | EXP_FWD | EXP_IDLE;
}

/* BENCH_SIDES: host, both, or both of them (the default): bits of enum variant. */
static unsigned sides_env(void)
{
	const char *v = getenv("BENCH_SIDES");

	if (!v || !v[0])
		return (1u << _V_MAX) - 1;
	for (int i = 0; i < _V_MAX; i++)
		if (strcmp(v, variant_key[i]) == 0)
			return 1u << i;
	die("BENCH_SIDES=%s: expected host or both", v);
}

/*
 * Runs with idle windows detach for them (bench-idle.c): the sequence goes on with other runs
 * meanwhile, and each goes on alone, between two runs, once its windows are over.
 */
enum { MAX_DETACHED = 8 };
static struct sandbox *detached[MAX_DETACHED];
static int n_detached;

static void rejoin(bool all)
{
	for (int i = 0; i < n_detached;)
		if (all || sandbox_waiting(detached[i])) {
			sandbox_finish(detached[i]);
			detached[i] = detached[--n_detached];
		} else {
			i++;
		}
}

/* What a run leaves the kernel to tear down: veth pairs, with namespaces. */
static long run_objects(const struct cell_runs *c)
{
	return 2L * (c->n + LAT_K) + (c->v == V_BOTH ? c->n + LAT_K : 0);
}

static void run_one(struct cell_runs *c, enum method m, int r)
{
	bool idle = (c->what & EXP_IDLE) && r == 0 &&
		    (m == M_NETD || (m == M_NETWORKD && opt.idle_networkd));
	struct run_arg a = {.n = c->n,
			    .v = c->v,
			    .m = m,
			    .what = c->what & ~(idle ? 0 : EXP_IDLE),
			    .rounds = c->runs < opt.runs ? opt.runs : 1};
	struct sandbox *sb = m == M_NETD ? &c->idle_sb : &c->idle_sb_networkd;
	struct sandbox one;
	char label[128];

	if (c->n > opt.full_max)
		a.what &= ~EXP_LATENCY;
	snprintf(label, sizeof(label), "N=%d %s, %s, run %d", c->n, variant_name[c->v],
		 method_name[m], r + 1);
	if (!idle)
		sb = &one;
	rejoin(false);
	sandbox_start(sb, label, m == M_NETWORKD ? BOX_NETWORKD : 0, run_objects(c), sandbox_run,
		      &a, &c->res[m][r], sizeof(struct run_res) * (size_t)a.rounds,
		      burst_ms(c->n) * 3 + 600000 + opt.idle_ms * (opt.runs + IDLE_RETRIES));
	if (!sb->detached)
		return;
	if (!idle || n_detached == MAX_DETACHED)
		die("%s detached unexpectedly", label);
	detached[n_detached++] = sb;
}

static void run_cell(struct cell_runs *c)
{
	bool baselines = c->n <= opt.full_max && (c->what & (EXP_BURST | EXP_LATENCY));
	unsigned long long t0 = now_usec();

	c->runs = c->n <= opt.full_max ? opt.runs : 1;
	c->have[M_NETD] = true;
	c->have[M_FLOOR] = c->have[M_SEED] = baselines;
	c->have[M_NETWORKD] = c->v == V_HOST && opt.networkd && c->n <= opt.networkd_max &&
			      c->n <= opt.full_max && (baselines || (c->what & EXP_IDLE));
	for (int m = 0; m < _M_MAX; m++)
		if (c->have[m]) {
			c->res[m] = calloc((size_t)opt.runs, sizeof(struct run_res));
			if (!c->res[m])
				die("out of memory");
		}
	for (int r = 0; r < c->runs; r++)
		for (int m = 0; m < _M_MAX; m++)
			if (c->have[m])
				run_one(c, (enum method)m, r);
	fprintf(stderr, "bench: N=%d %s: runs done in %.0f s (netd burst median", c->n,
		variant_name[c->v], since_s(t0));
	{
		struct series s = {.n = 0};

		/* of the runs that are over: the idle run goes on (detached) */
		for (int r = 0; r < c->runs; r++)
			if (c->res[M_NETD][r].burst_s > 0)
				series_add(&s, c->res[M_NETD][r].burst_s);
		fprintf(stderr, " %s)\n", s.n ? fmt_t(series_median(&s), 1) : "later");
	}
}

/* ---- targets ------------------------------------------------------------------------------ */

static const struct cell_runs *find_cell(enum variant v, int n)
{
	for (int i = 0; i < n_cells[v]; i++)
		if (cells[v][i].n == n)
			return &cells[v][i];
	return NULL;
}

static double med_of(const struct cell_runs *c, enum method m, double (*f)(const struct run_res *))
{
	struct series s = {.n = 0};

	if (!c || !c->have[m])
		return NAN;
	for (int r = 0; r < c->runs; r++)
		series_add(&s, f(&c->res[m][r]));
	return series_median(&s);
}

static double f_burst(const struct run_res *x)
{
	return x->burst_s;
}

static double f_ops(const struct run_res *x)
{
	return x->ops_s;
}

static double f_create(const struct run_res *x)
{
	return x->create_s;
}

static double w_csw(const struct idle_win *w)
{
	return (double)(w->after.vcsw + w->after.nvcsw - w->before.vcsw - w->before.nvcsw);
}

static double w_kernel(const struct idle_win *w)
{
	return (double)w->kernel_bytes;
}

static double w_rss(const struct idle_win *w)
{
	return w->after.rss_kib / 1024.0;
}

/* The median over netd's idle windows (in its first run), NAN when there were none. */
static double idle_med(const struct cell_runs *c, double (*f)(const struct idle_win *w))
{
	struct series s = {.n = 0};

	if (!c || !c->have[M_NETD] || !c->res[M_NETD][0].idle_done)
		return NAN;
	for (int k = 0; k < opt.runs; k++)
		series_add(&s, f(&c->res[M_NETD][0].win[k]));
	return series_median(&s);
}

/* The median of every changed reload of every run, as the reload table has it. */
static double reload_median(const struct cell_runs *c)
{
	struct series s = {.n = 0};

	if (!c || !c->have[M_NETD] || !c->res[M_NETD][0].reload_done)
		return NAN;
	for (int r = 0; r < opt.runs; r++)
		for (int k = 0; k < RELOAD_ROUNDS; k++)
			series_add(&s, c->res[M_NETD][r].reload_s[k]);
	return series_median(&s);
}

static double f_reload_writes(const struct run_res *x)
{
	long w = 0;

	if (!x->reload_done)
		return NAN;
	for (int k = 0; k < RELOAD_ROUNDS; k++)
		w = x->reload_writes[k] > w ? x->reload_writes[k] : w;
	return (double)w;
}

static double lat_p(const struct cell_runs *c, double p)
{
	double *all;
	int n = 0;
	double v;

	if (!c || !c->have[M_NETD] || c->res[M_NETD][0].n_lat == 0)
		return NAN;
	all = calloc((size_t)c->runs * MAX_LAT_REPS, sizeof(double));
	if (!all)
		die("out of memory");
	for (int r = 0; r < c->runs; r++) {
		memcpy(all + n, c->res[M_NETD][r].lat,
		       sizeof(double) * (size_t)c->res[M_NETD][r].n_lat);
		n += c->res[M_NETD][r].n_lat;
	}
	v = percentile(all, n, p);
	free(all);
	return v;
}

static void target(const char *what, double value, const char *unit, bool ok_if_le, double limit)
{
	if (isnan(value))
		return; /* not measured in this run */
	printf("  %-72s %10.3g%-2s  %s (%s %g%s)\n", what, value, unit,
	       (ok_if_le ? value <= limit : value >= limit) ? "met" : "MISSED",
	       ok_if_le ? "<=" : ">=", limit, unit);
}

static void idle_target(const char *what, const struct cell_runs *c)
{
	target(what, idle_med(c, w_csw), "", true, 0);
	if (idle_med(c, w_kernel) > 0)
		printf("  %-72s   (the kernel announced %.0f B during the window: not idle)\n", "",
		       idle_med(c, w_kernel));
}

static void targets(void)
{
	const struct cell_runs *h1k = find_cell(V_HOST, 1000), *b1k = find_cell(V_BOTH, 1000);
	const struct cell_runs *h100 = find_cell(V_HOST, 100), *h5k = find_cell(V_HOST, 5000);
	const struct cell_runs *h10k = find_cell(V_HOST, 10000);
	double netd = med_of(h1k, M_NETD, f_burst);

	printf(
	    "\n== Targets (medians of this run; met or MISSED, never a failure; those not measured "
	    "in this run left out)\n");
	target("burst host N=1000: netd / (create + floor)", netd / med_of(h1k, M_FLOOR, f_burst),
	       "x", true, 1.0);
	target("burst host N=1000: networkd / netd", med_of(h1k, M_NETWORKD, f_burst) / netd, "x",
	       false, 10);
	target("  (the same beyond link creation: networkd - create / netd beyond its batch)",
	       (med_of(h1k, M_NETWORKD, f_burst) - med_of(h1k, M_FLOOR, f_create)) /
		   (netd - med_of(h1k, M_NETD, f_create)),
	       "x", false, 10);
	target("burst host N=1000: (create + seed) / netd", med_of(h1k, M_SEED, f_burst) / netd,
	       "x", false, 10);
	target("burst host N=1000: seed beyond create / netd beyond its batch",
	       med_of(h1k, M_SEED, f_ops) / (netd - med_of(h1k, M_NETD, f_create)), "x", false, 30);
	target("burst both N=1000: netd / (create + host-side floor)",
	       med_of(b1k, M_NETD, f_burst) / med_of(b1k, M_FLOOR, f_burst), "x", true, 2.5);
	if (h5k && h100)
		target("burst host: netd per container N=5000 / N=100",
		       (med_of(h5k, M_NETD, f_burst) / 5000) /
			   (med_of(h100, M_NETD, f_burst) / 100),
		       "x", true, 1.3);
	target("latency host N=1000: netd p99 (ms)", lat_p(h1k, 99) * 1e3, "ms", true, 1);
	target("latency both N=1000: netd p99 (ms)", lat_p(b1k, 99) * 1e3, "ms", true, 2);
	target("reload N=1000 (host): median (ms)", reload_median(h1k) * 1e3, "ms", true, 5);
	target("reload N=1000 (both): median (ms)", reload_median(b1k) * 1e3, "ms", true, 5);
	target("reload N=10000 (host): median (ms)", reload_median(h10k) * 1e3, "ms", true, 20);
	target("reload N=1000 (both): writes per reload (max)",
	       med_of(b1k, M_NETD, f_reload_writes), "", true, 10);
	target("reload N=10000 (host): writes per reload (max)",
	       med_of(h10k, M_NETD, f_reload_writes), "", true, 10);
	idle_target("idle host N=1000: netd context switches in the window", h1k);
	idle_target("idle both N=1000: netd context switches in the window", b1k);
	idle_target("idle host N=10000: netd context switches in the window", h10k);
	target("idle host N=10000: netd RSS (MiB)", idle_med(h10k, w_rss), "MiB", true, 16);
}

int main(void)
{
	bool quick = getenv("QUICK") && strcmp(getenv("QUICK"), "1") == 0;
	struct list ns, idle_n, fwd;
	int ns_max;
	unsigned sides;
	unsigned long long t0 = now_usec();
	int bad = 0;

	opt.netd = getenv("NETD");
	if (!opt.netd || opt.netd[0] != '/' || access(opt.netd, X_OK) < 0)
		die("NETD must name the netd binary by absolute path (make bench sets it)");
	if (getenv("BENCH_LINKS") || getenv("BENCH_RELOAD_N"))
		die("BENCH_LINKS and BENCH_RELOAD_N are gone: BENCH_N chooses the N of every "
		    "experiment (DEVELOPERS.md)");
	find_tool("ip", opt.ip, sizeof(opt.ip));
	find_tool("nft", opt.nft, sizeof(opt.nft));
	opt.networkd = find_networkd();
	exps = only_env();
	ns = list_env("BENCH_N", quick ? "100" : "1,10,100,1000,5000,10000", MAX_N);
	ns_max = int_env("BENCH_NS_MAX", quick ? 100 : 1000, 0, MAX_N);
	sides = sides_env();
	idle_n = list_env("BENCH_IDLE_N", quick ? "100" : "1000,10000", MAX_N);
	fwd = list_env("BENCH_FWD", quick ? "1000" : "1000,10000", 50000);
	opt.runs = int_env("BENCH_RUNS", quick ? 3 : 5, 1, MAX_RUNS);
	opt.lat_reps = int_env("BENCH_LAT_REPS", quick ? 100 : 200, 1, MAX_LAT_REPS);
	opt.seed_lat_reps = int_env("BENCH_SEED_LAT_REPS", quick ? 10 : 50, 1, MAX_LAT_REPS);
	opt.seed_max = int_env("BENCH_SEED_MAX", quick ? 50 : 200, 1, MAX_N);
	opt.seed_fwd_max = int_env("BENCH_SEED_FWD_MAX", quick ? 100 : 500, 1, 50000);
	opt.idle_ms = int_env("BENCH_IDLE_S", quick ? 1 : 10, 1, 600) * 1000;
	opt.networkd_max = int_env("BENCH_NETWORKD_MAX", 1000, 0, MAX_N);
	opt.fwd_containers = int_env("BENCH_FWD_CT", 100, 1, MAX_N);
	opt.full_max = int_env("BENCH_FULL_MAX", 5000, 1, MAX_N);
	opt.idle_networkd = int_env("BENCH_IDLE_NETWORKD", 0, 0, 1);
	/* ip, nft and the daemons must not talk to whoever supervises us */
	(void)unsetenv("NOTIFY_SOCKET");
	if (!opt.networkd)
		note("systemd-networkd not found (NETWORKD= names one): no networkd baseline");
	printf("netd benchmark: %d runs per method and N, each in fresh namespaces; %s\n", opt.runs,
	       quick ? "QUICK=1" : "full");
	machine();
	fflush(stdout);

	for (int v = 0; v < _V_MAX; v++)
		for (int i = 0; i < ns.n; i++) {
			unsigned what = exps & (EXP_BURST | EXP_LATENCY | EXP_RELOAD);
			struct cell_runs *c;

			if ((v == V_BOTH && ns.v[i] > ns_max) || !(sides & (1u << v)))
				continue;
			if ((exps & EXP_IDLE) && in_list(&idle_n, ns.v[i]))
				what |= EXP_IDLE;
			/* beyond BENCH_FULL_MAX netd alone: reload and idle */
			if (ns.v[i] > opt.full_max)
				what &= EXP_RELOAD | EXP_IDLE;
			if (!what)
				continue;
			c = &cells[v][n_cells[v]++];
			*c = (struct cell_runs){.n = ns.v[i], .v = (enum variant)v, .what = what};
			run_cell(c);
		}
	rejoin(true);

	{
		static const struct {
			unsigned bit;
			void (*report)(const struct cell_runs *c, bool header);
		} tables[] = {{EXP_BURST, burst_report},
			      {EXP_LATENCY, latency_report},
			      {EXP_RELOAD, reload_report}};

		/* the burst table has every cell: all of them start with one */
		for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
			for (int v = 0; v < _V_MAX; v++) {
				bool header = true;

				for (int i = 0; i < n_cells[v]; i++) {
					const struct cell_runs *c = &cells[v][i];

					if (!(exps & tables[t].bit) ||
					    (t > 0 && !(c->what & tables[t].bit)))
						continue;
					tables[t].report(c, header);
					header = false;
				}
			}
	}
	if (exps & EXP_FWD)
		fwd_experiment(fwd.v, fwd.n);
	for (int v = 0; v < _V_MAX; v++) {
		bool header = true;

		for (int i = 0; i < n_cells[v]; i++)
			if (cells[v][i].res[M_NETD] && cells[v][i].res[M_NETD][0].idle_done) {
				idle_report(&cells[v][i], header);
				header = false;
			}
	}
	for (int v = 0; v < _V_MAX; v++)
		for (int i = 0; i < n_cells[v]; i++)
			bad += (cells[v][i].what & EXP_RELOAD) ? reload_check(&cells[v][i]) : 0;
	targets();
	printf("\ntotal %.0f s\n", since_s(t0));
	return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
