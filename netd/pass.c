/* SPDX-License-Identifier: MIT */
/* The deferred reconcile pass, container states and sd_notify. */
#include <stdlib.h>

#include "endpoint.h"
#include "log.h"
#include "notify.h"
#include "pass.h"

static int on_pass(sd_event_source *s, void *userdata);

void pass_schedule(struct manager *m)
{
	int r;

	if (!m->pass) {
		r = sd_event_add_defer(m->event, &m->pass, on_pass, m);
		if (r < 0) {
			log_error_errno(r, "Failed to schedule a reconcile pass");
			return;
		}
	}
	(void)sd_event_source_set_enabled(m->pass, SD_EVENT_ONESHOT);
}

/* The bridge name a link's declaration puts it in, or NULL. */
static const char *declared_bridge(const struct cache_link *cl)
{
	return cl->owner && !cl->owner->inside ? cl->owner->veth->host_bridge : NULL;
}

static int bridge_ifindex(struct manager *m, const struct cache_link *cl)
{
	const char *name = declared_bridge(cl);
	struct cache_link *br = name ? manager_find_bridge(m, name) : NULL;

	return br ? br->link.ifindex : 0;
}

/*
 * A released link keeps only what netd did not give it (an empty desired state). Bridge
 * membership is netd's as well: a link still in the bridge netd put it in leaves it when the
 * declaration no longer names that bridge (released, HostBridge dropped or changed). A bridge
 * renamed away keeps its port: the declaration did not change, the bridge is only missing.
 */
static void plan(struct manager *m, struct cache_link *cl, struct op_list *ops)
{
	struct desired d = { .master = -1 };

	if (cl->owner)
		endpoint_desired(cl->owner, cl->link.ifindex, bridge_ifindex(m, cl), &d);
	if (d.master > 0) {
		cl->bridge = d.master;
		(void)snprintf(cl->bridge_name, sizeof(cl->bridge_name), "%s", declared_bridge(cl));
	} else if (cl->bridge > 0 && cl->link.master == cl->bridge) {
		if (!streq_ptr(declared_bridge(cl), cl->bridge_name))
			d.master = 0;
	} else {
		cl->bridge = 0;
	}
	reconcile_link(&d, cl, ops);
}

/* Returns true when the link is still waiting (ops could not be queued). */
static bool reconcile_one(struct manager *m, struct netns *ns, struct cache_link *cl)
{
	struct op_list ops;
	char buf[128];
	int r;

	plan(m, cl, &ops);
	if (!netns_can_send(ns, ops.n))
		return true; /* the ACKs of what is in flight make room and run us again */
	for (size_t i = 0; i < ops.n; i++) {
		log_debug("%s: %s", cl->link.name, op_describe(&ops.ops[i], buf, sizeof(buf)));
		r = netns_queue(ns, &ops.ops[i]);
		if (r < 0) {
			log_warning_errno(r, "%s: failed to queue a request, retrying", cl->link.name);
			return true;
		}
		m->writes++;
	}
	/*
	 * Planned: the ACKs mark the link dirty again for its next phase. Nothing planned: it is
	 * as declared (an owned link may be configured now, a released one is forgotten).
	 */
	cl->dirty = false;
	if (ops.n == 0)
		cl->release = false;
	if (cl->owner)
		cl->owner->ct->dirty = true;
	return false;
}

static bool reconcile_ns(struct manager *m, struct netns *ns)
{
	bool busy = false;
	int r;

	/* Events were lost and the re-dump has not succeeded yet: the cache cannot be trusted. */
	if (ns->resync)
		return true;

	for (size_t i = 0; i < ns->cache.n_links; i++) {
		struct cache_link *cl = ns->cache.links[i];

		if (!cl->dirty)
			continue;
		if ((!cl->owner && !cl->release) || (cl->owner && cl->owner->error)) {
			cl->dirty = false; /* not ours, or failed: retried on a new link or reload */
			continue;
		}
		if (cl->inflight) {
			busy = true;
			continue;
		}
		busy |= reconcile_one(m, ns, cl);
	}
	r = netns_flush(ns);
	if (r < 0)
		log_warning_errno(r, "%s: failed to send requests, retrying", netns_label(ns));
	return busy || ns->n_inflight > 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	pass_schedule(userdata);
	return 0;
}

/*
 * A re-dump keeps coming back torn while the kernel is busy changing links: try again a
 * little later instead of spinning, unless events bring us back sooner.
 */
static void retry_later(struct manager *m)
{
	uint64_t now;
	int r;

	r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	if (r >= 0 && !m->retry)
		r = sd_event_add_time(m->event, &m->retry, CLOCK_MONOTONIC, now + 100 * 1000, 0,
				      on_retry, m);
	else if (r >= 0)
		r = sd_event_source_set_time(m->retry, now + 100 * 1000);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->retry, SD_EVENT_ONESHOT);
	if (r < 0)
		pass_schedule(m); /* no timer: retry at once rather than never */
}

static void resync(struct manager *m, struct netns *ns)
{
	int r;

	if (!ns->resync)
		return;
	log_info("%s: netlink events were lost, re-reading the kernel state",
		 netns_label(ns));
	r = netns_read_events(ns);
	if (r >= 0)
		r = netns_resync(ns);
	if (r < 0) {
		log_warning_errno(r, "%s: re-reading the kernel state failed, retrying",
				  netns_label(ns));
		retry_later(m);
		return;
	}
	manager_rebind_ns(m, ns);
}

static bool orphan_done(const struct netns *ns)
{
	if (ns->n_inflight)
		return false;
	for (size_t i = 0; i < ns->cache.n_links; i++)
		if (ns->cache.links[i]->release)
			return false;
	return true;
}

static bool reconcile_orphans(struct manager *m)
{
	bool busy = false;

	for (size_t i = 0; i < m->n_orphans;) {
		struct netns *ns = m->orphans[i];

		resync(m, ns);
		busy |= reconcile_ns(m, ns);
		if (orphan_done(ns)) {
			netns_free(ns);
			m->orphans[i] = m->orphans[--m->n_orphans];
		} else {
			i++;
		}
	}
	return busy;
}

static bool reconcile_all(struct manager *m)
{
	bool busy;

	resync(m, m->host);
	for (size_t i = 0; i < m->n_containers; i++)
		if (m->containers[i].ns)
			resync(m, m->containers[i].ns);
	busy = reconcile_ns(m, m->host);
	for (size_t i = 0; i < m->n_containers; i++)
		if (m->containers[i].ns)
			busy |= reconcile_ns(m, m->containers[i].ns);
	busy |= reconcile_orphans(m);
	return busy || m->host->resync;
}

struct counts {
	unsigned configured, pending, failed, unmanaged;
};

static void count_states(const struct manager *m, struct counts *ret)
{
	*ret = (struct counts){};
	for (size_t i = 0; i < m->n_containers; i++) {
		const struct container *ct = &m->containers[i];

		if (!ct->state_text)
			continue;
		ret->configured += ct->state == STATE_CONFIGURED;
		ret->pending += ct->state == STATE_PENDING;
		ret->failed += ct->state == STATE_FAILED;
		ret->unmanaged += ct->unmanaged;
	}
}

static char *format_status(const struct manager *m)
{
	struct counts c;
	char *s;

	count_states(m, &c);
	if (asprintf(&s,
		     "STATUS=configured=%u pending=%u failed=%u unmanaged=%u writes=%llu "
		     "reloads=%u rejected=%u",
		     c.configured, c.pending, c.failed, c.unmanaged, (unsigned long long)m->writes,
		     m->reloads, m->rejected) < 0)
		return NULL;
	return s;
}

void pass_notify(struct manager *m, bool ready)
{
	_cleanup_free_ char *status = format_status(m);

	if (!status || (!ready && streq_ptr(status, m->status)))
		return;
	if (ready) {
		_cleanup_free_ char *msg = NULL;

		if (asprintf(&msg, "READY=1\n%s", status) >= 0)
			(void)notify_send(msg, true);
		log_info("ready: %s", status + strlen("STATUS="));
	} else {
		(void)notify_send(status, false);
	}
	free(m->status);
	m->status = TAKE_PTR(status);
}

static int on_pass(sd_event_source *s, void *userdata)
{
	struct manager *m = userdata;
	bool busy = reconcile_all(m);

	for (size_t i = 0; i < m->n_containers; i++)
		if (m->containers[i].dirty)
			container_update_state(&m->containers[i]);
	if ((m->starting || m->reloading) && !busy) {
		m->reloads += m->reloading;
		m->starting = m->reloading = false;
		pass_notify(m, true);
	} else {
		pass_notify(m, false);
	}
	return 0;
}
