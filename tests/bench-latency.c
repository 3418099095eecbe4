/* SPDX-License-Identifier: MIT */
/*
 * Experiment 2, latency: with N containers configured (the burst before it, same sandbox) and
 * the kernel quiet, one more container's link is created by the benchmark itself over
 * rtnetlink (RTM_NEWLINK, its peer in the container's namespace with V_BOTH), timed from that
 * call's ACK to configured, BENCH_LAT_REPS times. The links are those of containers
 * cN..cN+LAT_K-1 in turn, so N to N+LAT_K-1 others exist; every LAT_K links they are deleted in
 * one request (their link group: deleting one link costs an RCU grace period, ~30 ms here) and,
 * for netd and networkd, waited for until their state files are gone.
 *
 *   floor     the benchmark's own netlink requests, one at a time, each waited for: host side
 *             up, 2 addresses, 2 routes; inside, rename + up, 2 addresses, 2 routes, 2 default
 *             routes (the kernel's cost, no daemon, no operstate wait)
 *   seed      one ip process per operation, as in the burst
 *   networkd  until NETIF_LINKS/IFINDEX says ADMIN_STATE=configured (inotify)
 *   netd      until cN.state says STATE=configured (inotify)
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "nl.h"

enum { LAT_STEP_MS = 10000 };

/*
 * The kernel is still announcing the burst: wait for a short silence, bounded (2 s + 1 ms a
 * container: after some bursts the kernel announces operstate changes for minutes, and the
 * repetitions then run while it does).
 */
static bool quiet_first(const struct run_arg *a)
{
	struct monitor m;
	bool quiet;

	monitor_start(&m);
	(void)monitor_wait_quiet(&m, LAT_QUIET_MS, 2000 + a->n, &quiet);
	monitor_stop(&m);
	return quiet;
}

void latency_run(const struct run_arg *a, struct run_res *res, struct watch *w)
{
	int reps = a->m == M_SEED ? opt.seed_lat_reps : opt.lat_reps, nsfd[LAT_K];
	struct nl_sock *nl = rt_open(), *in[LAT_K] = {NULL};
	bool daemon = a->m == M_NETD || a->m == M_NETWORKD;

	for (int j = 0; j < LAT_K; j++) {
		char ns[16];

		snprintf(ns, sizeof(ns), "c%d", a->n + j);
		nsfd[j] = -1;
		if (a->v == V_BOTH)
			in[j] = rt_open_in(ns, &nsfd[j]);
	}
	/* the idle windows, when there were some, waited for the kernel already */
	if (!res->idle_done)
		res->lat_loud = !quiet_first(a);
	for (int r = 0; r < reps; r++) {
		int j = r % LAT_K, i = a->n + j;
		unsigned long long tc = now_usec(), t0, t1;

		rt_veth_add(nl, i, nsfd[j], LAT_GROUP);
		t0 = now_usec();
		switch (a->m) {
		case M_FLOOR:
			rt_floor_ops(nl, in[j], nsfd[j], i);
			t1 = now_usec();
			break;
		case M_SEED:
			seed_container(i, a->v);
			t1 = now_usec();
			break;
		default:
			t1 = watch_wait_one(w, i, t0 + LAT_STEP_MS * 1000ULL);
			break;
		}
		res->lat_call[res->n_lat] = (double)(t1 - tc) / 1e6;
		res->lat[res->n_lat++] = (double)(t1 - t0) / 1e6;
		if (j < LAT_K - 1 && r < reps - 1)
			continue;
		rt_group_del(nl, LAT_GROUP);
		if (daemon)
			watch_wait_gone(w, a->n, j + 1, now_usec() + LAT_STEP_MS * 1000ULL);
	}
	nl_close(nl);
	for (int j = 0; j < LAT_K; j++) {
		nl_close(in[j]);
		nsfd[j] = safe_close(nsfd[j]);
	}
}

/* ---- the table ------------------------------------------------------------------------------- */

struct lat {
	double p50, p99, max, call_p50, call_p99;
	int n;
	struct series run_p50;
};

static struct lat lat_of(const struct cell_runs *c, enum method m)
{
	struct lat l = {.n = 0};
	double *all = calloc((size_t)c->runs * MAX_LAT_REPS, sizeof(double));
	double *call = calloc((size_t)c->runs * MAX_LAT_REPS, sizeof(double));

	if (!all || !call)
		die("out of memory");
	l.run_p50.n = 0;
	for (int r = 0; r < c->runs; r++) {
		const struct run_res *x = &c->res[m][r];
		double one[MAX_LAT_REPS];

		memcpy(one, x->lat, sizeof(double) * (size_t)x->n_lat);
		series_add(&l.run_p50, percentile(one, x->n_lat, 50));
		memcpy(all + l.n, x->lat, sizeof(double) * (size_t)x->n_lat);
		memcpy(call + l.n, x->lat_call, sizeof(double) * (size_t)x->n_lat);
		l.n += x->n_lat;
	}
	l.p50 = percentile(all, l.n, 50);
	l.p99 = percentile(all, l.n, 99);
	l.max = percentile(all, l.n, 100);
	l.call_p50 = percentile(call, l.n, 50);
	l.call_p99 = percentile(call, l.n, 99);
	free(all);
	free(call);
	return l;
}

static const char *const lat_label[_M_MAX] = {
    [M_FLOOR] = "floor (netlink, in-process)",
    [M_SEED] = "seed (ip per op)",
    [M_NETWORKD] = "networkd",
    [M_NETD] = "netd",
};

void latency_report(const struct cell_runs *c, bool header)
{
	struct lat l[_M_MAX];

	if (header) {
		printf("\n== 2. Latency, %s: one more container's link created while N (to N+%d) "
		       "others are configured, from the creation call's ACK to configured\n",
		       variant_name[c->v], LAT_K - 1);
		printf(
		    "   (p50 / p99 / max over every sample of %d runs; p50 per run: min / median "
		    "/ max; from the call: the same from before the\n    RTM_NEWLINK was sent, "
		    "creation included: a daemon starts on the link's event, before the ACK "
		    "comes back)\n",
		    opt.runs);
		printf("  %6s  %-28s %7s %10s %10s %10s   %-32s  %s\n", "N", "", "samples", "p50",
		       "p99", "max", "p50 per run", "from the call p50, p99");
	}
	printf("  %6d\n", c->n);
	for (int m = 0; m < _M_MAX; m++) {
		if (!c->have[m] || c->res[m][0].n_lat == 0)
			continue;
		l[m] = lat_of(c, (enum method)m);
		int loud = 0;

		for (int r = 0; r < c->runs; r++)
			loud += c->res[m][r].lat_loud;
		printf("  %6s  %-28s %7d %s %s %s   %s  %s %s", "", lat_label[m], l[m].n,
		       fmt_t(l[m].p50, 10), fmt_t(l[m].p99, 10), fmt_t(l[m].max, 10),
		       fmt_mmm(&l[m].run_p50), fmt_t(l[m].call_p50, 10), fmt_t(l[m].call_p99, 10));
		if (loud)
			printf("  (%d of %d runs: the kernel still spoke when they began)", loud,
			       opt.runs);
		printf("\n");
	}
	if (!c->have[M_NETD] || c->res[M_NETD][0].n_lat == 0)
		return;
	printf("  %6s  p50, p99:", "");
	if (c->have[M_NETWORKD] && c->res[M_NETWORKD][0].n_lat)
		printf(" networkd / netd %s, %s |", fmt_ratio(l[M_NETWORKD].p50, l[M_NETD].p50),
		       fmt_ratio(l[M_NETWORKD].p99, l[M_NETD].p99));
	if (c->have[M_SEED] && c->res[M_SEED][0].n_lat)
		printf(" seed / netd %s, %s |", fmt_ratio(l[M_SEED].p50, l[M_NETD].p50),
		       fmt_ratio(l[M_SEED].p99, l[M_NETD].p99));
	if (c->have[M_FLOOR] && c->res[M_FLOOR][0].n_lat)
		printf(" netd / floor from the call %s, %s",
		       fmt_ratio(l[M_NETD].call_p50, l[M_FLOOR].call_p50),
		       fmt_ratio(l[M_NETD].call_p99, l[M_FLOOR].call_p99));
	printf("\n");
	fflush(stdout);
}
