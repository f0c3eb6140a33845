/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: per-user accounting (user.c). Below everything that allocates on a
 * user's behalf; calls only the limits.
 *
 * Locking: mbox_users_lock (spinlock, user.c) protects the users table and
 * every mbox_user's @node; the counters are atomics, read and changed
 * without it. Innermost: taken with at most the registry's mutex held.
 */
#ifndef _MBOX_USER_H
#define _MBOX_USER_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/uidgid.h>

struct seq_file;

/**
 * struct mbox_user - what one user has allocated through mbox
 * @node: in the users table, under mbox_users_lock
 * @uid: the user (global kuid: quotas span user namespaces)
 * @ref: references from objects and messages charged to this user
 * @objects: objects this user created
 * @bytes: bytes of queued messages and rings this user owns, headers included
 */
struct mbox_user {
	struct hlist_node node;
	kuid_t uid;
	refcount_t ref;
	atomic_t objects;
	atomic_long_t bytes;
};

struct mbox_user *mbox_user_get(kuid_t uid);
void mbox_user_put(struct mbox_user *user);
void mbox_user_put_many(struct mbox_user *user, unsigned int n);
int mbox_user_charge_object(struct mbox_user *user);
void mbox_user_uncharge_object(struct mbox_user *user);
int mbox_user_charge_bytes(struct mbox_user *user, size_t bytes);
void mbox_user_uncharge_bytes(struct mbox_user *user, size_t bytes);
void mbox_users_show(struct seq_file *m);

#endif /* _MBOX_USER_H */
