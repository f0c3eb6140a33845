/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mbox_uring.h: mbox commands through io_uring, in liburing's style.
 *
 * Each mbox_prep_*() fills one SQE (from io_uring_get_sqe()) with an
 * IORING_OP_URING_CMD that runs the named ioctl on descriptor @fd, and fills
 * the argument struct the caller provides. They do not own the ring, submit,
 * or allocate: the struct and the buffers must stay valid until the
 * command's CQE arrives, whose res is what the ioctl would return (bytes
 * received, 0 for a send, or -errno). The struct's output fields (seq, len,
 * pid, ...) are filled in before the CQE is posted. Set the SQE's user_data
 * (io_uring_sqe_set_data()) after the prep, as with liburing's helpers.
 *
 * Header-only, so that libmbox itself does not depend on liburing: include
 * <liburing.h> first, and check MBOX_FEAT_URING (mbox_has_feature()). See
 * libmbox(3) and docs/io_uring.md.
 */
#ifndef MBOX_URING_H
#define MBOX_URING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <liburing.h>
#include <linux/mbox.h>

/* Any MBOX_IOC_* command carried by io_uring, with its argument struct. */
static inline void mbox_prep_cmd(struct io_uring_sqe *sqe, int fd, unsigned int cmd,
				 void *arg)
{
	struct mbox_uring_cmd c = { .arg = (uint64_t)(uintptr_t)arg };

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = cmd;
	memcpy((char *)sqe + offsetof(struct io_uring_sqe, cmd), &c, sizeof(c));
}

/* MBOX_IOC_SEND of @len bytes at @buf, priority @prio, MBOX_WAIT_* and MBOX_SEND_* @flags. */
static inline void mbox_prep_send(struct io_uring_sqe *sqe, int fd, struct mbox_send *s,
				  const void *buf, size_t len, unsigned int prio,
				  unsigned int flags)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->flags = flags;
	s->buf = (uint64_t)(uintptr_t)buf;
	s->len = (uint32_t)len;
	s->prio = prio;
	mbox_prep_cmd(sqe, fd, MBOX_IOC_SEND, s);
}

/* MBOX_IOC_RECV into @buf (@len bytes), MBOX_WAIT_* and MBOX_RECV_* @flags. */
static inline void mbox_prep_recv(struct io_uring_sqe *sqe, int fd, struct mbox_recv *r,
				  void *buf, size_t len, unsigned int flags)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = flags;
	r->buf = (uint64_t)(uintptr_t)buf;
	r->len = (uint32_t)len;
	mbox_prep_cmd(sqe, fd, MBOX_IOC_RECV, r);
}

/* MBOX_IOC_LINK_SEND: to @pid on an endpoint descriptor (0 on a link descriptor). */
static inline void mbox_prep_link_send(struct io_uring_sqe *sqe, int fd,
				       struct mbox_link_send *s, pid_t pid,
				       const void *buf, size_t len, unsigned int flags)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->flags = flags;
	s->pid = pid;
	s->buf = (uint64_t)(uintptr_t)buf;
	s->len = (uint32_t)len;
	mbox_prep_cmd(sqe, fd, MBOX_IOC_LINK_SEND, s);
}

/* MBOX_IOC_LINK_SEND with MBOX_LINK_REPLY: answer call @call_id. */
static inline void mbox_prep_reply(struct io_uring_sqe *sqe, int epfd,
				   struct mbox_link_send *s, uint64_t call_id,
				   const void *buf, size_t len)
{
	mbox_prep_link_send(sqe, epfd, s, 0, buf, len, MBOX_LINK_REPLY);
	s->call_id = call_id;
}

/* MBOX_IOC_LINK_RECV on an endpoint or link descriptor. */
static inline void mbox_prep_link_recv(struct io_uring_sqe *sqe, int fd,
				       struct mbox_link_recv *r, void *buf, size_t len,
				       unsigned int flags)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->flags = flags;
	r->buf = (uint64_t)(uintptr_t)buf;
	r->len = (uint32_t)len;
	mbox_prep_cmd(sqe, fd, MBOX_IOC_LINK_RECV, r);
}

/* MBOX_IOC_CALL to @pid: request @req (@len bytes), reply into @reply. */
static inline void mbox_prep_call(struct io_uring_sqe *sqe, int epfd, struct mbox_call *c,
				  pid_t pid, const void *req, size_t len, void *reply,
				  size_t reply_len, unsigned int flags)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->flags = flags;
	c->pid = pid;
	c->buf = (uint64_t)(uintptr_t)req;
	c->len = (uint32_t)len;
	c->reply_buf = (uint64_t)(uintptr_t)reply;
	c->reply_len = (uint32_t)reply_len;
	mbox_prep_cmd(sqe, epfd, MBOX_IOC_CALL, c);
}

/* MBOX_IOC_SEND_BATCH / RECV_BATCH over @count entries at @msgs. */
static inline void mbox_prep_batch(struct io_uring_sqe *sqe, int fd, unsigned int cmd,
				   struct mbox_batch *b, void *msgs, unsigned int count,
				   size_t entry_size, unsigned int flags)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->flags = flags;
	b->msgs = (uint64_t)(uintptr_t)msgs;
	b->count = count;
	b->entry_size = (uint32_t)entry_size;
	mbox_prep_cmd(sqe, fd, cmd, b);
}

#endif /* MBOX_URING_H */
