/* SPDX-License-Identifier: MIT */
/* Reloading the config: load, build the new containers, carry runtime state over, swap. */
#include <stdlib.h>

#include "log.h"
#include "reload.h"

int reload_load(const char *path, struct conf **ret)
{
	struct conf *c = NULL;
	int r = conf_load(path, &c);

	if (r == -EINVAL) {
		for (size_t i = 0; i < c->n_errors; i++)
			log_error("%s", c->errors[i]);
		conf_free(c);
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to read %s", path);
	*ret = c;
	return 0;
}

/* A dropped container: its state file goes, its namespace view is released as an orphan. */
static int drop_container(struct engine *e, struct container *old)
{
	container_remove_state(old, e->state_dir, &e->counts);
	return old->ns ? engine_orphan(e, TAKE_PTR(old->ns)) : 0;
}

static void carry_one(struct container *ct, struct container *old)
{
	ct->ns = TAKE_PTR(old->ns);
	if (ct->ns)
		ct->ns->ct = ct;
	ct->unmanaged = old->unmanaged;
	ct->ns_error = old->ns_error;
	ct->state = old->state;
	ct->since_usec = old->since_usec;
	ct->has_state = old->has_state;
	ct->state_hash = old->state_hash;
	ct->forwarding = old->forwarding;
	ct->localnet = old->localnet;
}

/*
 * A container whose links are declared as before keeps its bindings and its records' state:
 * nothing of it is planned or judged again (its verdict only when its forwards changed). The
 * others forget theirs and are bound anew by the rebind that follows; so does a failed one,
 * because any accepted reload tries a failed container again.
 */
static int carry_container(struct engine *e, struct container *old, struct container *ct)
{
	if (!ct || !ct->conf->private_network) {
		claim_forget_host(e->host, old);
		if (old->ns)
			claim_forget_all(old->ns);
		return drop_container(e, old);
	}
	if (container_same_links(old->conf, ct->conf) &&
	    !(old->has_state && old->state == STATE_FAILED)) {
		claim_carry(e->host, old, ct);
		if (!container_same_forwards(old->conf, ct->conf))
			container_mark(ct, false);
	} else {
		claim_forget_host(e->host, old);
		if (old->ns)
			claim_forget_all(old->ns);
		container_mark(ct, true);
	}
	carry_one(ct, old);
	return 0;
}

static int carry_runtime(struct engine *e, struct container *cts, const struct conf *next)
{
	int r = 0;

	for (size_t i = 0; i < e->n_containers; i++) {
		struct container *old = &e->containers[i];

		if (carry_container(e, old, container_table_find(cts, next, old->conf->name)) < 0)
			r = -ENOMEM;
	}
	/* A container declared again before its orphaned namespace was let go takes it back. */
	for (size_t i = 0; i < next->n_containers && e->n_orphans; i++)
		if (!cts[i].ns && (cts[i].ns = engine_adopt_orphan(e, next->containers[i].name)))
			cts[i].ns->ct = &cts[i];
	return r;
}

int reload_swap(struct engine *e, const struct conf *next)
{
	struct container *cts;
	struct claims claims;
	int r;

	/* What can fail without harm comes first: without its claims, the rebinding would
	 * release every link netd configured. */
	r = container_table_new(next, &cts);
	if (r < 0)
		return r;
	r = claim_index_build(cts, next->n_containers, &claims);
	if (r < 0) {
		container_table_free(cts, next->n_containers);
		return r;
	}
	container_table_set_work(cts, next->n_containers, &e->work);
	r = carry_runtime(e, cts, next);
	container_table_free(e->containers, e->n_containers);
	claim_index_done(&e->claims);
	e->containers = cts;
	e->n_containers = next->n_containers;
	e->claims = claims;
	e->claims.host = e->host;
	e->conf = next;
	e->generation++;
	/* The forwards follow the new declaration. What someone did to the table meanwhile is
	 * repaired too: the sync reads it again whenever the ruleset generation moved. */
	e->forwards_dirty = true;
	engine_hosts_changed(e); /* addresses may have changed */
	e->counts = (struct container_counts){};
	for (size_t i = 0; i < next->n_containers; i++)
		container_count(&cts[i], &e->counts);
	engine_rebind(e);
	return r < 0 ? 1 : 0;
}
