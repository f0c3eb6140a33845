// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: messages.
 *
 * A message is one allocation (header and payload), charged to the sending
 * task's memory cgroup and to the sending user's byte quota. Its payload is
 * copied from user space before any lock is taken. Whoever attaches
 * references to a message sets its @release, which drops them when the
 * message is freed.
 */
#include <linux/cred.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "limits.h"
#include "msg.h"
#include "registry.h"
#include "stats.h"
#include "user.h"

/*
 * Payloads up to this long are copied with user access opened once, a word
 * at a time: for the short messages IPC mostly carries that is several
 * times cheaper than copy_{from,to}_user(), whose per-call checks
 * (hardened usercopy's heap walk among them) cost more than the copy. The
 * bounds are the message's own: @len never exceeds what was allocated.
 */
#define MBOX_MSG_WORDCOPY_MAX	256

/*
 * Small messages, header and payload within MBOX_MSG_SMALL bytes, come from
 * their own slab cache, and each CPU keeps up to MBOX_MSG_SPARES freed ones
 * for its next sends (as io_uring's alloc caches do): a message sent and
 * received on one CPU then costs no allocation, no zeroing (init_on_alloc)
 * and no free. Every field of a reused message is set again and only its
 * new payload is ever copied out, so nothing of the old one shows. A spare
 * stays charged to the memory cgroup that allocated it (at most
 * MBOX_MSG_SPARES * MBOX_MSG_SMALL bytes a CPU); the sender's byte quota is
 * charged per message as for any other.
 */
#define MBOX_MSG_SMALL		256
#define MBOX_MSG_SPARES		16

/**
 * struct mbox_msg_spares - a CPU's freed small messages
 * @lock: protects the rest (on !PREEMPT_RT it only disables preemption)
 * @nr: how many
 * @msgs: them
 */
struct mbox_msg_spares {
	local_lock_t lock;
	unsigned int nr;
	struct mbox_msg *msgs[MBOX_MSG_SPARES];
};

static DEFINE_PER_CPU(struct mbox_msg_spares, mbox_msg_spares) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

static struct kmem_cache *mbox_msg_cachep;

static bool mbox_msg_small(size_t len)
{
	return len <= MBOX_MSG_SMALL - sizeof(struct mbox_msg);
}

static struct mbox_msg *mbox_msg_get(size_t len)
{
	struct mbox_msg_spares *sp;
	struct mbox_msg *msg = NULL;

	if (!mbox_msg_small(len))
		return kvmalloc(sizeof(*msg) + len, GFP_KERNEL_ACCOUNT);
	local_lock(&mbox_msg_spares.lock);
	sp = this_cpu_ptr(&mbox_msg_spares);
	if (sp->nr)
		msg = sp->msgs[--sp->nr];
	local_unlock(&mbox_msg_spares.lock);
	return msg ?: kmem_cache_alloc(mbox_msg_cachep, GFP_KERNEL_ACCOUNT);
}

/* Free @msg's memory (its references are dropped); @len is its length. */
static void mbox_msg_free(struct mbox_msg *msg, size_t len)
{
	struct mbox_msg_spares *sp;

	if (!mbox_msg_small(len)) {
		kvfree(msg);
		return;
	}
	local_lock(&mbox_msg_spares.lock);
	sp = this_cpu_ptr(&mbox_msg_spares);
	if (sp->nr < MBOX_MSG_SPARES) {
		sp->msgs[sp->nr++] = msg;
		msg = NULL;
	}
	local_unlock(&mbox_msg_spares.lock);
	if (msg)
		kmem_cache_free(mbox_msg_cachep, msg);
}

int __init mbox_msg_init(void)
{
	mbox_msg_cachep = kmem_cache_create_usercopy("mbox_msg", MBOX_MSG_SMALL, 0,
						     SLAB_ACCOUNT,
						     sizeof(struct mbox_msg),
						     MBOX_MSG_SMALL - sizeof(struct mbox_msg),
						     NULL);
	return mbox_msg_cachep ? 0 : -ENOMEM;
}

/* Every message is freed: give back the spares, then the cache. */
void mbox_msg_exit(void)
{
	struct mbox_msg_spares *sp;
	int cpu;

	for_each_possible_cpu(cpu) {
		sp = per_cpu_ptr(&mbox_msg_spares, cpu);
		while (sp->nr)
			kmem_cache_free(mbox_msg_cachep, sp->msgs[--sp->nr]);
	}
	kmem_cache_destroy(mbox_msg_cachep);
}

/* What a message of @len bytes counts against its sender's quota. */
size_t mbox_msg_charge(size_t len)
{
	return size_add(sizeof(struct mbox_msg), len);
}

/*
 * The sending user's accounting: @hint (the accounting of the object sent
 * through, kept alive by it) when it is the sender's, which saves the
 * lookup under the global users lock on every message.
 */
static struct mbox_user *mbox_msg_user(struct mbox_user *hint)
{
	kuid_t euid = current_euid();

	if (hint && uid_eq(hint->uid, euid)) {
		refcount_inc(&hint->ref);
		return hint;
	}
	return mbox_user_get(euid);
}

static struct mbox_msg *mbox_msg_new(size_t len, struct mbox_user *hint)
{
	struct mbox_msg *msg;
	int ret;

	if (len > MBOX_MSG_SIZE_LIMIT)
		return ERR_PTR(-EMSGSIZE);
	msg = mbox_msg_get(len);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	msg->user = mbox_msg_user(hint);
	if (!msg->user) {
		ret = -ENOMEM;
		goto err_free_msg;
	}
	ret = mbox_obj_charge_bytes(msg->user, mbox_msg_charge(len));
	if (ret)
		goto err_put_user;

	INIT_LIST_HEAD(&msg->node);
	refcount_set(&msg->ref, 1);
	msg->state = MBOX_MSG_QUEUED;
	msg->confirm = false;
	msg->prio = 0;
	msg->reply = false;
	msg->len = len;
	msg->seq = 0;
	msg->pending = 0;
	msg->flow = NULL;
	msg->call = NULL;
	msg->call_id = 0;
	msg->release = NULL;
	msg->watch = NULL;
	/* current's own tgid pid cannot go away under it: no RCU needed. */
	msg->sender = get_pid(task_tgid(current));
	msg->uid = current_euid();
	atomic_long_inc(&mbox_nr_msgs);
	atomic_long_add(len, &mbox_nr_bytes);
	return msg;

err_put_user:
	mbox_user_put(msg->user);
err_free_msg:
	mbox_msg_free(msg, len);
	return ERR_PTR(ret);
}

/*
 * Copy @len bytes of payload from @buf into @msg (a new one): four words a
 * turn, then words, then bytes. @msg->data is 8-byte aligned (struct
 * mbox_msg's size is a multiple of 8); the user's buffer need not be.
 */
static int mbox_msg_copy_in(struct mbox_msg *msg, const void __user *buf,
			    size_t len)
{
	const u64 __user *src = buf;
	u64 *dst = (u64 *)msg->data;
	size_t i, words = len / sizeof(u64);

	if (len > MBOX_MSG_WORDCOPY_MAX)
		return copy_from_user(dst, src, len) ? -EFAULT : 0;
	if (!user_access_begin(src, len))
		return -EFAULT;
	for (i = 0; i + 4 <= words; i += 4) {
		unsafe_get_user(dst[i], &src[i], efault);
		unsafe_get_user(dst[i + 1], &src[i + 1], efault);
		unsafe_get_user(dst[i + 2], &src[i + 2], efault);
		unsafe_get_user(dst[i + 3], &src[i + 3], efault);
	}
	for (; i < words; i++)
		unsafe_get_user(dst[i], &src[i], efault);
	for (i *= sizeof(u64); i < len; i++)
		unsafe_get_user(msg->data[i], (const u8 __user *)buf + i, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/**
 * mbox_msg_alloc - a new message holding a copy of a user buffer
 * @buf: the user's message
 * @len: its length
 * @hint: the accounting of the object the message is sent through (its
 *	creator's), used when the sender is the same user; may be NULL
 *
 * Return: the message with one reference, or ERR_PTR(-EMSGSIZE, -ENOMEM,
 * -EDQUOT, -EFAULT).
 */
struct mbox_msg *mbox_msg_alloc(const void __user *buf, size_t len,
				struct mbox_user *hint)
{
	struct mbox_msg *msg = mbox_msg_new(len, hint);

	if (IS_ERR(msg))
		return msg;
	if (mbox_msg_copy_in(msg, buf, len)) {
		mbox_msg_put(msg);
		return ERR_PTR(-EFAULT);
	}
	return msg;
}

/**
 * mbox_msg_copy_out - copy the first @n bytes of @msg's payload to @buf
 * @buf: the user's buffer
 * @msg: the message
 * @n: at most its length
 *
 * May be called with page faults disabled (the queue's fast path).
 *
 * Return: 0 or -EFAULT.
 */
int mbox_msg_copy_out(void __user *buf, const struct mbox_msg *msg, size_t n)
{
	const u64 *src = (const u64 *)msg->data;
	u64 __user *dst = buf;
	size_t i, words = n / sizeof(u64);

	if (n > MBOX_MSG_WORDCOPY_MAX)
		return copy_to_user(buf, msg->data, n) ? -EFAULT : 0;
	if (!user_access_begin(dst, n))
		return -EFAULT;
	/* As mbox_msg_copy_in(), the other way. */
	for (i = 0; i + 4 <= words; i += 4) {
		unsafe_put_user(src[i], &dst[i], efault);
		unsafe_put_user(src[i + 1], &dst[i + 1], efault);
		unsafe_put_user(src[i + 2], &dst[i + 2], efault);
		unsafe_put_user(src[i + 3], &dst[i + 3], efault);
	}
	for (; i < words; i++)
		unsafe_put_user(src[i], &dst[i], efault);
	for (i *= sizeof(u64); i < n; i++)
		unsafe_put_user(msg->data[i], (u8 __user *)buf + i, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

void mbox_msg_put(struct mbox_msg *msg)
{
	if (!refcount_dec_and_test(&msg->ref))
		return;
	atomic_long_dec(&mbox_nr_msgs);
	atomic_long_sub(msg->len, &mbox_nr_bytes);
	mbox_user_uncharge_bytes(msg->user, mbox_msg_charge(msg->len));
	mbox_user_put(msg->user);
	put_pid(msg->sender);
	if (msg->release)
		msg->release(msg);
	mbox_msg_free(msg, msg->len);
}

/* Drop one reference to each message on @list, which is left in pieces. */
void mbox_msg_put_list(struct list_head *list)
{
	struct mbox_msg *msg, *next;

	list_for_each_entry_safe(msg, next, list, node) {
		list_del(&msg->node);
		mbox_msg_put(msg);
	}
}
