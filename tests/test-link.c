/* SPDX-License-Identifier: MIT */
/*
 * Link records: the state machine driven by fake events (claims, plans, answers, failures,
 * releases), the dirty list, and the table's lookup and reaping. No kernel.
 */
#include <criterion/criterion.h>

#include "endpoint.h"
#include "link.h"

static struct list_node dirty;
static struct link_table table;
static struct endpoint ep_a, ep_b;

static void setup(void)
{
	list_init(&dirty);
	link_table_init(&table, &dirty);
}

static void teardown(void)
{
	link_table_done(&table);
	cr_expect(list_empty(&dirty), "freed records left the dirty list");
}

TestSuite(link, .init = setup, .fini = teardown);

static struct link *new_link(int ifindex)
{
	struct link *l = NULL;

	cr_assert_eq(link_table_ensure(&table, NULL, ifindex, &l), 0);
	cr_assert_not_null(l);
	return l;
}

static bool on_dirty_list(const struct link *l)
{
	for (const struct list_node *n = dirty.next; n != &dirty; n = n->next)
		if (n == &l->dirty_node)
			return true;
	return false;
}

/* Each step: an event, then the state and whether the link waits to be planned. */
enum step_kind { CLAIM_A, CLAIM_B, PLAN_SOME, PLAN_NONE, ANSWER, FAIL, RELEASE, DISOWN, FORGET };

struct step {
	enum step_kind kind;
	enum link_state want;
	bool want_dirty; /* after the step, before anything takes it off the list */
};

static void run_step(struct link *l, const struct step *s)
{
	switch (s->kind) {
	case CLAIM_A:
		link_claim(l, &ep_a, "a", "ve-a");
		break;
	case CLAIM_B:
		link_claim(l, &ep_b, "b", "ve-b");
		break;
	case PLAN_SOME:
		link_take(l);
		link_sent(l);
		link_planned(l, 1);
		break;
	case PLAN_NONE:
		link_take(l);
		link_planned(l, 0);
		break;
	case ANSWER:
		link_answered(l);
		break;
	case FAIL:
		link_fail(l, "ve-a: add address 10.0.0.1/32 failed: File exists");
		break;
	case RELEASE:
		link_release(l);
		break;
	case DISOWN:
		link_disown(l);
		break;
	case FORGET:
		link_forget_claim(l);
		break;
	}
}

Test(link, state_transitions)
{
	static const struct {
		const char *name;
		struct step steps[8];
		size_t n;
	} cases[] = {
		{ "configure, settle",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { PLAN_SOME, LINK_STATE_CONFIGURING, false },
		    { ANSWER, LINK_STATE_CONFIGURING, true },
		    { PLAN_NONE, LINK_STATE_CONFIGURED, false } },
		  4 },
		{ "a change on a configured link: configuring again only if there is work",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { PLAN_NONE, LINK_STATE_CONFIGURED, false },
		    { PLAN_SOME, LINK_STATE_CONFIGURING, false },
		    { ANSWER, LINK_STATE_CONFIGURING, true },
		    { PLAN_NONE, LINK_STATE_CONFIGURED, false } },
		  5 },
		{ "a failure sticks through a claim for the same endpoint (re-dump)",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { PLAN_SOME, LINK_STATE_CONFIGURING, false },
		    { FAIL, LINK_STATE_FAILED, false },
		    { CLAIM_A, LINK_STATE_FAILED, false } },
		  4 },
		{ "a reload forgets the endpoint: the new claim retries a failed link",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { FAIL, LINK_STATE_FAILED, true },
		    { FORGET, LINK_STATE_FAILED, true },
		    { CLAIM_A, LINK_STATE_CONFIGURING, true } },
		  4 },
		{ "claimed by another endpoint",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { PLAN_NONE, LINK_STATE_CONFIGURED, false },
		    { CLAIM_B, LINK_STATE_CONFIGURING, true } },
		  3 },
		{ "release: remove what netd added, then unmanaged",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { PLAN_NONE, LINK_STATE_CONFIGURED, false },
		    { RELEASE, LINK_STATE_RELEASING, true },
		    { PLAN_SOME, LINK_STATE_RELEASING, false },
		    { ANSWER, LINK_STATE_RELEASING, true },
		    { PLAN_NONE, LINK_STATE_UNMANAGED, false } },
		  6 },
		{ "a refusal while releasing gives up instead of failing",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { RELEASE, LINK_STATE_RELEASING, true },
		    { FAIL, LINK_STATE_UNMANAGED, true } },
		  3 },
		{ "a released link claimed again",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { RELEASE, LINK_STATE_RELEASING, true },
		    { CLAIM_A, LINK_STATE_CONFIGURING, true } },
		  3 },
		{ "disowned: renamed away, left as it is",
		  { { CLAIM_A, LINK_STATE_CONFIGURING, true },
		    { PLAN_NONE, LINK_STATE_CONFIGURED, false },
		    { DISOWN, LINK_STATE_UNMANAGED, false } },
		  3 },
		{ "releasing an unclaimed link does nothing",
		  { { RELEASE, LINK_STATE_UNMANAGED, false } },
		  1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct link *l = new_link(10 + (int)i);

		for (size_t j = 0; j < cases[i].n; j++) {
			const struct step *s = &cases[i].steps[j];

			run_step(l, s);
			cr_expect_eq(l->state, s->want, "case \"%s\" step %zu: state %s, want %s",
				     cases[i].name, j, link_state_to_string(l->state),
				     link_state_to_string(s->want));
			cr_expect_eq(on_dirty_list(l), s->want_dirty, "case \"%s\" step %zu: dirty",
				     cases[i].name, j);
		}
	}
}

Test(link, failure_keeps_the_first_error)
{
	struct link *l = new_link(3);

	link_claim(l, &ep_a, "a", "ve-a");
	link_fail(l, "first");
	link_fail(l, "second");
	cr_expect_str_eq(l->error, "first");
	link_claim(l, &ep_b, "b", "ve-b");
	cr_expect_null(l->error, "a new claim clears the error");
	cr_expect_str_eq(l->container, "b", "the log prefix follows the new claim");
	cr_expect_str_eq(l->ifname, "ve-b");
}

Test(link, configured_means_settled)
{
	struct link *l = new_link(4);

	link_claim(l, &ep_a, "a", "ve-a");
	cr_expect_not(link_is_configured(l));
	link_take(l);
	link_planned(l, 0);
	cr_expect(link_is_configured(l));
	link_mark_dirty(l);
	cr_expect_not(link_is_configured(l), "dirty: something changed, not judged yet");
	link_take(l);
	link_sent(l);
	link_planned(l, 1);
	cr_expect_not(link_is_configured(l), "a request in flight");
}

Test(link, replans_count_until_success)
{
	struct link *l = new_link(5);

	link_claim(l, &ep_a, "a", "ve-a");
	link_replanned(l);
	link_replanned(l);
	cr_expect_eq(l->replans, 2);
	link_succeeded(l);
	cr_expect_eq(l->replans, 0);
	link_replanned(l);
	link_claim(l, &ep_b, "b", "ve-b");
	cr_expect_eq(l->replans, 0, "a new claim starts counting afresh");
}

Test(link, table_sorted_lookup_and_reap)
{
	static const int order[] = { 7, 3, 9, 1, 5 };
	struct link *l;

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		new_link(order[i]);
	cr_assert_eq(table.n_links, 5);
	for (size_t i = 1; i < table.n_links; i++)
		cr_expect_lt(table.links[i - 1]->ifindex, table.links[i]->ifindex);
	cr_expect_eq(link_table_get(&table, 9)->ifindex, 9);
	cr_expect_null(link_table_get(&table, 4));
	cr_expect_eq(link_table_ensure(&table, NULL, 9, &l), 0);
	cr_expect_eq(l, link_table_get(&table, 9), "ensure finds the existing record");

	link_claim(link_table_get(&table, 3), &ep_a, "a", "ve-a");
	l = link_table_get(&table, 5);
	link_claim(l, &ep_b, "b", "ve-b");
	link_release(l);
	link_take(l);
	link_sent(l);
	link_planned(l, 1);
	link_table_reap(&table);
	/* 1, 7, 9 were never claimed; 3 is claimed; 5 is releasing with a request in flight */
	cr_expect_eq(table.n_links, 2);
	cr_expect_not_null(link_table_get(&table, 3));
	cr_expect_not_null(link_table_get(&table, 5));
	link_answered(l);
	link_take(l);
	link_planned(l, 0);
	cr_expect(link_reapable(l));
	link_table_remove(&table, 5);
	cr_expect_null(link_table_get(&table, 5));
}
