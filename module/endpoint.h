/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: endpoints and the links between them (endpoint.c), and messaging
 * over links (link.c, which builds on endpoint.c and is never called by it).
 *
 * Locking:
 *   mbox_links_lock (mutex, endpoint.c): the pid table of endpoints, every
 *	endpoint's @links, @nr_links and @dead; links are made and torn down
 *	under it. mbox_registry_lock nests inside it (an endpoint is published
 *	under it); no spinlock is held across it. An endpoint's @links is
 *	also walked under RCU alone, to find an existing link by pid
 *	(mbox_link_lookup()): links are added and removed with the list's
 *	RCU helpers and freed after a grace period.
 *   mbox_ep.inbox.lock (the inbox queue's lock, see queue.h): also protects
 *	the flows (struct mbox_chan.flow) of the link directions delivering to
 *	this endpoint.
 *   mbox_ep.pending_lock (spinlock): @pending and @pending_closed. Taken
 *	with no other lock held.
 * The order of every lock of the module is written once, in
 * docs/internals.md ("Locks").
 */
#ifndef _MBOX_ENDPOINT_H
#define _MBOX_ENDPOINT_H

#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "queue.h"
#include "registry.h"

struct mbox_ep;
struct mbox_link;

/**
 * struct mbox_chan - one direction of a link: the messages queued to @to
 * @link: the link it belongs to
 * @to: the receiving endpoint
 * @flow: its messages' stream in @to's inbox (under the inbox's lock)
 */
struct mbox_chan {
	struct mbox_link *link;
	struct mbox_ep *to;
	struct mbox_flow flow;
};

/**
 * struct mbox_link - the one link between two endpoints
 * @ref: references: the endpoints' tables while alive, descriptors, queued
 *	messages, calls in progress
 * @id: unique while the module is loaded
 * @ep: the two ends (a reference on each)
 * @pid: pid[i] is ep[i]->pid, for the lockless lookup to compare (never
 *	dereferenced there)
 * @unlisted: set (under mbox_links_lock) before @end leaves the lists:
 *	the lockless lookup does not use a link it finds with it set
 * @end: end[i] is in ep[i]'s @links while the link is alive (changed under
 *	mbox_links_lock, walked under RCU too)
 * @chan: chan[i] carries messages to ep[i]
 * @rcu: the link is freed after a grace period (the lockless lookup)
 */
struct mbox_link {
	struct kref ref;
	u64 id;
	struct mbox_ep *ep[2];
	struct pid *pid[2];
	bool unlisted;
	struct mbox_link_end {
		struct list_head node;
		struct mbox_link *link;
	} end[2];
	struct mbox_chan chan[2];
	struct rcu_head rcu;
};

/**
 * struct mbox_ep - a process's endpoint
 * @obj: ID, owner, mode, quota, references (descriptors, links)
 * @pid: the process (thread group) it belongs to
 * @pid_node: in the pid table while alive (under mbox_links_lock)
 * @links: its links (under mbox_links_lock)
 * @nr_links: how many (written with WRITE_ONCE(): mbox_ep_fill_info()
 *	reads it without the lock)
 * @dead: shut down (under mbox_links_lock)
 * @capacity: as created
 * @msg_size_max: as created
 * @inbox: the messages sent to it, from every peer
 * @pending_lock: protects @pending and @pending_closed
 * @pending: calls it received and has not answered (struct mbox_call_rec)
 * @pending_closed: shut down: a record that arrives now is freed at once
 * @exit_wait: on @pid's pidfd wait queue, to learn of the process's exit
 * @exit_work: shuts the endpoint down after the exit
 */
struct mbox_ep {
	struct mbox_obj obj;
	struct pid *pid;
	struct hlist_node pid_node;
	struct list_head links;
	u64 nr_links;
	bool dead;
	u32 capacity;
	u32 msg_size_max;
	struct mbox_queue inbox;
	spinlock_t pending_lock;	/* protects @pending, @pending_closed */
	struct list_head pending;
	bool pending_closed;
	struct wait_queue_entry exit_wait;
	struct work_struct exit_work;
};

/**
 * struct mbox_call_rec - a call a server has received and not answered
 * @node: in the server's @pending (under its pending_lock)
 * @id: the call
 * @link: the link to answer on (a reference)
 */
struct mbox_call_rec {
	struct list_head node;
	u64 id;
	struct mbox_link *link;
};

/* endpoint.c */
struct mbox_ep *mbox_ep_new(const struct mbox_endpoint *cmd);
int mbox_ep_publish(struct mbox_ep *ep);
void mbox_ep_discard(struct mbox_ep *ep);
void mbox_ep_close(struct mbox_ep *ep);
void mbox_ep_get(struct mbox_ep *ep);
void mbox_ep_put(struct mbox_ep *ep);
void mbox_ep_fill_info(struct mbox_endpoint_info *info, struct mbox_ep *ep,
		       struct pid_namespace *ns);
/* How mbox_link_lookup() looks. */
#define MBOX_LOOKUP_CREATE	BIT(0)	/* make the link if there is none */
#define MBOX_LOOKUP_PIDFD	BIT(1)	/* the number is a pidfd */
struct mbox_link *mbox_link_lookup(struct mbox_ep *me, s32 nr, unsigned int how);
void mbox_link_get(struct mbox_link *link);
void mbox_link_put(struct mbox_link *link);
int mbox_link_side(const struct mbox_link *link, const struct mbox_ep *ep);
void mbox_pending_add(struct mbox_ep *ep, struct mbox_call_rec *rec);
struct mbox_call_rec *mbox_pending_take(struct mbox_ep *ep, u64 id);
void mbox_call_rec_free(struct mbox_call_rec *rec);

/* link.c */
int mbox_endpoint_create(struct mbox_ucmd *ucmd);

#endif /* _MBOX_ENDPOINT_H */
