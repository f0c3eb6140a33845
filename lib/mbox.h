/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmbox: a thin C library over the /dev/mbox ioctls.
 *
 * Conventions, for every function in this header:
 *  - On success a function returns 0 or a non-negative value (a descriptor,
 *    a count, a size); on failure it returns a negative errno value
 *    (-EINVAL, -EAGAIN, ...). errno itself is unspecified after any call:
 *    callers use the return value, never errno.
 *  - The library keeps no global state: every call acts only on the
 *    descriptors and buffers passed to it, so all functions are thread-safe
 *    to the extent the kernel objects they act on are (they all are).
 *  - Descriptors are opened close-on-exec unless the caller asks otherwise.
 *
 * The kernel's argument structs are in <linux/mbox.h>, included here.
 */
#ifndef LIBMBOX_H
#define LIBMBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/mbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags for mbox_dev_open(). */
#define MBOX_DEV_NOCLOEXEC	(1u << 0)	/* do not set O_CLOEXEC */

/**
 * mbox_dev_open() - open the control device /dev/mbox
 * @flags: 0 or MBOX_DEV_NOCLOEXEC
 *
 * Return: a descriptor, or -ENOENT (module not loaded), -EACCES, -EINVAL
 * (unknown flags), or another open(2) error, negated.
 */
int mbox_dev_open(unsigned int flags);

/**
 * mbox_version() - query the module's API version and features
 * @devfd: a descriptor of /dev/mbox
 * @ver: filled in on success
 *
 * Return: 0, or -EBADF, -ENOTTY (not an mbox descriptor), -EFAULT.
 */
int mbox_version(int devfd, struct mbox_version *ver);

/**
 * mbox_has_feature() - whether the module supports all bits in @features
 *
 * Return: 1 if supported, 0 if not, or a negative errno from mbox_version().
 */
int mbox_has_feature(int devfd, uint64_t features);

/* ---- Mailboxes ---------------------------------------------------------
 *
 * devfd: a descriptor of /dev/mbox from mbox_dev_open(), or -1 to have the
 * call open (and close) one itself.
 */

/**
 * struct mbox_attr - creation attributes (see struct mbox_open in
 *	<linux/mbox.h> for each field's meaning)
 */
struct mbox_attr {
	uint32_t mode;		/* permission bits, e.g. 0600 */
	uint32_t mb_flags;	/* MBOX_MB_* */
	uint32_t capacity;	/* messages; 0: rendezvous; MBOX_CAPACITY_UNBOUNDED */
	uint32_t msg_size_max;	/* 0: the module's default */
	uint64_t max_bytes;	/* 0: no byte limit but the quota */
};

/* What mbox_open() uses when creating with attr == NULL. */
#define MBOX_ATTR_DEFAULT { .mode = 0600, .capacity = 64 }

/**
 * mbox_open() - create or open a mailbox by name (or anonymous: name NULL)
 * @devfd: /dev/mbox descriptor or -1
 * @name: the name (scoped to the IPC namespace), or NULL with MBOX_OPEN_CREATE
 *	for an anonymous mailbox
 * @flags: MBOX_OPEN_SEND and/or MBOX_OPEN_RECV, optionally MBOX_OPEN_CREATE,
 *	MBOX_OPEN_EXCL, MBOX_OPEN_NONBLOCK; MBOX_OPEN_CLOEXEC is always added
 * @attr: with MBOX_OPEN_CREATE, the attributes (NULL: MBOX_ATTR_DEFAULT);
 *	ignored otherwise
 * @id: if not NULL, receives the mailbox's ID
 *
 * Return: a mailbox descriptor; -ENOENT (no such mailbox), -EEXIST
 * (CREATE|EXCL and it exists), -EACCES (mode denies the access asked),
 * -ENOSPC (objects_per_user reached), -EINVAL (bad flags, attributes or
 * name), -ENAMETOOLONG, -ENOMEM.
 */
int mbox_open(int devfd, const char *name, unsigned int flags,
	      const struct mbox_attr *attr, uint64_t *id);

/** mbox_open_id() - open an existing mailbox by ID; errors as mbox_open(). */
int mbox_open_id(int devfd, uint64_t id, unsigned int flags);

/**
 * mbox_unlink() / mbox_unlink_id() - remove a mailbox's name and ID; it
 * lives on until its last descriptor closes.
 *
 * Return: 0, -ENOENT, -EPERM (not the owner and no CAP_IPC_OWNER), -EINVAL.
 */
int mbox_unlink(int devfd, const char *name);
int mbox_unlink_id(int devfd, uint64_t id);

/**
 * mbox_send() - send one message
 * @fd: a mailbox descriptor opened with MBOX_OPEN_SEND
 * @buf: @len: the message (len 0 allowed)
 * @prio: 0 to MBOX_PRIO_MAX (32767; 31 without MBOX_FEAT_PRIO_WIDE), higher first
 * @flags: MBOX_WAIT_NONBLOCK, MBOX_WAIT_TIMEOUT (+ ABSTIME, REALTIME),
 *	MBOX_SEND_CONFIRM
 * @timeout_ns: with MBOX_WAIT_TIMEOUT/ABSTIME, the timeout; else 0
 *
 * Return: 0; -EAGAIN (full, or rendezvous with no receiver, non-blocking),
 * -ETIMEDOUT, -EINTR (signal; also ERESTART handled by SA_RESTART),
 * -EMSGSIZE (longer than the mailbox allows), -EDQUOT (bytes_per_user
 * reached), -EBADF (not opened for sending), -EINVAL, -EFAULT, -ENOMEM.
 */
int mbox_send(int fd, const void *buf, size_t len, unsigned int prio,
	      unsigned int flags, int64_t timeout_ns);

/**
 * mbox_recv() - receive one message
 * @fd: a mailbox descriptor opened with MBOX_OPEN_RECV
 * @buf: @len: the buffer
 * @flags: MBOX_WAIT_*, MBOX_RECV_PEEK, MBOX_RECV_TRUNC
 * @timeout_ns: as for mbox_send()
 * @meta: if not NULL, receives the message's metadata (len, prio, seq, pid,
 *	uid, dropped; see struct mbox_recv)
 *
 * Return: the number of bytes copied; -EMSGSIZE (buffer too small: the
 * message stays queued and meta->len says what is needed), -EAGAIN,
 * -ETIMEDOUT, -EINTR, -EBADF, -ENOTCONN (broadcast, not subscribed), -EFAULT.
 */
int mbox_recv(int fd, void *buf, size_t len, unsigned int flags,
	      int64_t timeout_ns, struct mbox_recv *meta);

/** mbox_recv_from() - mbox_recv() of messages from process @pid only. */
int mbox_recv_from(int fd, pid_t pid, void *buf, size_t len,
		   unsigned int flags, int64_t timeout_ns, struct mbox_recv *meta);

/**
 * mbox_sendmsg() / mbox_recvmsg() - the raw calls, for full control: fill in
 * the struct (size is set by the library). Return as mbox_send()/mbox_recv().
 */
int mbox_sendmsg(int fd, struct mbox_send *msg);
int mbox_recvmsg(int fd, struct mbox_recv *msg);

/**
 * mbox_send_batch() / mbox_recv_batch() - up to MBOX_BATCH_MAX messages in
 * one system call. Each entry gives buf, len (and prio for send); results
 * (seq; len, prio, pid, ...) are written back into the entries. Only the
 * first message may wait (@flags, @timeout_ns as for one message).
 *
 * Return: how many messages went through (>= 1), or the first message's
 * error.
 */
int mbox_send_batch(int fd, struct mbox_send *msgs, unsigned int count,
		    unsigned int flags, int64_t timeout_ns);
int mbox_recv_batch(int fd, struct mbox_recv *msgs, unsigned int count,
		    unsigned int flags, int64_t timeout_ns);

/** mbox_subscribe() - join a broadcast mailbox through @fd. 0, -EALREADY, -EINVAL. */
int mbox_subscribe(int fd);

/** mbox_info() - a mailbox's attributes and live counters. 0 or -errno. */
int mbox_info(int fd, struct mbox_info *info);

/**
 * mbox_info_name() - mbox_info(), and the whole name into @name (@size
 * bytes; MBOX_NAME_LONG_MAX always suffices), NUL-terminated, cut to fit
 * when shorter; info->name_size says how many bytes the name needs.
 * Needs MBOX_FEAT_LONG_NAMES (-E2BIG from an older module). 0 or -errno.
 */
int mbox_info_name(int fd, struct mbox_info *info, char *name, size_t size);

/** mbox_stats() - module-wide counters. 0 or -errno. */
int mbox_stats(int devfd, struct mbox_stats *stats);

/** mbox_close() - close a descriptor. 0 or -errno. */
int mbox_close(int fd);

/* ---- Direct links ------------------------------------------------------
 *
 * See docs/links.md. Peers are named by process ID; the first message
 * between two processes makes their link.
 *
 * Or by pidfd, with no pid-reuse window (MBOX_FEAT_PIDFD): MBOX_PEER_PIDFD
 * in the flags of mbox_link_send(), mbox_link_recv(), mbox_call() or
 * mbox_link_open() makes their pid_t argument a pidfd (from
 * syscall(SYS_pidfd_open, pid, 0), CLONE_PIDFD, or received over a unix
 * socket); mbox_link_info_pidfd() is mbox_link_info() by pidfd. Extra
 * errors: -EBADF (not a pidfd), -ESRCH (the process has exited). A thread's
 * pidfd (PIDFD_THREAD) names its process.
 */

/**
 * mbox_endpoint() - create the calling process's endpoint (one per process)
 * @devfd: /dev/mbox descriptor or -1
 * @mode: who else may send to us: 0, 0020 (our group), 0002 (anyone)
 * @capacity: asynchronous messages each peer may have queued to us (0: 64)
 * @id: if not NULL, receives the endpoint's ID
 *
 * Return: the endpoint descriptor (close-on-exec); -EEXIST (the process has
 * one), -EINVAL, -ENOSPC, -ENOMEM.
 */
int mbox_endpoint(int devfd, unsigned int mode, unsigned int capacity,
		  uint64_t *id);

/**
 * mbox_link_send() - send to process @pid through endpoint @epfd, or to the
 *	peer of link descriptor @epfd (@pid 0)
 * @flags: MBOX_LINK_ASYNC (queue and return; default: return once the peer
 *	has received it), MBOX_WAIT_*, MBOX_PEER_PIDFD (@pid is a pidfd)
 *
 * Return: 0; -ESRCH (no such process), -EPERM (not allowed), -ECONNREFUSED
 * (it has no endpoint), -EPIPE (the link is gone), -ECONNRESET (it went
 * while we waited), -EAGAIN, -ETIMEDOUT, -EINTR, -EMSGSIZE, -EDQUOT.
 */
int mbox_link_send(int epfd, pid_t pid, const void *buf, size_t len,
		   unsigned int flags, int64_t timeout_ns);

/**
 * mbox_link_recv() - receive from any peer (@from 0) or from process @from
 *	through endpoint @fd, or from the peer of link descriptor @fd
 * @flags: MBOX_WAIT_*, MBOX_RECV_PEEK, MBOX_RECV_TRUNC, MBOX_PEER_PIDFD
 *	(endpoint: @from is a pidfd, and may be 0)
 * @meta: if not NULL, the metadata: sender pid, len, seq, call_id (non-zero
 *	for a call: answer with mbox_reply()), link_id, uid
 *
 * Return: bytes copied; -EMSGSIZE (meta->len needed; the message stays),
 * -ECONNRESET (that peer went and nothing of its is left), -EAGAIN,
 * -ETIMEDOUT, -EINTR.
 */
int mbox_link_recv(int fd, pid_t from, void *buf, size_t len, unsigned int flags,
		   int64_t timeout_ns, struct mbox_link_recv *meta);

/**
 * mbox_call() - send a request to process @pid and wait for its reply
 * @reply: @reply_len: the reply buffer
 * @flags: MBOX_WAIT_* for the whole call, MBOX_PEER_PIDFD (@pid is a pidfd)
 * @call_id: if not NULL, receives the call's ID
 *
 * Return: the reply's length; -ECONNRESET (the server went), -EMSGSIZE
 * (the reply is longer than @reply_len: receive it with
 * mbox_call_reply_fetch()), the errors of mbox_link_send(), -EINTR (never
 * restarted: the request may have been received).
 */
int mbox_call(int epfd, pid_t pid, const void *req, size_t req_len, void *reply,
	      size_t reply_len, unsigned int flags, int64_t timeout_ns,
	      uint64_t *call_id);

/**
 * mbox_call_reply_fetch() - receive the reply of call @call_id that was too
 *	long for mbox_call()'s buffer. Return as mbox_link_recv().
 */
int mbox_call_reply_fetch(int epfd, uint64_t call_id, void *buf, size_t len);

/**
 * mbox_reply() - answer call @call_id, received through endpoint @epfd
 *
 * Return: 0; -ENOENT (no such call waiting: never received here, answered,
 * or its caller gave up), -EPIPE (the caller is gone), -EMSGSIZE, -EDQUOT.
 */
int mbox_reply(int epfd, uint64_t call_id, const void *buf, size_t len);

/**
 * mbox_link_open() - a descriptor for the link with process @pid (made if
 *	need be): send/recv with pid 0, read/write, poll (EPOLLHUP when it is
 *	gone), mbox_link_info(). @flags: MBOX_LINK_NONBLOCK, MBOX_PEER_PIDFD
 *	(@pid is a pidfd).
 *
 * Return: the descriptor (close-on-exec), or the errors of mbox_link_send().
 */
int mbox_link_open(int epfd, pid_t pid, unsigned int flags);

/**
 * mbox_link_info() - counters of the link with @pid (endpoint descriptor)
 *	or of link descriptor @fd (@pid 0). Return: 0, -ENOTCONN (no link).
 */
int mbox_link_info(int fd, pid_t pid, struct mbox_link_info *info);

/**
 * mbox_link_info_pidfd() - mbox_link_info() of the link with the process
 *	@pidfd names (endpoint descriptor). Return: 0, -ENOTCONN, -EBADF (not
 *	a pidfd), -ESRCH (the process has exited).
 */
int mbox_link_info_pidfd(int epfd, int pidfd, struct mbox_link_info *info);

/** mbox_endpoint_info() - an endpoint's counters. 0 or -errno. */
int mbox_endpoint_info(int epfd, struct mbox_endpoint_info *info);

/* ---- Shared ring segments ------------------------------------------------
 *
 * See docs/rings.md. A struct mbox_ring is one process's attachment to a
 * ring in one role, with every area mapped; it is not for use by several
 * threads at once (one producer, one consumer). Records are handed over
 * through shared memory: no system call per record unless a side sleeps.
 * Besides the usual errors: -EPIPE (consumer: the producer left and the ring
 * is drained, end of stream; producer: the consumer left), -EBADMSG (the
 * shared memory holds something impossible: a corrupted or hostile peer),
 * -EBUSY (the role is taken).
 */
struct mbox_ring;

/** struct mbox_ring_attr - a new ring: @mode (default 0600), @data_size
 *	(a power of two, at least a page; 0 for 64 KiB) */
struct mbox_ring_attr {
	unsigned int mode;
	uint32_t data_size;
};

/**
 * mbox_ring_open() - create or open ring @name (NULL with MBOX_RING_CREATE:
 *	an anonymous ring, to share by ID) and attach in one role
 * @flags: one of MBOX_RING_PRODUCER and MBOX_RING_CONSUMER, or neither for
 *	an observer (mbox_ring_info() only); CREATE, EXCL, NONBLOCK (the
 *	descriptor is close-on-exec)
 * @ringp: receives the handle
 * Return: 0 or -errno.
 */
int mbox_ring_open(int devfd, const char *name, unsigned int flags,
		   const struct mbox_ring_attr *attr, struct mbox_ring **ringp);
/** mbox_ring_open_id() - attach to the ring with ID @id. 0 or -errno. */
int mbox_ring_open_id(int devfd, uint64_t id, unsigned int flags, struct mbox_ring **ringp);
/** mbox_ring_unlink() - remove ring @name's name and ID. 0 or -errno. */
int mbox_ring_unlink(int devfd, const char *name);
/** mbox_ring_close() - unmap, close, free the handle; the role is free. */
int mbox_ring_close(struct mbox_ring *ring);
/** mbox_ring_fd() - the descriptor, for poll/epoll (POLLIN, POLLOUT, POLLHUP). */
int mbox_ring_fd(const struct mbox_ring *ring);
/** mbox_ring_info() - attributes, counters, layout. 0 or -errno. */
int mbox_ring_info(const struct mbox_ring *ring, struct mbox_ring_info *info);

/**
 * mbox_ring_reserve() - producer: room for a record of @len bytes, written
 *	in place through *@buf, published by mbox_ring_commit()
 * @flags: MBOX_WAIT_* for room (-EAGAIN, -ETIMEDOUT)
 *
 * Several reservations may be committed at once (a batch). Write each
 * record before the next reserve: a reserve that must wait for room first
 * commits the records reserved before it.
 * Return: 0, -EMSGSIZE (@len > the ring's rec_max), -EPIPE, -EBADMSG.
 */
int mbox_ring_reserve(struct mbox_ring *ring, size_t len, void **buf, unsigned int flags,
		      int64_t timeout_ns);
/** mbox_ring_commit() - producer: publish every reserved record. 0 or -errno. */
int mbox_ring_commit(struct mbox_ring *ring);
/** mbox_ring_send() - producer: reserve, copy, commit. 0 or -errno. */
int mbox_ring_send(struct mbox_ring *ring, const void *buf, size_t len, unsigned int flags,
		   int64_t timeout_ns);

/**
 * mbox_ring_peek() - consumer: the next record, in place
 * @buf: receives a pointer to its payload, valid until mbox_ring_release()
 * @flags: MBOX_WAIT_* for a record
 *
 * Successive peeks walk successive records; mbox_ring_release() gives them
 * all back at once. A peek that must wait first releases the records
 * peeked before it (their pointers are then invalid).
 * Return: the record's length, -EPIPE (end of stream), -EBADMSG, -EAGAIN...
 */
int mbox_ring_peek(struct mbox_ring *ring, const void **buf, unsigned int flags,
		   int64_t timeout_ns);
/** mbox_ring_release() - consumer: give back every peeked record. 0 or -errno. */
int mbox_ring_release(struct mbox_ring *ring);
/**
 * mbox_ring_recv() - consumer: copy the next record out and release it
 * Return: its length; -EMSGSIZE when longer than @len (it stays: peek to
 * learn its length), and the errors of mbox_ring_peek().
 */
int mbox_ring_recv(struct mbox_ring *ring, void *buf, size_t len, unsigned int flags,
		   int64_t timeout_ns);

/**
 * mbox_strerror() - a short description of an mbox error, for messages
 * @err: a negative errno returned by this library (or a positive errno)
 *
 * Return: a static string; the mbox-specific meanings are used where the
 * module gives an errno one (e.g. quota exhaustion), strerror() otherwise.
 */
const char *mbox_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* LIBMBOX_H */
