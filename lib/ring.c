// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmbox: shared ring segments. The protocol is described in
 * <linux/mbox.h>; this file is its user-space half. Everything read from the
 * shared pages is checked before use: a peer can make us return -EBADMSG,
 * never read or write outside the mappings.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "mbox.h"
#include "internal.h"

#define REC_HDR		((uint32_t)sizeof(struct mbox_ring_rec))

struct mbox_ring {
	int fd;
	unsigned int role;		/* MBOX_RING_PRODUCER or MBOX_RING_CONSUMER */
	uint32_t size;
	uint32_t mask;
	uint32_t rec_max;
	_Atomic uint32_t *prod;
	_Atomic uint32_t *cons;
	const _Atomic uint32_t *flags;
	const _Atomic uint32_t *prod_waiting;
	const _Atomic uint32_t *cons_waiting;
	uint8_t *data;
	void *map[4];			/* ctrl, prod, cons, data */
	size_t map_len[4];
	uint32_t local;			/* reserved (producer) or peeked (consumer) up to */
	uint32_t published;		/* our index as last stored */
};

static uint32_t rec_space(uint32_t len)
{
	return REC_HDR + ((len + MBOX_RING_ALIGN - 1) & ~(uint32_t)(MBOX_RING_ALIGN - 1));
}

static int ring_unmap(struct mbox_ring *r)
{
	for (int i = 0; i < 4; i++)
		if (r->map[i])
			munmap(r->map[i], r->map_len[i]);
	return 0;
}

/* Map area @i at @off, @len bytes, writable if @rw. */
static int ring_map(struct mbox_ring *r, int i, uint64_t off, uint32_t len, int rw)
{
	void *p = mmap(NULL, len, PROT_READ | (rw ? PROT_WRITE : 0), MAP_SHARED, r->fd,
		       (off_t)off);

	if (p == MAP_FAILED)
		return -errno;
	r->map[i] = p;
	r->map_len[i] = len;
	return 0;
}

/* Whether the layout the kernel gives is one we can use safely. */
static int layout_ok(const struct mbox_ring_info *in)
{
	const struct mbox_ring_layout *l = &in->layout;

	return in->data_size >= 4096 && !(in->data_size & (in->data_size - 1)) &&
	       l->data_len == in->data_size && in->rec_max == in->data_size / 2 - REC_HDR &&
	       l->ctrl_len >= sizeof(struct mbox_ring_ctrl) &&
	       l->prod_index <= l->prod_len - 4 && l->cons_index <= l->cons_len - 4 &&
	       !(l->prod_index & 3) && !(l->cons_index & 3) &&
	       l->ctrl_flags <= l->ctrl_len - 4 && l->ctrl_prod_waiting <= l->ctrl_len - 4 &&
	       l->ctrl_cons_waiting <= l->ctrl_len - 4;
}

static int ring_setup(struct mbox_ring *r)
{
	struct mbox_ring_info in;
	const struct mbox_ring_layout *l = &in.layout;
	int prod = r->role == MBOX_RING_PRODUCER;
	char *ctrl;
	int ret;

	ret = mbox_ring_info(r, &in);
	if (ret < 0)
		return ret;
	if (!layout_ok(&in))
		return -EPROTO;
	ret = ring_map(r, 0, l->ctrl_off, l->ctrl_len, 0);
	if (ret || !r->role)	/* an observer sees the control area only */
		return ret;
	if (!ret)
		ret = ring_map(r, 1, l->prod_off, l->prod_len, prod);
	if (!ret)
		ret = ring_map(r, 2, l->cons_off, l->cons_len, !prod);
	if (!ret)
		ret = ring_map(r, 3, l->data_off, l->data_len, prod);
	if (ret)
		return ret;
	ctrl = r->map[0];
	r->size = in.data_size;
	r->mask = in.data_size - 1;
	r->rec_max = in.rec_max;
	r->flags = (const _Atomic uint32_t *)(ctrl + l->ctrl_flags);
	r->prod_waiting = (const _Atomic uint32_t *)(ctrl + l->ctrl_prod_waiting);
	r->cons_waiting = (const _Atomic uint32_t *)(ctrl + l->ctrl_cons_waiting);
	r->prod = (_Atomic uint32_t *)((char *)r->map[1] + l->prod_index);
	r->cons = (_Atomic uint32_t *)((char *)r->map[2] + l->cons_index);
	r->data = r->map[3];
	/* Pick up where the previous holder of our role left off. */
	r->local = atomic_load_explicit(prod ? r->prod : r->cons, memory_order_acquire);
	r->published = r->local;
	return 0;
}

static int ring_attach(int fd, unsigned int role, struct mbox_ring **ringp)
{
	struct mbox_ring *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	r->role = role;
	ret = ring_setup(r);
	if (ret) {
		ring_unmap(r);
		close(fd);
		free(r);
		return ret;
	}
	*ringp = r;
	return 0;
}

/* The role asked for; 0 is an observer (info and the control area only). */
static int ring_role(unsigned int flags)
{
	unsigned int role = flags & (MBOX_RING_PRODUCER | MBOX_RING_CONSUMER);

	return role == (MBOX_RING_PRODUCER | MBOX_RING_CONSUMER) ? -EINVAL : (int)role;
}

/* Remove the ring @id again: we created it and could not finish opening it. */
static void ring_uncreate(int devfd, uint64_t id)
{
	struct mbox_unlink op;

	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.flags = MBOX_UNLINK_RING;
	op.id = id;
	mbox_dev_ioctl(devfd, MBOX_IOC_UNLINK, &op);
}

/*
 * RING_OPEN as asked, but a create without EXCL is split into an exclusive
 * create and, if the name exists, a plain open, so that we know whether the
 * ring is ours to remove if attaching fails.
 */
static int ring_open_fd(int devfd, struct mbox_ring_open *op, int *created)
{
	unsigned int flags = op->flags;
	int fd = -EEXIST;

	*created = 0;
	for (int tries = 0; tries < 4 && fd == -EEXIST; tries++) {
		op->flags = flags | ((flags & MBOX_RING_CREATE) ? MBOX_RING_EXCL : 0);
		fd = mbox_dev_ioctl(devfd, MBOX_IOC_RING_OPEN, op);
		if (fd >= 0) {
			*created = !!(flags & MBOX_RING_CREATE);
			break;
		}
		if (fd != -EEXIST || (flags & MBOX_RING_EXCL) || !(flags & MBOX_RING_CREATE))
			break;
		/* It exists: open it as it is (the attributes are the creator's). */
		struct mbox_ring_open plain = *op;

		plain.flags = flags & ~MBOX_RING_CREATE;
		plain.mode = 0;
		plain.data_size = 0;
		fd = mbox_dev_ioctl(devfd, MBOX_IOC_RING_OPEN, &plain);
		op->id = plain.id;
		if (fd == -ENOENT)	/* gone meanwhile: create it after all */
			fd = -EEXIST;
	}
	op->flags = flags;
	return fd;
}

MBOX_API int mbox_ring_open(int devfd, const char *name, unsigned int flags,
			    const struct mbox_ring_attr *attr, struct mbox_ring **ringp)
{
	struct mbox_ring_open op;
	int role = ring_role(flags);
	int fd, ret, created;

	if (role < 0 || (flags & MBOX_RING_CLOEXEC))
		return -EINVAL;
	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.flags = flags | MBOX_RING_CLOEXEC;
	op.name = (uintptr_t)name;
	if (flags & MBOX_RING_CREATE) {
		op.mode = attr ? attr->mode : 0600;
		op.data_size = attr && attr->data_size ? attr->data_size : 65536;
	}
	fd = ring_open_fd(devfd, &op, &created);
	if (fd < 0)
		return fd;
	ret = ring_attach(fd, (unsigned int)role, ringp);
	/* A call that fails leaves nothing behind: not the ring it created. */
	if (ret && created)
		ring_uncreate(devfd, op.id);
	return ret;
}

MBOX_API int mbox_ring_open_id(int devfd, uint64_t id, unsigned int flags,
			       struct mbox_ring **ringp)
{
	struct mbox_ring_open op;
	int role = ring_role(flags);
	int fd;

	if (role < 0 || (flags & (MBOX_RING_CREATE | MBOX_RING_EXCL | MBOX_RING_CLOEXEC)))
		return -EINVAL;
	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.flags = flags | MBOX_RING_CLOEXEC;
	op.id = id;
	fd = mbox_dev_ioctl(devfd, MBOX_IOC_RING_OPEN, &op);
	if (fd < 0)
		return fd;
	return ring_attach(fd, (unsigned int)role, ringp);
}

MBOX_API int mbox_ring_unlink(int devfd, const char *name)
{
	struct mbox_unlink op;

	if (!name)
		return -EINVAL;
	memset(&op, 0, sizeof(op));
	op.size = sizeof(op);
	op.flags = MBOX_UNLINK_RING;
	op.name = (uintptr_t)name;
	return mbox_dev_ioctl(devfd, MBOX_IOC_UNLINK, &op);
}

MBOX_API int mbox_ring_close(struct mbox_ring *r)
{
	if (!r)
		return 0;
	ring_unmap(r);
	close(r->fd);
	free(r);
	return 0;
}

MBOX_API int mbox_ring_fd(const struct mbox_ring *r)
{
	return r->fd;
}

MBOX_API int mbox_ring_info(const struct mbox_ring *r, struct mbox_ring_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return mbox_ioctl(r->fd, MBOX_IOC_RING_INFO, info);
}

/* Relative timeouts become absolute once, so that retries do not stretch them. */
static int to_deadline(unsigned int *flags, int64_t *timeout_ns)
{
	struct timespec now;

	if (!(*flags & MBOX_WAIT_TIMEOUT) || (*flags & MBOX_WAIT_ABSTIME))
		return 0;
	if (*timeout_ns < 0)
		return -EINVAL;
	/*
	 * Checked: without the vDSO (a clocksource it cannot read) this is a
	 * system call, and one that fails left @now unset: a deadline made of
	 * garbage could lie years ahead (the debug lane's injected faults).
	 */
	if (clock_gettime(CLOCK_MONOTONIC, &now))
		return -errno;
	*timeout_ns += (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	*flags = (*flags & ~MBOX_WAIT_TIMEOUT) | MBOX_WAIT_ABSTIME;
	return 0;
}

static int ring_wait(struct mbox_ring *r, uint32_t want, unsigned int flags, int64_t timeout_ns)
{
	struct mbox_ring_wait w;

	if (flags & MBOX_WAIT_NONBLOCK)
		return -EAGAIN;
	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.flags = flags;
	w.timeout_ns = timeout_ns;
	w.want = want;
	return mbox_ioctl(r->fd, MBOX_IOC_RING_WAIT, &w);
}

/* Store our index, then wake the other side if the kernel says it sleeps. */
static int ring_publish(struct mbox_ring *r)
{
	int prod = r->role == MBOX_RING_PRODUCER;
	struct mbox_ring_wake wk = { .size = sizeof(wk) };

	if (r->local == r->published)
		return 0;
	atomic_store_explicit(prod ? r->prod : r->cons, r->local, memory_order_release);
	r->published = r->local;
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(prod ? r->cons_waiting : r->prod_waiting, memory_order_relaxed))
		return 0;
	return mbox_ioctl(r->fd, MBOX_IOC_RING_WAKE, &wk);
}

/*
 * With nothing reserved or peeked, start from our index as stored in the
 * ring, not as we last stored it: another process holding the same role
 * (a child that inherited the handle, a previous holder) may have moved it.
 */
static void sync_own_index(struct mbox_ring *r)
{
	if (r->local != r->published)
		return;
	r->local = atomic_load_explicit(r->role == MBOX_RING_PRODUCER ? r->prod : r->cons,
					memory_order_relaxed);
	r->published = r->local;
}

/* ---- producer ---- */

/*
 * Bytes in use as the producer sees them, or -EBADMSG when the consumer's
 * index is impossible (ahead of what we published, or not aligned).
 */
static int64_t prod_used(struct mbox_ring *r)
{
	uint32_t cons = atomic_load_explicit(r->cons, memory_order_acquire);

	if (((cons | r->local) & (MBOX_RING_ALIGN - 1)) || r->published - cons > r->size)
		return -EBADMSG;
	return r->local - cons;
}

MBOX_API int mbox_ring_reserve(struct mbox_ring *r, size_t len, void **buf,
			       unsigned int flags, int64_t timeout_ns)
{
	uint32_t need, pos, tail, total;
	int64_t used;
	int ret;

	if (r->role != MBOX_RING_PRODUCER)
		return -EBADF;
	if (len > r->rec_max)
		return -EMSGSIZE;
	ret = to_deadline(&flags, &timeout_ns);
	if (ret)
		return ret;
	need = rec_space((uint32_t)len);
	sync_own_index(r);
	for (;;) {
		if (atomic_load_explicit(r->flags, memory_order_acquire) &
		    MBOX_RING_F_CONSUMER_GONE)
			return -EPIPE;
		used = prod_used(r);
		if (used < 0)
			return (int)used;
		pos = r->local & r->mask;
		tail = r->size - pos;
		total = need <= tail ? need : tail + need;
		if (r->size - used >= total)
			break;
		/* The consumer can only free what it sees: publish first. */
		ret = ring_publish(r);
		if (!ret)
			ret = ring_wait(r, total, flags, timeout_ns);
		if (ret)
			return ret;
	}
	if (need > tail) {
		struct mbox_ring_rec pad = { .len = tail - REC_HDR, .flags = MBOX_RING_REC_PAD };

		memcpy(r->data + pos, &pad, sizeof(pad));
		r->local += tail;
		pos = 0;
	}
	memcpy(r->data + pos, &(struct mbox_ring_rec){ .len = (uint32_t)len }, REC_HDR);
	*buf = r->data + pos + REC_HDR;
	r->local += need;
	return 0;
}

MBOX_API int mbox_ring_commit(struct mbox_ring *r)
{
	if (r->role != MBOX_RING_PRODUCER)
		return -EBADF;
	return ring_publish(r);
}

MBOX_API int mbox_ring_send(struct mbox_ring *r, const void *buf, size_t len,
			    unsigned int flags, int64_t timeout_ns)
{
	void *dst;
	int ret = mbox_ring_reserve(r, len, &dst, flags, timeout_ns);

	if (ret)
		return ret;
	memcpy(dst, buf, len);
	return mbox_ring_commit(r);
}

/* ---- consumer ---- */

/*
 * The next record at r->local, or 0 for none yet, or -EBADMSG. On success
 * *hdr is a copy of its header (a peer may change the shared one later).
 */
static int next_record(struct mbox_ring *r, uint32_t prod, struct mbox_ring_rec *hdr)
{
	uint32_t avail = prod - r->local;
	uint32_t pos, tail;

	if (((prod | r->local) & (MBOX_RING_ALIGN - 1)) || prod - r->published > r->size ||
	    avail > r->size)
		return -EBADMSG;
	while (avail) {
		pos = r->local & r->mask;
		tail = r->size - pos;
		memcpy(hdr, r->data + pos, sizeof(*hdr));
		if (hdr->flags == MBOX_RING_REC_PAD) {
			if (hdr->len != tail - REC_HDR || avail < tail)
				return -EBADMSG;
			r->local += tail;
			avail -= tail;
			continue;
		}
		if (hdr->flags || hdr->len > r->rec_max || rec_space(hdr->len) > tail ||
		    rec_space(hdr->len) > avail)
			return -EBADMSG;
		return 1;
	}
	return 0;
}

MBOX_API int mbox_ring_peek(struct mbox_ring *r, const void **buf, unsigned int flags,
			    int64_t timeout_ns)
{
	struct mbox_ring_rec hdr;
	uint32_t prod, state;
	int ret;

	if (r->role != MBOX_RING_CONSUMER)
		return -EBADF;
	ret = to_deadline(&flags, &timeout_ns);
	if (ret)
		return ret;
	sync_own_index(r);
	for (;;) {
		prod = atomic_load_explicit(r->prod, memory_order_acquire);
		ret = next_record(r, prod, &hdr);
		if (ret)
			break;
		state = atomic_load_explicit(r->flags, memory_order_acquire);
		if (state & MBOX_RING_F_PRODUCER_GONE) {
			/* What it published before it left is visible now. */
			if (atomic_load_explicit(r->prod, memory_order_acquire) != prod)
				continue;
			return -EPIPE;
		}
		/* Give back what we have read, so the producer is not stuck. */
		ret = ring_publish(r);
		if (!ret)
			ret = ring_wait(r, 0, flags, timeout_ns);
		if (ret)
			return ret;
	}
	if (ret < 0)
		return ret;
	*buf = r->data + (r->local & r->mask) + REC_HDR;
	r->local += rec_space(hdr.len);
	return (int)hdr.len;
}

MBOX_API int mbox_ring_release(struct mbox_ring *r)
{
	if (r->role != MBOX_RING_CONSUMER)
		return -EBADF;
	return ring_publish(r);
}

MBOX_API int mbox_ring_recv(struct mbox_ring *r, void *buf, size_t len, unsigned int flags,
			    int64_t timeout_ns)
{
	uint32_t start = r->local;
	const void *src;
	int n, ret;

	n = mbox_ring_peek(r, &src, flags, timeout_ns);
	if (n < 0)
		return n;
	if ((size_t)n > len) {
		r->local = start;	/* it stays for a larger buffer */
		return -EMSGSIZE;
	}
	memcpy(buf, src, (size_t)n);
	ret = mbox_ring_release(r);
	return ret < 0 ? ret : n;
}
