// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: per-user accounting.
 *
 * Each user (global kuid, so that a user namespace does not reset a quota)
 * has one struct mbox_user while anything is charged to it. Objects count
 * against the objects_per_user parameter (-ENOSPC beyond it), queued message
 * bytes against bytes_per_user (-EDQUOT beyond it). The memory itself is also
 * charged to the allocating task's memory cgroup (GFP_KERNEL_ACCOUNT).
 */
#include <linux/hashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "limits.h"
#include "user.h"

/* Protects mbox_users and every mbox_user's @node. */
static DEFINE_SPINLOCK(mbox_users_lock);
static DEFINE_HASHTABLE(mbox_users, 6);

static struct mbox_user *mbox_user_lookup(kuid_t uid)
{
	struct mbox_user *user;

	lockdep_assert_held(&mbox_users_lock);
	hash_for_each_possible(mbox_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid) && refcount_inc_not_zero(&user->ref))
			return user;
	return NULL;
}

/**
 * mbox_user_get - find or create the accounting of @uid
 * @uid: the user
 *
 * Return: a referenced mbox_user, or NULL when out of memory.
 */
struct mbox_user *mbox_user_get(kuid_t uid)
{
	struct mbox_user *user, *fresh;

	spin_lock(&mbox_users_lock);
	user = mbox_user_lookup(uid);
	spin_unlock(&mbox_users_lock);
	if (user)
		return user;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return NULL;
	fresh->uid = uid;
	refcount_set(&fresh->ref, 1);

	spin_lock(&mbox_users_lock);
	user = mbox_user_lookup(uid);
	if (!user) {
		hash_add(mbox_users, &fresh->node, __kuid_val(uid));
		user = fresh;
		fresh = NULL;
	}
	spin_unlock(&mbox_users_lock);
	kfree(fresh);
	return user;
}

void mbox_user_put(struct mbox_user *user)
{
	bool last;

	/* refcount_dec_and_lock(), spelled out so the locking is balanced. */
	if (refcount_dec_not_one(&user->ref))
		return;
	spin_lock(&mbox_users_lock);
	last = refcount_dec_and_test(&user->ref);
	if (last)
		hash_del(&user->node);
	spin_unlock(&mbox_users_lock);
	if (last)
		kfree(user);
}

/**
 * mbox_user_put_many - drop @n references to @user
 * @user: the accounting
 * @n: how many references, all the caller's; at least one
 */
void mbox_user_put_many(struct mbox_user *user, unsigned int n)
{
	/* The caller holds @n: dropping all but one never drops the last. */
	if (n > 1 && WARN_ON_ONCE(refcount_sub_and_test(n - 1, &user->ref)))
		return;
	mbox_user_put(user);
}

int mbox_user_charge_object(struct mbox_user *user)
{
	if (atomic_inc_return(&user->objects) > mbox_limit_objects()) {
		atomic_dec(&user->objects);
		return -ENOSPC;
	}
	return 0;
}

void mbox_user_uncharge_object(struct mbox_user *user)
{
	atomic_dec(&user->objects);
}

int mbox_user_charge_bytes(struct mbox_user *user, size_t bytes)
{
	if (atomic_long_add_return(bytes, &user->bytes) > mbox_limit_bytes()) {
		atomic_long_sub(bytes, &user->bytes);
		return -EDQUOT;
	}
	return 0;
}

void mbox_user_uncharge_bytes(struct mbox_user *user, size_t bytes)
{
	atomic_long_sub(bytes, &user->bytes);
}

/* /proc/mbox/stats: each user mapped in the reader's user namespace. */
void mbox_users_show(struct seq_file *m)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct mbox_user *user;
	int bkt;

	spin_lock(&mbox_users_lock);
	hash_for_each(mbox_users, bkt, user, node) {
		if (!kuid_has_mapping(ns, user->uid))
			continue;
		seq_printf(m, "user %u objects %d bytes %ld\n",
			   from_kuid(ns, user->uid), atomic_read(&user->objects),
			   atomic_long_read(&user->bytes));
	}
	spin_unlock(&mbox_users_lock);
}
