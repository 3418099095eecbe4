/* SPDX-License-Identifier: MIT */
/*
 * Experiment 1, burst: N containers' links created at once by one `ip -batch`; the time from
 * the batch's start until every container is configured. Every run starts with it: it is also
 * how the other in-sandbox experiments (idle, latency, reload) get their N configured
 * containers.
 *
 *   floor     the batch, then one `ip -batch` of every host-side operation (5 a container)
 *   seed      the batch, then one `ip` process per operation (5 a container host side, 13 with
 *             the container side), on at most BENCH_SEED_MAX containers, scaled to N
 *   networkd  systemd-networkd ready with one .network file per link, the batch, until every
 *             link's state file says ADMIN_STATE=configured (host side only)
 *   netd      netd ready, the batch, until every cI.state says STATE=configured
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/*
 * Not timed: a veth pair of its own first, so that no ve-cI gets ifindex 2, as on a host where the
 * first NIC has it. The kernel's linkwatch takes a link for "stacked" (urgent, its operstate
 * handled at once) when its ifindex differs from its peer's (dev_get_iflink()), comparing
 * numbers from two namespaces: in a fresh namespace ve-c0 would be 2 like the eth0 inside,
 * and that eth0's operstate would wait for the next non-urgent linkwatch run, up to a second.
 * With namespaces, the latency experiment's containers cN..cN+LAT_K-1 get theirs.
 */
static void setup(const struct run_arg *a)
{
	(void)run_cmd((char *[]){opt.ip, "link", "add", "bench0", "type", "veth", "peer", "name",
				 "bench1", NULL},
		      NETD_MS);
	if (a->v == V_BOTH) {
		FILE *f = fopen(OPS_PATH, "we");

		if (!f)
			die("open " OPS_PATH ": %m");
		for (int i = a->n; i < a->n + LAT_K; i++)
			fprintf(f, "netns add c%d\n", i);
		if (fflush(f) != 0 || ferror(f))
			die("write " OPS_PATH ": %m");
		fclose(f);
		(void)run_batch(OPS_PATH, NETD_MS);
	}
	write_links_batch(0, a->n, a->v);
}

/* The batch while a daemon configures; returns the time from its start to the last
 * container configured. */
static double timed_batch(const struct run_arg *a, struct run_res *res, struct watch *w)
{
	char *argv[] = {opt.ip, "-batch", BATCH_PATH, NULL};
	unsigned long long t0 = now_usec(), end, batch_end = 0;
	struct proc batch = spawn_or_die(argv, -1, -1, NULL);

	end = watch_wait_all(w, a->n, t0 + (unsigned long long)burst_ms(a->n) * 1000, &batch,
			     &batch_end);
	if (proc_exit_fd(&batch) >= 0) {
		int st = proc_wait(&batch, batch_ms(a->n));

		if (st != 0)
			die_netd("ip -batch failed or hung (status %d)", st);
		batch_end = now_usec();
	}
	proc_done(&batch);
	res->create_s = (double)(batch_end - t0) / 1e6;
	res->overflows = w->overflows;
	return (double)(end - t0) / 1e6;
}

static void burst_floor(const struct run_arg *a, struct run_res *res)
{
	write_ops_batch(a->n);
	res->create_s = run_batch(BATCH_PATH, batch_ms(a->n));
	res->ops_s = run_batch(OPS_PATH, batch_ms(5 * a->n));
	res->burst_s = res->create_s + res->ops_s;
}

static void burst_seed(const struct run_arg *a, struct run_res *res)
{
	int k = a->n < opt.seed_max ? a->n : opt.seed_max;
	unsigned long long t0;

	res->create_s = run_batch(BATCH_PATH, batch_ms(a->n));
	/* All N links exist either way, so each step sees a kernel of the same size. */
	t0 = now_usec();
	for (int i = 0; i < k; i++)
		seed_container(i, a->v);
	res->ops_s = since_s(t0) * a->n / k;
	res->seed_ct = k;
	res->burst_s = res->create_s + res->ops_s;
}

static void burst_networkd(const struct run_arg *a, struct run_res *res, struct watch *w)
{
	if (a->v != V_HOST)
		die("networkd runs host side only");
	networkd_write_files(a->n + LAT_K);
	networkd_start();
	/* networkd made NETIF_LINKS (owned by its user) before READY=1 */
	watch_open(w, NETIF_LINKS, true, a->n + LAT_K);
	res->burst_s = timed_batch(a, res, w);
	pstat_read(networkd_pid(), &res->configured);
}

static void burst_netd(const struct run_arg *a, struct run_res *res, struct watch *w)
{
	struct netd_status s;

	if (a->what & EXP_IDLE) {
		/* the memory baseline: netd with nothing to do */
		write_netd_conf(0, -1, 0);
		(void)netd_start(NETD_MS);
		pstat_read(nd.proc.pid, &res->empty);
		netd_stop();
	}
	write_netd_conf(a->n + LAT_K, -1, 0);
	watch_open(w, STATE_DIR, false, a->n + LAT_K);
	s = netd_start(NETD_MS);
	if (s.writes != 0)
		die_netd("netd wrote before any link existed: %s", netd_status_str(&s));
	pstat_read(nd.proc.pid, &res->ready);
	res->burst_s = timed_batch(a, res, w);
	/* before the reload: it parses a second copy of the config, not part of configuring */
	pstat_read(nd.proc.pid, &res->configured);
	/* an unchanged reload is a sync point: every write of configuring is counted by its
	 * READY=1 */
	(void)netd_reload(&s);
	if (s.configured != a->n || s.pending != 0 || s.failed != 0)
		die_netd("configured N=%d: %s", a->n, netd_status_str(&s));
	res->writes = s.writes;
}

void burst_run(const struct run_arg *a, struct run_res *res, struct watch *w)
{
	setup(a);
	switch (a->m) {
	case M_FLOOR:
		burst_floor(a, res);
		break;
	case M_SEED:
		burst_seed(a, res);
		break;
	case M_NETWORKD:
		burst_networkd(a, res, w);
		break;
	case M_NETD:
		burst_netd(a, res, w);
		break;
	default:
		die("no such method");
	}
}

/* ---- the table ------------------------------------------------------------------------------- */

typedef double (*pick_fn)(const struct cell_runs *c, int run);

static double pick_create(const struct cell_runs *c, int r)
{
	return c->res[M_FLOOR][r].create_s;
}

static double pick_floor(const struct cell_runs *c, int r)
{
	return c->res[M_FLOOR][r].burst_s;
}

static double pick_floor_ops(const struct cell_runs *c, int r)
{
	return c->res[M_FLOOR][r].ops_s;
}

static double pick_seed(const struct cell_runs *c, int r)
{
	return c->res[M_SEED][r].burst_s;
}

static double pick_seed_ops(const struct cell_runs *c, int r)
{
	return c->res[M_SEED][r].ops_s;
}

static double pick_networkd(const struct cell_runs *c, int r)
{
	return c->res[M_NETWORKD][r].burst_s;
}

static double pick_netd(const struct cell_runs *c, int r)
{
	return c->res[M_NETD][r].burst_s;
}

/* netd's time beyond creating the links: after its own sandbox's batch ended (the batch ran
 * while netd worked, on the other CPU). */
static double pick_netd_beyond(const struct cell_runs *c, int r)
{
	return c->res[M_NETD][r].burst_s - c->res[M_NETD][r].create_s;
}

/* netd's CPU time (schedstat) from READY=1 to configured: its work, and the kernel's on its
 * behalf (a netlink request is processed in the sender's sendmsg()). */
static double pick_netd_cpu(const struct cell_runs *c, int r)
{
	const struct run_res *x = &c->res[M_NETD][r];

	return (double)(x->configured.run_ns - x->ready.run_ns) / 1e9;
}

static double pick_netd_create(const struct cell_runs *c, int r)
{
	return c->res[M_NETD][r].create_s;
}

static struct series collect(const struct cell_runs *c, pick_fn pick)
{
	struct series s = {.n = 0};

	for (int r = 0; r < c->runs; r++)
		series_add(&s, pick(c, r));
	return s;
}

static void row(const struct cell_runs *c, bool first, const char *label, pick_fn pick)
{
	struct series s = collect(c, pick);

	printf("  %6s  %-34s %s %s\n", first ? "" : "", label, fmt_mmm(&s),
	       fmt_t(series_median(&s) / c->n, 10));
}

static double med(const struct cell_runs *c, pick_fn pick)
{
	struct series s = collect(c, pick);

	return series_median(&s);
}

void burst_report(const struct cell_runs *c, bool header)
{
	bool both = c->v == V_BOTH;
	char seedlabel[64];

	if (header) {
		printf("\n== 1. Burst, %s: N containers' links created by one ip -batch, from its "
		       "start until every one is configured\n",
		       variant_name[c->v]);
		printf("   (v4 + v6: host side up, 2 addresses, 2 routes%s); %d runs, each method "
		       "in fresh namespaces; ratios of medians\n",
		       both
			   ? "; container side renamed, up, 2 addresses, 2 routes, 2 default routes"
			   : "",
		       opt.runs);
		printf("  %6s  %-34s %10s %10s %10s %10s\n", "N", "", "min", "median", "max",
		       "per cont.");
	}
	if (c->runs < opt.runs)
		printf("  %6d  (beyond BENCH_FULL_MAX: netd alone, %d run)\n", c->n, c->runs);
	else
		printf("  %6d\n", c->n);
	if (c->have[M_FLOOR]) {
		row(c, true, "create (ip -batch, links only)", pick_create);
		row(c, false, both ? "create + host-side floor" : "create + floor (1 ip -batch)",
		    pick_floor);
	}
	if (c->have[M_SEED]) {
		int k = c->res[M_SEED][0].seed_ct;

		if (k < c->n)
			snprintf(seedlabel, sizeof(seedlabel), "create + seed (on %d, scaled)", k);
		else
			snprintf(seedlabel, sizeof(seedlabel), "create + seed (ip per op)");
		row(c, false, seedlabel, pick_seed);
	}
	if (c->have[M_NETWORKD])
		row(c, false, "networkd", pick_networkd);
	if (c->have[M_NETD])
		row(c, false, "netd", pick_netd);
	if (c->have[M_NETD]) {
		row(c, false, "  its batch, while netd worked", pick_netd_create);
		row(c, false, "  netd beyond its batch", pick_netd_beyond);
		row(c, false, "  netd CPU time in the burst", pick_netd_cpu);
	}
	if (c->have[M_FLOOR])
		row(c, false, both ? "  host-side floor beyond create" : "  floor beyond create",
		    pick_floor_ops);
	if (c->have[M_SEED])
		row(c, false, "  seed beyond create", pick_seed_ops);
	if (!c->have[M_NETD])
		return;
	printf("  %6s  netd: ", "");
	if (c->have[M_FLOOR])
		printf("/ (create + %sfloor) %s", both ? "host-side " : "",
		       fmt_ratio(med(c, pick_netd), med(c, pick_floor)));
	if (c->have[M_NETWORKD])
		printf(" | networkd / netd %s",
		       fmt_ratio(med(c, pick_networkd), med(c, pick_netd)));
	if (c->have[M_NETWORKD] && c->have[M_FLOOR])
		printf(" | networkd beyond create / netd beyond its batch %s",
		       fmt_ratio(med(c, pick_networkd) - med(c, pick_create),
				 med(c, pick_netd_beyond)));
	if (c->have[M_SEED])
		printf(" | (create + seed) / netd %s",
		       fmt_ratio(med(c, pick_seed), med(c, pick_netd)));
	if (c->have[M_SEED] && c->have[M_FLOOR])
		printf(" | seed beyond create / netd beyond its batch %s",
		       fmt_ratio(med(c, pick_seed_ops), med(c, pick_netd_beyond)));
	printf("%swrites %.1f per container", c->have[M_FLOOR] ? " | " : "",
	       (double)c->res[M_NETD][0].writes / c->n);
	printf("\n");
	for (int r = 0; r < c->runs; r++)
		if (c->res[M_NETD][r].writes != c->res[M_NETD][0].writes)
			note("burst N=%d %s: writes differ between runs (%ld, %ld)", c->n,
			     variant_name[c->v], c->res[M_NETD][0].writes,
			     c->res[M_NETD][r].writes);
	fflush(stdout);
}
