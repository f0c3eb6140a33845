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
 * their own slab cache, and each CPU keeps freed ones as spares for its next
 * sends (as io_uring's alloc caches do): a message sent and received on one
 * CPU then costs no allocation, no zeroing (init_on_alloc) and no free.
 * Every field of a reused message is set again and only its new payload is
 * ever copied out, so nothing of the old one shows.
 *
 * A message freed on its own is kept while the CPU has fewer than
 * MBOX_MSG_SPARES spares; the messages of a receive burst
 * (mbox_msg_put_burst()) while it has fewer than MBOX_MSG_BURST_SPARES, so
 * that a queue drained by bursts hands its messages to the next send bursts
 * instead of to the slab. A queue of 64 messages filled and drained in
 * bursts of 16 (the default capacity and batch burst) then allocates
 * nothing. Single messages keep the smaller bound: how many spares one
 * sender finds moves when its receiver is woken, and with it the
 * scheduling of single-message streams (docs/performance.md).
 *
 * A spare stays charged to the memory cgroup that allocated it: at most
 * MBOX_MSG_BURST_SPARES * MBOX_MSG_SMALL bytes (16 KiB) a CPU, given back at
 * module unload. The sender's byte quota is charged per message as for any
 * other.
 */
#define MBOX_MSG_SMALL		256
#define MBOX_MSG_SPARES		16
#define MBOX_MSG_BURST_SPARES	64

/**
 * struct mbox_msg_spares - a CPU's freed small messages
 * @lock: protects the rest (on !PREEMPT_RT it only disables preemption)
 * @nr: how many
 * @msgs: them
 */
struct mbox_msg_spares {
	local_lock_t lock;
	unsigned int nr;
	struct mbox_msg *msgs[MBOX_MSG_BURST_SPARES];
};

static DEFINE_PER_CPU(struct mbox_msg_spares, mbox_msg_spares) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

static struct kmem_cache *mbox_msg_cachep;

static bool mbox_msg_small(size_t len)
{
	return len <= MBOX_MSG_SMALL - sizeof(struct mbox_msg);
}

static __always_inline struct mbox_msg *mbox_msg_get(size_t len)
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

/*
 * Memory for @n messages, of @src's lengths, into @msgs: the small ones
 * first from this CPU's spares, in one lock hold. Return: for how many (the
 * first ones); fewer than @n when out of memory.
 */
static u32 mbox_msg_get_many(const struct mbox_msg_src *src, u32 n,
			     struct mbox_msg **msgs)
{
	struct mbox_msg_spares *sp;
	u32 i;

	local_lock(&mbox_msg_spares.lock);
	sp = this_cpu_ptr(&mbox_msg_spares);
	for (i = 0; i < n && sp->nr && mbox_msg_small(src[i].len); i++)
		msgs[i] = sp->msgs[--sp->nr];
	local_unlock(&mbox_msg_spares.lock);
	for (; i < n; i++) {
		msgs[i] = mbox_msg_get(src[i].len);
		if (!msgs[i])
			break;
	}
	return i;
}

/* Give @msg's memory (its references dropped) back to the allocator. */
static void mbox_msg_release_mem(struct mbox_msg *msg)
{
	if (mbox_msg_small(msg->len))
		kmem_cache_free(mbox_msg_cachep, msg);
	else
		kvfree(msg);
}

/* Free @msg's memory (its references are dropped). */
static void mbox_msg_free(struct mbox_msg *msg)
{
	struct mbox_msg_spares *sp;

	if (mbox_msg_small(msg->len)) {
		local_lock(&mbox_msg_spares.lock);
		sp = this_cpu_ptr(&mbox_msg_spares);
		if (sp->nr < MBOX_MSG_SPARES) {
			sp->msgs[sp->nr++] = msg;
			msg = NULL;
		}
		local_unlock(&mbox_msg_spares.lock);
	}
	if (msg)
		mbox_msg_release_mem(msg);
}

/*
 * Free the memory of @n messages (their references dropped): the small
 * ones become this CPU's spares, up to MBOX_MSG_BURST_SPARES, in one lock
 * hold. @msgs is left in pieces.
 */
static void mbox_msg_free_many(struct mbox_msg **msgs, u32 n)
{
	struct mbox_msg_spares *sp;
	u32 i, left = 0;

	local_lock(&mbox_msg_spares.lock);
	sp = this_cpu_ptr(&mbox_msg_spares);
	for (i = 0; i < n; i++) {
		if (mbox_msg_small(msgs[i]->len) && sp->nr < MBOX_MSG_BURST_SPARES)
			sp->msgs[sp->nr++] = msgs[i];
		else
			msgs[left++] = msgs[i];
	}
	local_unlock(&mbox_msg_spares.lock);
	for (i = 0; i < left; i++)
		mbox_msg_release_mem(msgs[i]);
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

/*
 * Set every field of new message @msg of @len bytes, charged to @user
 * (whose reference it takes over). The caller counts it.
 */
static __always_inline void mbox_msg_fill(struct mbox_msg *msg, size_t len,
					  struct mbox_user *user)
{
	INIT_LIST_HEAD(&msg->node);
	refcount_set(&msg->ref, 1);
	msg->state = MBOX_MSG_QUEUED;
	msg->confirm = false;
	msg->prio = 0;
	msg->reply = false;
	msg->len = len;
	msg->seq = 0;
	msg->pending = 0;
	msg->user = user;
	msg->flow = NULL;
	msg->call = NULL;
	msg->call_id = 0;
	msg->release = NULL;
	msg->watch = NULL;
	/* current's own tgid pid cannot go away under it: no RCU needed. */
	msg->sender = get_pid(task_tgid(current));
	msg->uid = current_euid();
}

static struct mbox_msg *mbox_msg_new(size_t len, struct mbox_user *hint)
{
	struct mbox_user *user;
	struct mbox_msg *msg;
	int ret;

	if (len > MBOX_MSG_SIZE_LIMIT)
		return ERR_PTR(-EMSGSIZE);
	user = mbox_msg_user(hint);
	if (!user)
		return ERR_PTR(-ENOMEM);
	ret = mbox_obj_charge_bytes(user, mbox_msg_charge(len));
	if (ret)
		goto err_put_user;
	msg = mbox_msg_get(len);
	if (!msg) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	mbox_msg_fill(msg, len, user);
	atomic_long_inc(&mbox_nr_msgs);
	atomic_long_add(len, &mbox_nr_bytes);
	return msg;

err_uncharge:
	mbox_user_uncharge_bytes(user, mbox_msg_charge(len));
err_put_user:
	mbox_user_put(user);
	return ERR_PTR(ret);
}

/*
 * Copy @len bytes of payload from @buf into @msg (a new one): four words a
 * turn, then words, then bytes. @msg->data is 8-byte aligned (struct
 * mbox_msg's size is a multiple of 8); the user's buffer need not be.
 */
static __always_inline int mbox_msg_copy_in(struct mbox_msg *msg,
					    const void __user *buf, size_t len)
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

/* What the first @n messages of @src count against their sender's quota. */
static size_t mbox_msg_src_charge(const struct mbox_msg_src *src, u32 n)
{
	size_t bytes = 0;
	u32 i;

	for (i = 0; i < n; i++)
		bytes = size_add(bytes, mbox_msg_charge(src[i].len));
	return bytes;
}

/*
 * Charge the first of @n messages of @src to @user's byte quota: all of
 * them at once if they fit, else one by one (as @n messages sent one after
 * the other would be) up to the first that does not. Return: how many.
 */
static u32 mbox_msg_charge_many(struct mbox_user *user,
				const struct mbox_msg_src *src, u32 n)
{
	u32 i;

	if (!mbox_obj_charge_bytes(user, mbox_msg_src_charge(src, n)))
		return n;
	for (i = 0; i < n; i++)
		if (mbox_obj_charge_bytes(user, mbox_msg_charge(src[i].len)))
			break;
	return i;
}

/**
 * mbox_msg_alloc_burst - new messages holding copies of user buffers
 * @src: each message's user buffer, length and priority
 * @n: how many
 * @hint: as for mbox_msg_alloc()
 * @msgs: out: the messages, with one reference each
 *
 * What @n calls of mbox_msg_alloc() would make, stopping at the first that
 * fails, with the sender's accounting looked up and charged, and the global
 * counters moved, once for all (the quota falls back to one message at a
 * time when the burst does not fit as a whole, so it is as exact as theirs).
 *
 * Return: how many messages were made (those of @src's first entries), or
 * the error of the first entry (-EMSGSIZE, -ENOMEM, -EDQUOT, -EFAULT) when
 * none was.
 */
int mbox_msg_alloc_burst(const struct mbox_msg_src *src, u32 n,
			 struct mbox_user *hint, struct mbox_msg **msgs)
{
	struct mbox_user *user;
	size_t len = 0;
	u32 i, got;
	int ret;

	for (i = 0; i < n && src[i].len <= MBOX_MSG_SIZE_LIMIT; i++)
		;
	n = i;
	if (!n)
		return -EMSGSIZE;
	user = mbox_msg_user(hint);
	if (!user)
		return -ENOMEM;
	got = mbox_msg_charge_many(user, src, n);
	if (!got) {
		ret = -EDQUOT;
		goto err_put_user;
	}
	n = got;
	got = mbox_msg_get_many(src, n, msgs);
	mbox_user_uncharge_bytes(user, mbox_msg_src_charge(src + got, n - got));
	if (!got) {
		ret = -ENOMEM;
		goto err_put_user;
	}
	/* One reference a message: the one taken above and got - 1 more. */
	if (got > 1)
		refcount_add(got - 1, &user->ref);
	for (i = 0; i < got; i++) {
		mbox_msg_fill(msgs[i], src[i].len, user);
		msgs[i]->prio = src[i].prio;
		len += src[i].len;
	}
	atomic_long_add(got, &mbox_nr_msgs);
	atomic_long_add(len, &mbox_nr_bytes);
	for (i = 0; i < got; i++) {
		if (mbox_msg_copy_in(msgs[i], src[i].buf, src[i].len)) {
			mbox_msg_put_burst(msgs + i, got - i);
			break;
		}
	}
	return i ?: -EFAULT;

err_put_user:
	mbox_user_put(user);
	return ret;
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
	mbox_msg_free(msg);
}

/* Drop @refs references to @user and @bytes of its charge. */
static void mbox_msg_unuse(struct mbox_user *user, u32 refs, size_t bytes)
{
	mbox_user_uncharge_bytes(user, bytes);
	mbox_user_put_many(user, refs);
}

/**
 * mbox_msg_put_burst - drop one reference to each of @n messages
 * @msgs: the messages; the array is left in pieces
 * @n: how many
 *
 * What @n calls of mbox_msg_put() would do, with the messages freed in one
 * go (kept as this CPU's spares, up to MBOX_MSG_BURST_SPARES), each run of
 * them charged to one user uncharged and unreferenced once, and the global
 * counters moved once.
 */
void mbox_msg_put_burst(struct mbox_msg **msgs, u32 n)
{
	struct mbox_user *user = NULL;
	u32 i, refs = 0, dead = 0;
	size_t bytes = 0, len = 0;
	struct mbox_msg *msg;

	for (i = 0; i < n; i++) {
		msg = msgs[i];
		if (!refcount_dec_and_test(&msg->ref))
			continue;
		if (msg->user != user) {
			if (refs)
				mbox_msg_unuse(user, refs, bytes);
			user = msg->user;
			refs = 0;
			bytes = 0;
		}
		refs++;
		bytes += mbox_msg_charge(msg->len);
		len += msg->len;
		put_pid(msg->sender);
		if (msg->release)
			msg->release(msg);
		msgs[dead++] = msg;
	}
	if (!dead)
		return;
	mbox_msg_unuse(user, refs, bytes);
	atomic_long_sub(dead, &mbox_nr_msgs);
	atomic_long_sub(len, &mbox_nr_bytes);
	mbox_msg_free_many(msgs, dead);
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
