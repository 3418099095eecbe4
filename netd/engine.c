/* SPDX-License-Identifier: MIT */
/*
 * The engine: events in (rtnl handlers mark work), the deferred pass out (re-dumps, attaching
 * namespaces, planning and queueing requests, verdicts).
 */
#include <fcntl.h>
#include <stdlib.h>

#include "defer.h"
#include "engine.h"
#include "forward.h"
#include "hosts.h"
#include "log.h"
#include "queue.h"
#include "sysctl.h"

/* ---- events: handlers called by the rtnl sessions (no I/O here) ------------------------ */

static struct engine *engine_of(const struct nsview *v)
{
	return v->owner;
}

static void on_link_changed(struct rtnl *s, struct cache_link *cl, const char *old_name,
			    void *userdata)
{
	struct nsview *v = userdata;
	struct engine *e = engine_of(v);
	struct link *l;
	int r = 0;

	if (v == e->host)
		r = claim_host_changed(&e->claims, cl, old_name);
	else if (v->ct)
		r = claim_inside_changed(v->ct, cl);
	else if ((l = nsview_link(v, cl->link.ifindex)))
		link_mark_dirty(l);
	if (r < 0)
		log_error_errno(r, "%s: %s: failed to claim the link", nsview_label(v),
				cl->link.name);
	engine_schedule(e);
}

static void on_link_removed(struct rtnl *s, const struct cache_link *cl, void *userdata)
{
	struct nsview *v = userdata;
	struct engine *e = engine_of(v);

	if (v == e->host)
		claim_host_removed(&e->claims, cl);
	else if (v->ct)
		claim_inside_removed(v->ct, cl);
	else
		link_table_remove(&v->links, cl->link.ifindex);
	engine_schedule(e);
}

static void on_link_touched(struct rtnl *s, int ifindex, void *userdata)
{
	struct nsview *v = userdata;
	struct link *l = nsview_link(v, ifindex);

	if (l) {
		link_mark_dirty(l);
		engine_schedule(engine_of(v));
	}
}

static bool exists_as_ours(const struct nsview *v, const struct op *op)
{
	const struct cache_link *cl = nsview_cache_link(v, op->ifindex);

	if (!cl)
		return true;
	if (op->type == OP_ADDR_ADD)
		return cache_link_has_addr(cl, &op->addr);
	if (op->type == OP_ROUTE_ADD)
		return cache_link_has_route(cl, &op->route);
	return true;
}

/* Enslaving to a bridge that was deleted meanwhile (its ports go before the bridge does). */
static bool master_gone(const struct engine *e, const struct op *op)
{
	const struct cache_link *br;

	if (op->type != OP_LINK_SET || op->link.master <= 0)
		return false;
	br = nsview_cache_link(e->host, op->link.master);
	return !br || strcmp(br->link.kind, "bridge") != 0;
}

/* One text for the log and ERROR=: "IFNAME: add route ... failed: ERRNO TEXT: EXTACK TEXT". */
static void record_failure(struct link *l, const struct op *op, const struct nl_err *err, int r)
{
	_cleanup_free_ char *what = NULL, *error = NULL;
	char desc[128];

	(void)op_describe(op, desc, sizeof(desc));
	if (asprintf(&what, "%s (%s) failed: %s%s%s", desc,
		     nl_type_to_string(apply_request_type(op)), strerror(-r),
		     err->msg[0] ? ": " : "", err->msg) < 0)
		what = NULL;
	if (!l->claim) {
		(void)link_log(l, LOG_WARNING, 0, -r, "%s, ignoring", what ? what : desc);
		link_fail(l, "");
		return;
	}
	(void)link_log(l, LOG_WARNING, 0, -r, "%s", what ? what : desc);
	/* ERROR= goes in the container's own file: the link's name is enough. */
	if (asprintf(&error, "%s: %s", l->ifname, what ? what : desc) < 0)
		error = NULL;
	link_fail(l, error ? error : desc);
}

static void on_request_done(struct rtnl *s, const struct request *req, const struct nl_err *err,
			    void *userdata)
{
	struct nsview *v = userdata;
	struct engine *e = engine_of(v);
	struct link *l = nsview_link(v, req->op.ifindex);
	struct reconcile_answer a;
	int r;

	engine_schedule(e); /* the pass may now be idle, or have room to send */
	if (!l)
		return;
	link_answered(l);
	if (!err)
		return; /* lost: planned again from the cache */
	a = (struct reconcile_answer){
		.op = &req->op,
		.error = err->error,
		.exists_as_ours = exists_as_ours(v, &req->op),
		.cache_stale = rtnl_needs_resync(v->rtnl),
		.overtaken = req->overtaken,
		.stale_config = req->tag != e->generation,
		.master_gone = master_gone(e, &req->op),
		.replans = l->replans,
	};
	switch (reconcile_classify(&a, &r)) {
	case RECONCILE_DONE:
		link_succeeded(l);
		break;
	case RECONCILE_REPLAN:
		link_replanned(l);
		(void)link_log(l, LOG_DEBUG, 0, -r, "%s refused (%s) after the link changed, "
			       "replanning", op_type_to_string(req->op.type), strerror(-r));
		break;
	default:
		record_failure(l, &req->op, err, r);
		if (l->claim)
			container_mark(l->claim->ct, false);
		break;
	}
	if (link_reapable(l))
		link_table_remove(&v->links, l->ifindex);
}

static void on_resync_needed(struct rtnl *s, void *userdata)
{
	struct nsview *v = userdata;
	struct engine *e = engine_of(v);

	if (!list_linked(&v->resync_node))
		list_add_tail(&e->resync, &v->resync_node);
	engine_schedule(e);
}

const struct rtnl_handlers engine_rtnl_handlers = {
	.link_changed = on_link_changed,
	.link_removed = on_link_removed,
	.link_touched = on_link_touched,
	.request_done = on_request_done,
	.resync_needed = on_resync_needed,
};

/* ---- the pass ----------------------------------------------------------------------------- */

static int on_pass(sd_event_source *s, void *userdata);

void engine_schedule(struct engine *e)
{
	int r = defer_schedule(e->event, &e->pass, on_pass, e);

	if (r < 0)
		log_error_errno(r, "Failed to schedule a reconcile pass");
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	engine_schedule(userdata);
	return 0;
}

/*
 * A re-dump keeps coming back torn while the kernel is busy changing links: try again a
 * little later instead of spinning, unless events bring us back sooner.
 */
static void retry_later(struct engine *e)
{
	uint64_t now;
	int r;

	r = sd_event_now(e->event, CLOCK_MONOTONIC, &now);
	if (r >= 0 && !e->retry)
		r = sd_event_add_time(e->event, &e->retry, CLOCK_MONOTONIC, now + 100 * 1000, 0,
				      on_retry, e);
	else if (r >= 0)
		r = sd_event_source_set_time(e->retry, now + 100 * 1000);
	if (r >= 0)
		r = sd_event_source_set_enabled(e->retry, SD_EVENT_ONESHOT);
	if (r < 0)
		engine_schedule(e); /* no timer: retry at once rather than never */
}

/*
 * After a re-dump: every record is planned again; in a container's view, records of links the
 * dump no longer finds go (on the host, claim_rebind_host() unbinds those itself).
 */
static void refresh_records(struct engine *e, struct nsview *v)
{
	struct link_table *t = &v->links;

	for (size_t i = t->n_links; i-- > 0;) {
		struct link *l = t->links[i];

		if (v != e->host && !nsview_cache_link(v, l->ifindex)) {
			if (l->claim)
				l->claim->ifindex = 0;
			link_table_remove(t, l->ifindex);
		} else {
			link_mark_dirty(l);
		}
	}
}

/* Orphan every container namespace whose container has no host link any more. */
static void orphan_linkless(struct engine *e)
{
	for (size_t i = 0; i < e->n_containers; i++) {
		struct container *ct = &e->containers[i];

		if (ct->ns && !container_has_links(ct)) {
			claim_detach_inside(ct);
			(void)engine_orphan(e, TAKE_PTR(ct->ns));
			container_mark(ct, false);
		}
	}
}

/* Bind the host's links anew: after the first dump, a re-dump, a reload. */
static void rebind_host(struct engine *e)
{
	int r = claim_rebind_host(&e->claims);

	if (r < 0)
		log_error_errno(r, "Failed to claim the host's links");
	orphan_linkless(e);
}

static void rebind_view(struct engine *e, struct nsview *v)
{
	int r = 0;

	refresh_records(e, v);
	if (v == e->host)
		rebind_host(e);
	else if (v->ct)
		r = claim_rebind_inside(&e->claims, v->ct);
	else
		claim_release_all(v);
	if (r < 0)
		log_error_errno(r, "%s: failed to claim the links", nsview_label(v));
}

static void resync_all(struct engine *e)
{
	struct list_node *n;

	while ((n = list_pop(&e->resync))) {
		struct nsview *v = container_of(n, struct nsview, resync_node);
		int r;

		log_info("%s: netlink events were lost, re-reading the kernel state",
			 nsview_label(v));
		r = rtnl_resync(v->rtnl);
		if (r < 0) {
			log_warning_errno(r, "%s: re-reading the kernel state failed, retrying",
					  nsview_label(v));
			list_add_tail(&e->resync, &v->resync_node);
			retry_later(e);
			return;
		}
		rebind_view(e, v);
	}
}

static void log_attach_result(struct container *ct, const char *ifname, int r)
{
	const char *name = ct->conf->name;

	if (r == ct->ns_error)
		; /* a retry that found what the last attempt found: said already */
	else if (r == -ENOENT)
		log_info("%s: %s/%s does not exist, configuring the host side only", name,
			 NSATTACH_DIR, name);
	else if (r == -EMEDIUMTYPE)
		log_info("%s: no namespace is mounted on %s/%s, configuring the host side only",
			 name, NSATTACH_DIR, name);
	else if (r == -EXDEV)
		log_warning("%s: the peer of %s is not in %s/%s, configuring the host side only",
			    name, ifname, NSATTACH_DIR, name);
	else if (r < 0)
		log_warning_errno(r, "%s: cannot use %s/%s, configuring the host side only", name,
				  NSATTACH_DIR, name);
	ct->ns_error = r < 0 ? r : 0;
	if (r < 0)
		ct->unmanaged = true;
}

/* Open the container's namespace view, if /run/netns/NAME is where the peer of hl lives. */
static void open_view(struct engine *e, struct container *ct, const struct nl_link *hl)
{
	struct nsattach_id id;
	int fd, r;

	fd = nsattach_open(e->host->rtnl, ct->conf->name, hl->link_netnsid, &id);
	r = fd;
	if (fd >= 0) {
		r = nsview_new(e->event, ct->conf->name, fd, &id, e->host, e->home_fd, e->rcvbuf,
			       &engine_rtnl_handlers, e, &e->dirty, &ct->ns);
		safe_close(fd);
	}
	if (r >= 0)
		ct->ns->ct = ct;
	log_attach_result(ct, hl->name, r);
}

/*
 * Decide where the container side is. While a peer is still in our own namespace nothing is
 * decided (it may yet be moved into the container); a peer elsewhere is used only through
 * /run/netns/NAME, and only when that is its namespace.
 */
static void find_view(struct engine *e, struct container *ct)
{
	for (size_t i = 0; i < ct->n_eps && !ct->ns && !ct->unmanaged; i += 2) {
		const struct cache_link *hl = nsview_cache_link(e->host, ct->eps[i].ifindex);

		if (!hl)
			continue;
		if (!hl->link.has_link_netnsid) {
			/* Without a namespace of its own the peer stays here: host side only. */
			if (!nsattach_exists(ct->conf->name))
				ct->unmanaged = true;
			continue;
		}
		open_view(e, ct, &hl->link);
	}
}

/*
 * /run/netns/NAME went away (`ip netns del`, spawn exiting) or names another namespace: let
 * go of the old one at once. Our sockets in it would keep it, and with it the container's
 * links, alive. A name that appeared makes a host-only container worth another look.
 */
static void recheck_view(struct container *ct)
{
	ct->recheck = false;
	if (ct->ns && !nsattach_still_named(ct->conf->name, &ct->ns->id)) {
		ct->ns = nsview_free(ct->ns);
		claim_detach_inside(ct);
		ct->unmanaged = true;
	} else if (!ct->ns && container_has_links(ct)) {
		ct->unmanaged = false;
	}
}

static void attach(struct engine *e, struct container *ct)
{
	int r;

	if (ct->recheck)
		recheck_view(ct);
	ct->attach = false;
	if (!container_has_links(ct))
		return;
	find_view(e, ct);
	r = claim_rebind_inside(&e->claims, ct);
	if (r < 0)
		log_error_errno(r, "%s: failed to claim the container's links", ct->conf->name);
}

static void attach_all(struct engine *e)
{
	struct list_node *n;

	for (n = e->work.next; n != &e->work; n = n->next) {
		struct container *ct = container_of(n, struct container, work_node);

		if (ct->attach || ct->recheck)
			attach(e, ct);
	}
}

static void plan_all(struct engine *e)
{
	struct queue_ctx q = {
		.host = e->host,
		.home_fd = e->home_fd,
		.generation = e->generation,
		.writes = &e->writes,
	};

	queue_dirty(&e->dirty, &q);
}

/*
 * A forward reached through 127.0.0.1 is routed to the container only with route_localnet on
 * the link it leaves through (the table masquerades exactly that traffic and drops martians).
 */
static void enable_localnet(struct engine *e, struct container *ct)
{
	const char *ifname = container_forward_link(ct, e->host);
	int r;

	if (ct->localnet || !ifname || !ct->conf->n_forwards || !ct->conf->veth.local_addr4.family)
		return;
	r = nsview_host_sysctl_dir(e->host);
	if (r >= 0)
		r = sysctl_localnet_enable(r, ifname);
	if (r < 0 && r != -ENOENT)
		log_warning_errno(r, "%s: cannot set route_localnet on %s, 127.0.0.1 will not reach "
				  "its forwards", ct->conf->name, ifname);
	ct->localnet = r >= 0;
}

/*
 * Verdicts and state files. Containers whose links moved meanwhile (a refreshed peer) are
 * attached by the next pass; those whose table entries must change first are judged again by
 * on_pass() once the table is synced.
 */
static void judge_all(struct engine *e)
{
	struct list_node later = LIST_HEAD_INIT(later), again = LIST_HEAD_INIT(again), *n;
	bool schedule = false;

	while ((n = list_pop(&e->work))) {
		struct container *ct = container_of(n, struct container, work_node);
		bool listed = hosts_lists(ct);

		if (ct->attach || ct->recheck) {
			list_add_tail(&later, n);
			schedule = true;
			continue;
		}
		if (container_update_state(ct, e->host, e->state_dir, &e->counts) > 0) {
			e->forwards_dirty = true;
			list_add_tail(&again, n);
		}
		if (hosts_lists(ct) != listed)
			engine_hosts_changed(e);
		if (ct->forwarding)
			enable_localnet(e, ct);
	}
	while ((n = list_pop(&later)) || (n = list_pop(&again)))
		list_add_tail(&e->work, n);
	if (schedule)
		engine_schedule(e);
}

static void reap_orphans(struct engine *e)
{
	for (size_t i = 0; i < e->n_orphans;) {
		struct nsview *v = e->orphans[i];

		link_table_reap(&v->links);
		if (!nsview_busy(v) || !nsattach_still_named(v->name, &v->id)) {
			nsview_free(v);
			e->orphans[i] = e->orphans[--e->n_orphans];
		} else {
			i++;
		}
	}
}

static bool forward_active(const struct conf_container *cc, void *userdata)
{
	const struct engine *e = userdata;

	return e->containers[cc - e->conf->containers].forwarding;
}

/* The containers a failed (or repaired) table concerns get a new verdict. */
static void forwards_failed(struct engine *e, char *error)
{
	free(e->forward_error);
	e->forward_error = error;
	for (size_t i = 0; i < e->n_containers; i++) {
		struct container *ct = &e->containers[i];
		const char *err = ct->forwarding && container_has_forwards(ct) ? error : NULL;

		if (ct->forward_error != err) {
			ct->forward_error = err;
			container_mark(ct, false);
		}
	}
}

static void forwarding_enable(struct engine *e, const struct forward_set *s)
{
	int r = nsview_host_sysctl_dir(e->host);

	if (r >= 0)
		r = sysctl_forwarding_enable(r, forward_set_needs_ipv4(s),
					     forward_set_needs_ipv6(s));

	if (r < 0)
		log_warning_errno(r, "Failed to enable IP forwarding, forwards will not reach the "
				  "containers");
	if (r > 0)
		log_notice("Enabled %s%s%s forwarding for the port forwards and masquerade",
			   r & SYSCTL_FORWARDING_IPV4 ? "IPv4" : "",
			   r == (SYSCTL_FORWARDING_IPV4 | SYSCTL_FORWARDING_IPV6) ? " and " : "",
			   r & SYSCTL_FORWARDING_IPV6 ? "IPv6" : "");
}

/* One batch makes the table carry the forwards of exactly the active containers. */
static void sync_forwards(struct engine *e)
{
	_cleanup_free_ char *error = NULL;
	struct forward_set *s = NULL;
	struct nl_err err = {};
	int r;

	e->forwards_dirty = false;
	r = forward_set_build(e->conf, forward_active, e, &s);
	if (r >= 0)
		r = nft_sync(e->nft, s, &err);
	if (r < 0) {
		log_error_errno(r, "Failed to install the port forwards%s%s", err.msg[0] ? ": " : "",
				err.msg);
		if (asprintf(&error, "installing port forwards failed: %s%s%s", strerror(-r),
			     err.msg[0] ? ": " : "", err.msg) < 0)
			error = NULL;
		forwards_failed(e, TAKE_PTR(error));
	} else {
		if (r > 0)
			log_info("Port forwards: %d element changes", r);
		if (e->forward_error)
			forwards_failed(e, NULL);
		forwarding_enable(e, s);
	}
	forward_set_free(s);
}

static int on_hosts_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct engine *e = userdata;
	int r = hosts_write(e->state_dir, e->containers, e->n_containers);

	if (r < 0)
		log_warning_errno(r, "Failed to write %s/%s, ignoring", e->state_dir, HOSTS_FILE);
	return 0;
}

/*
 * The file is rewritten whole: during a burst of containers coming up, changes within
 * HOSTS_DELAY_USEC make one write, not one per container.
 */
#define HOSTS_DELAY_USEC (50 * 1000)

void engine_hosts_changed(struct engine *e)
{
	uint64_t now;
	int enabled = SD_EVENT_OFF, r;

	if (e->hosts_timer && sd_event_source_get_enabled(e->hosts_timer, &enabled) >= 0 &&
	    enabled != SD_EVENT_OFF)
		return; /* a write is already due */
	r = sd_event_now(e->event, CLOCK_MONOTONIC, &now);
	if (r >= 0 && !e->hosts_timer)
		r = sd_event_add_time(e->event, &e->hosts_timer, CLOCK_MONOTONIC,
				      now + HOSTS_DELAY_USEC, 0, on_hosts_timer, e);
	else if (r >= 0)
		r = sd_event_source_set_time(e->hosts_timer, now + HOSTS_DELAY_USEC);
	if (r >= 0)
		r = sd_event_source_set_enabled(e->hosts_timer, SD_EVENT_ONESHOT);
	if (r < 0)
		(void)on_hosts_timer(NULL, 0, e); /* no timer: write at once rather than never */
}

static int on_pass(sd_event_source *s, void *userdata)
{
	struct engine *e = userdata;

	resync_all(e);
	attach_all(e);
	plan_all(e);
	judge_all(e);
	if (e->forwards_dirty) {
		sync_forwards(e);
		judge_all(e); /* verdicts of containers the table's fate concerns */
	}
	reap_orphans(e);
	if (e->on_pass)
		e->on_pass(e->userdata);
	return 0;
}

static bool view_busy(const struct nsview *v)
{
	return v && (rtnl_inflight(v->rtnl) > 0 || rtnl_needs_resync(v->rtnl));
}

bool engine_busy(const struct engine *e)
{
	if (!list_empty(&e->dirty) || !list_empty(&e->resync) || view_busy(e->host))
		return true;
	for (size_t i = 0; i < e->n_containers; i++)
		if (view_busy(e->containers[i].ns))
			return true;
	for (size_t i = 0; i < e->n_orphans; i++)
		if (view_busy(e->orphans[i]))
			return true;
	return false;
}

void engine_netns_changed(struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_containers; i++) {
		struct container *ct = &e->containers[i];

		if (name && strcmp(ct->conf->name, name) != 0)
			continue;
		ct->recheck = true;
		container_mark(ct, true);
	}
	/* Orphans whose name went are let go in the pass (reap_orphans()). */
	engine_schedule(e);
}

int engine_orphan(struct engine *e, struct nsview *v)
{
	struct nsview **o = reallocarray(e->orphans, e->n_orphans + 1, sizeof(*o));

	if (!o) {
		nsview_free(v);
		return -ENOMEM;
	}
	e->orphans = o;
	v->ct = NULL;
	claim_release_all(v);
	e->orphans[e->n_orphans++] = v;
	engine_schedule(e);
	return 0;
}

struct nsview *engine_adopt_orphan(struct engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_orphans; i++) {
		struct nsview *v = e->orphans[i];

		if (streq_ptr(v->name, name)) {
			e->orphans[i] = e->orphans[--e->n_orphans];
			return v;
		}
	}
	return NULL;
}

int engine_new(sd_event *event, const struct conf *conf, const char *state_dir, int rcvbuf,
	       void (*on_pass_cb)(void *userdata), void *userdata, struct engine **ret)
{
	struct engine *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	e->event = sd_event_ref(event);
	e->conf = conf;
	e->rcvbuf = rcvbuf;
	e->on_pass = on_pass_cb;
	e->userdata = userdata;
	list_init(&e->dirty);
	list_init(&e->work);
	list_init(&e->resync);
	e->home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (e->home_fd < 0) {
		r = -errno;
		engine_free(e);
		return r;
	}
	e->state_dir = strdup(state_dir);
	r = e->state_dir ? container_table_new(conf, &e->containers) : -ENOMEM;
	if (r >= 0) {
		e->n_containers = conf->n_containers;
		container_table_set_work(e->containers, e->n_containers, &e->work);
		r = claim_index_build(e->containers, e->n_containers, &e->claims);
	}
	if (r < 0) {
		engine_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

struct engine *engine_free(struct engine *e)
{
	if (!e)
		return NULL;
	container_table_free(e->containers, e->n_containers);
	for (size_t i = 0; i < e->n_orphans; i++)
		nsview_free(e->orphans[i]);
	free(e->orphans);
	nsview_free(e->host);
	nft_free(e->nft);
	free(e->forward_error);
	claim_index_done(&e->claims);
	sd_event_source_disable_unref(e->pass);
	sd_event_source_disable_unref(e->retry);
	sd_event_source_disable_unref(e->hosts_timer);
	safe_close(e->home_fd);
	free(e->state_dir);
	sd_event_unref(e->event);
	free(e);
	return NULL;
}

int engine_start(struct engine *e)
{
	int r;

	r = nsview_new(e->event, NULL, -1, NULL, NULL, e->home_fd, e->rcvbuf, &engine_rtnl_handlers,
		       e, &e->dirty, &e->host);
	if (r < 0)
		return r;
	e->claims.host = e->host;
	r = nft_new(&e->nft);
	if (r < 0)
		return r;
	e->forwards_dirty = true; /* the table is created, or adopted, at start */
	engine_hosts_changed(e); /* a file left by an earlier run is replaced */
	rebind_host(e);
	container_prune_state_dir(e->containers, e->conf, e->state_dir);
	engine_schedule(e);
	return 0;
}

void engine_rebind(struct engine *e)
{
	rebind_host(e);
	engine_schedule(e);
}
