/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: mailboxes (mailbox.c), their broadcast mode (broadcast.c) and the
 * batch commands' loop (batch.c). Built on the queue and the registry.
 *
 * Locking: a mailbox's queue lock also protects its broadcast
 * subscriptions (@subs, @nr_subs, and each mbox_sub's fields but @lock)
 * and its notification (@notify, see notify.h).
 * mbox_sub.lock (mutex) serialises receives through one subscription; the
 * queue lock nests inside it.
 */
#ifndef _MBOX_MAILBOX_H
#define _MBOX_MAILBOX_H

#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "queue.h"
#include "registry.h"

struct file;
struct mbox_deadline;
struct mbox_notify_reg;
struct mbox_ucmd;

/**
 * struct mbox_mailbox - a mailbox
 * @obj: identity, permissions, lifetime
 * @mb_flags: MBOX_MB_*
 * @q: its messages and waiters
 * @subs: broadcast subscriptions (struct mbox_sub), under @q.lock
 * @nr_subs: how many
 * @notify: the arrival notification registered, or NULL, under @q.lock
 */
struct mbox_mailbox {
	struct mbox_obj obj;
	u32 mb_flags;
	struct mbox_queue q;
	struct list_head subs;
	u32 nr_subs;
	struct mbox_notify_reg *notify;
};

/**
 * struct mbox_sub - one descriptor's broadcast subscription
 * @node: in its mailbox's @subs (under the queue's lock)
 * @next_seq: the first sequence number it has not received
 * @missed: messages it lost to the overflow policy, not yet reported
 * @lock: serialises receives through this subscription
 */
struct mbox_sub {
	struct list_head node;
	u64 next_seq;
	u32 missed;
	struct mutex lock;	/* serialises receives through this subscription */
};

/**
 * struct mbox_file - a mailbox descriptor's private data
 * @mb: the mailbox (one reference)
 * @sub: the broadcast subscription made through this descriptor, or NULL
 *	(set once, under the queue's lock)
 */
struct mbox_file {
	struct mbox_mailbox *mb;
	struct mbox_sub *sub;
};

/* mailbox.c */
int mbox_mailbox_open(struct mbox_ucmd *ucmd);

/* broadcast.c */
extern const struct mbox_queue_ops mbox_bcast_queue_ops;
int mbox_cmd_subscribe(struct mbox_ucmd *ucmd);
void mbox_bcast_unsubscribe(struct mbox_file *mf);
int mbox_bcast_recv(struct mbox_file *mf, struct mbox_rx *rx,
		    struct mbox_deadline *dl);
bool mbox_bcast_readable(struct mbox_mailbox *mb, struct mbox_sub *sub);

/* batch.c */

/**
 * typedef mbox_batch_fn - move one entry of a batch
 * @ctx: the caller's
 * @uentry: the user's entry
 * @entry_size: its size
 * @flags: the batch's flags
 * @dl: the deadline (non-blocking after the first entry)
 *
 * Return: 0 (done, go on), 1 (done, stop), or a negative errno (not done).
 */
typedef int (*mbox_batch_fn)(void *ctx, void __user *uentry, u32 entry_size,
			     u32 flags, struct mbox_deadline *dl);

/**
 * typedef mbox_batch_burst_fn - move the entries that need no wait
 * @ctx: the caller's
 * @cmd: the batch
 * @first: the first entry to move
 * @dl: the deadline (never waited on here); its @defer counts the wake-ups
 * @stop: out: set when the batch ends after these entries: the next would
 *	have to wait (no room, no message), or a result could not be handed
 *	back
 *
 * Return: how many entries, from @first on, went through: each as if it
 * went through the batch's mbox_batch_fn, without waiting.
 */
typedef u32 (*mbox_batch_burst_fn)(void *ctx, const struct mbox_batch *cmd,
				   u32 first, struct mbox_deadline *dl,
				   bool *stop);

int mbox_batch_run(struct mbox_ucmd *ucmd, struct mbox_queue *q,
		   size_t min_entry, u32 allowed, mbox_batch_fn fn,
		   mbox_batch_burst_fn burst, void *ctx);

/* Entry @i of @cmd (checked: @i < MBOX_BATCH_MAX, entry_size <= PAGE_SIZE). */
static inline void __user *mbox_batch_entry(const struct mbox_batch *cmd, u32 i)
{
	return u64_to_user_ptr(cmd->msgs + (u64)i * cmd->entry_size);
}

#endif /* _MBOX_MAILBOX_H */
