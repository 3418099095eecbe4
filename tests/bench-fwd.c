/* SPDX-License-Identifier: MIT */
/*
 * Experiment 4, forwards: F port forwards installed at once, spread over C configured
 * host-side containers (BENCH_FWD_CT, default 100), each forward tcp:PORT:80 to the
 * container's LocalAddress and LocalAddress6 (2 F entries). Each method in its own sandbox:
 *
 *   floor  one `nft -f` of a table like netd's: maps fwd4/fwd6 and 2 F elements, constant rules
 *   seed   one `nft` process per forward adding two DNAT rules (v4, v6) to a chain, as the
 *          NixOS scripts add one rule each; on at most BENCH_SEED_FWD_MAX forwards, scaled
 *   netd   the containers configured without forwards, then the file with them, SIGHUP to
 *          READY=1 (netd says READY=1 once its nftables batch is acknowledged)
 *
 * Then the ruleset is counted (`nft -j list ruleset | jq`): rules, and map elements. netd's and
 * the floor's rule count stays the same whatever F is (the per-packet path is a constant number
 * of map lookups); the seed's grows by 2 a forward.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

enum { MAX_FWDS = 8 };

struct fwd_arg {
	int f;
	enum method m;
};

struct fwd_res {
	double s;      /* the install */
	double same_s; /* netd: an unchanged reload with the forwards in place */
	long rules, elements, rules_before, writes;
	int seed_f; /* forwards the seed installed (scaled from) */
};

static void count(long *rules, long *elements)
{
	*rules =
	    sh_num("%s -j list ruleset | jq '[.nftables[] | select(.rule)] | length'", opt.nft);
	*elements = sh_num("%s -j list ruleset | jq '[.nftables[] | select(.map) | "
			   "(.map.elem // []) | length] | add // 0'",
			   opt.nft);
}

/* Forward j: port 10000 + j to container j / each. */
static void fwd_floor(const struct fwd_arg *a, struct fwd_res *res)
{
	int each = a->f / opt.fwd_containers;
	FILE *f = fopen(NFT_PATH, "we");
	char l4[40], l6[64];

	if (!f)
		die("open " NFT_PATH ": %m");
	fprintf(f, "table inet floor {\n");
	for (int fam = 4; fam <= 6; fam += 2) {
		fprintf(f,
			"\tmap fwd%d {\n\t\ttype inet_proto . inet_service : ipv%d_addr . "
			"inet_service\n\t\telements = { ",
			fam, fam);
		for (int j = 0; j < a->f; j++) {
			if (fam == 4)
				ct_local4(j / each, l4, sizeof(l4));
			else
				ct_local6(j / each, l6, sizeof(l6));
			fprintf(f, "%stcp . %d : %s . 80", j ? ", " : "", 10000 + j,
				fam == 4 ? l4 : l6);
		}
		fprintf(f, " }\n\t}\n");
	}
	fprintf(f, "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy "
		   "accept;\n\t\tfib daddr type local jump portfwd\n\t}\n"
		   "\tchain portfwd {\n"
		   "\t\tmeta nfproto ipv4 dnat ip to meta l4proto . th dport map @fwd4\n"
		   "\t\tmeta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @fwd6\n\t}\n}\n");
	if (fflush(f) != 0 || ferror(f))
		die("write " NFT_PATH ": %m");
	fclose(f);
	res->s = run_cmd((char *[]){opt.nft, "-f", NFT_PATH, NULL}, NETD_MS * 4);
}

static void fwd_seed(const struct fwd_arg *a, struct fwd_res *res)
{
	int each = a->f / opt.fwd_containers, k = a->f < opt.seed_fwd_max ? a->f : opt.seed_fwd_max;
	char cmd[512], l4[40], l6[64];
	unsigned long long t0;

	(void)run_cmd((char *[]){opt.nft,
				 "add table inet seed; add chain inet seed prerouting "
				 "{ type nat hook prerouting priority dstnat; policy "
				 "accept; }",
				 NULL},
		      NETD_MS);
	t0 = now_usec();
	for (int j = 0; j < k; j++) {
		ct_local4(j / each, l4, sizeof(l4));
		ct_local6(j / each, l6, sizeof(l6));
		snprintf(cmd, sizeof(cmd),
			 "add rule inet seed prerouting meta nfproto ipv4 tcp dport %d dnat ip to "
			 "%s:80; add rule inet seed prerouting meta nfproto ipv6 tcp dport %d dnat "
			 "ip6 to [%s]:80",
			 10000 + j, l4, 10000 + j, l6);
		seed_step(opt.nft, (char *[]){opt.nft, cmd, NULL});
	}
	res->s = since_s(t0) * a->f / k;
	res->seed_f = k;
}

static void fwd_netd(const struct fwd_arg *a, struct fwd_res *res)
{
	int c = opt.fwd_containers;
	struct netd_status s;
	struct watch w;
	struct proc batch;
	long elements;

	write_netd_conf(c, -1, 0);
	write_links_batch(0, c, V_HOST);
	watch_open(&w, STATE_DIR, false, c);
	(void)netd_start(NETD_MS);
	batch = spawn_or_die((char *[]){opt.ip, "-batch", BATCH_PATH, NULL}, -1, -1, NULL);
	(void)watch_wait_all(&w, c, now_usec() + burst_ms(c) * 1000ULL, &batch, NULL);
	if (proc_wait(&batch, batch_ms(c)) != 0)
		die("ip -batch failed");
	proc_done(&batch);
	watch_close(&w);
	(void)netd_reload(&s);
	count(&res->rules_before, &elements);

	write_netd_conf(c, -1, a->f / c);
	res->s = netd_reload(&s);
	if (s.configured != c || s.pending || s.failed)
		die_netd("after the forwards' reload: %s", netd_status_str(&s));
	res->writes = s.writes;
	res->same_s = netd_reload(&s);
	res->writes = s.writes - res->writes;
	netd_stop();
}

static void fwd_sandbox(const void *arg, void *result)
{
	const struct fwd_arg *a = arg;
	struct fwd_res *res = result;

	switch (a->m) {
	case M_FLOOR:
		fwd_floor(a, res);
		break;
	case M_SEED:
		fwd_seed(a, res);
		break;
	case M_NETD:
		fwd_netd(a, res);
		break;
	default:
		die("no such method");
	}
	count(&res->rules, &res->elements);
	if (a->m == M_NETD && res->elements != 2L * a->f)
		die("netd: %ld map elements after installing %d forwards, expected %d",
		    res->elements, a->f, 2 * a->f);
	if (a->m == M_NETD && res->writes != 0)
		die("netd: an unchanged reload with %d forwards wrote %ld", a->f, res->writes);
}

void fwd_experiment(const int *fwds, int n_fwds)
{
	static const enum method ms[] = {M_FLOOR, M_SEED, M_NETD};
	static const char *const label[] = {"floor (one nft -f, maps)",
					    "seed (nft per forward, rules)",
					    "netd reload, SIGHUP to READY=1"};

	printf("\n== 4. Forwards: F port forwards (tcp, each to LocalAddress and LocalAddress6: "
	       "2F entries) installed at once over %d configured containers; %d runs\n",
	       opt.fwd_containers, opt.runs);
	printf("  %6s  %-32s %10s %10s %10s %8s %9s\n", "F", "", "min", "median", "max", "rules",
	       "elements");
	for (int i = 0; i < n_fwds; i++) {
		struct fwd_res res[ARRAY_SIZE(ms)][MAX_RUNS];
		struct series s[ARRAY_SIZE(ms)], same = {.n = 0};
		char what[64];

		if (fwds[i] % opt.fwd_containers != 0)
			die("BENCH_FWD=%d: a multiple of %d expected", fwds[i], opt.fwd_containers);
		for (int r = 0; r < opt.runs; r++)
			for (size_t m = 0; m < ARRAY_SIZE(ms); m++) {
				struct fwd_arg a = {.f = fwds[i], .m = ms[m]};

				snprintf(what, sizeof(what), "forwards F=%d %s run %d", fwds[i],
					 method_name[ms[m]], r + 1);
				run_sandboxed(what, 0, 2L * opt.fwd_containers, fwd_sandbox, &a,
					      &res[m][r], sizeof(res[m][r]), 600000);
			}
		for (size_t m = 0; m < ARRAY_SIZE(ms); m++) {
			s[m].n = 0;
			for (int r = 0; r < opt.runs; r++)
				series_add(&s[m], res[m][r].s);
		}
		for (int r = 0; r < opt.runs; r++)
			series_add(&same, res[2][r].same_s);
		for (size_t m = 0; m < ARRAY_SIZE(ms); m++) {
			char l[64], f[16] = "";

			if (ms[m] == M_SEED && res[m][0].seed_f < fwds[i])
				snprintf(l, sizeof(l), "seed (nft per fwd, on %d, scaled)",
					 res[m][0].seed_f);
			else
				snprintf(l, sizeof(l), "%s", label[m]);
			if (m == 0)
				snprintf(f, sizeof(f), "%d", fwds[i]);
			printf("  %6s  %-32s %s %8ld %9ld\n", f, l, fmt_mmm(&s[m]), res[m][0].rules,
			       res[m][0].elements);
		}
		printf("  %6s  %-32s %s\n", "", "netd unchanged reload, F in place",
		       fmt_mmm(&same));
		printf("  %6s  netd / floor %s | seed / netd %s | netd's rules %ld before the "
		       "forwards, %ld with them\n",
		       "", fmt_ratio(series_median(&s[2]), series_median(&s[0])),
		       fmt_ratio(series_median(&s[1]), series_median(&s[2])),
		       res[2][0].rules_before, res[2][0].rules);
		fflush(stdout);
	}
}
