/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mbox: mailbox IPC through /dev/mbox.
 *
 * This header is shared by the kernel module, libmbox and the selftests.
 *
 * Conventions (see docs/uapi.md):
 *  - Every command is _IO(MBOX_TYPE, nr): the argument size is not encoded in
 *    the command number. Instead every argument struct starts with
 *    "__u32 size; __u32 flags;". User space sets size to sizeof() the struct
 *    it was compiled against. The kernel accepts any size from the first
 *    published version of the struct up to one page: a shorter struct than
 *    the kernel knows is zero-extended, a longer one must have an all-zero
 *    tail (-E2BIG otherwise). The kernel writes back at most size bytes.
 *  - Unknown flag bits and non-zero reserved fields are rejected (-EINVAL).
 *  - Pointers are passed as __u64.
 *  - Unknown command numbers return -ENOTTY.
 */
#ifndef _UAPI_LINUX_MBOX_H
#define _UAPI_LINUX_MBOX_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/const.h>

#define MBOX_DEVICE_PATH	"/dev/mbox"

/* Bumped only for incompatible changes; additions are feature bits. */
#define MBOX_API_VERSION	1

/* ioctl type, unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst */
#define MBOX_TYPE		0xB8

/* Feature bits reported by MBOX_IOC_VERSION. */
#define MBOX_FEAT_VERSION	_BITULL(0)	/* the version ioctl itself */
#define MBOX_FEAT_MAILBOX	_BITULL(1)	/* mailboxes: open/unlink/send/recv/info */
#define MBOX_FEAT_BATCH		_BITULL(2)	/* MBOX_IOC_SEND_BATCH, MBOX_IOC_RECV_BATCH */
#define MBOX_FEAT_BROADCAST	_BITULL(3)	/* MBOX_MB_BROADCAST mailboxes */
#define MBOX_FEAT_LINK		_BITULL(4)	/* endpoints, direct links, calls */
#define MBOX_FEAT_RING		_BITULL(5)	/* shared ring segments */
#define MBOX_FEAT_PIDFD		_BITULL(6)	/* MBOX_PEER_PIDFD */
#define MBOX_FEAT_PRIO_WIDE	_BITULL(7)	/* priorities up to 32767 */
#define MBOX_FEAT_LONG_NAMES	_BITULL(8)	/* names up to MBOX_NAME_LONG_MAX */
#define MBOX_FEAT_NOTIFY	_BITULL(9)	/* MBOX_IOC_NOTIFY */
#define MBOX_FEAT_RECV_FULLSIZE	_BITULL(10)	/* MBOX_RECV_FULLSIZE */
#define MBOX_FEAT_URING		_BITULL(11)	/* io_uring commands (struct mbox_uring_cmd) */
#define MBOX_FEAT_OPEN_UMASK	_BITULL(12)	/* MBOX_OPEN_UMASK */
#define MBOX_FEAT_RECV_SEQ	_BITULL(13)	/* MBOX_RECV_SEQ */

/**
 * struct mbox_version - API version and feature query (MBOX_IOC_VERSION)
 * @size: in: sizeof(struct mbox_version)
 * @flags: in: must be 0
 * @api_version: out: MBOX_API_VERSION of the running module
 * @__reserved: must be 0
 * @features: out: MBOX_FEAT_* bits the module supports
 */
struct mbox_version {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 __reserved;
	__u64 features;
};

/* ---- Mailboxes -------------------------------------------------------- */

/*
 * Longest name, including the terminating NUL, that struct mbox_info.name
 * holds; without MBOX_FEAT_LONG_NAMES also the longest name accepted.
 */
#define MBOX_NAME_MAX		64
/* With MBOX_FEAT_LONG_NAMES: the longest name, NUL included (NAME_MAX + 1). */
#define MBOX_NAME_LONG_MAX	256
/*
 * Priorities are 0 (lowest, the default) to MBOX_PRIO_MAX (highest): POSIX
 * mq's range (MQ_PRIO_MAX is 32768). A module without MBOX_FEAT_PRIO_WIDE
 * accepts only 0 to 31.
 */
#define MBOX_PRIO_MAX		32767
/* capacity value for a mailbox bounded only by the per-user byte quota. */
#define MBOX_CAPACITY_UNBOUNDED	0xffffffffU

/* Mailbox behaviour, chosen at creation (struct mbox_open.mb_flags). */
#define MBOX_MB_DROP_OLDEST	_BITUL(0)	/* when full, drop the oldest message */
#define MBOX_MB_BROADCAST	_BITUL(1)	/* every subscriber gets every message */

/* struct mbox_open.flags */
#define MBOX_OPEN_SEND		_BITUL(0)	/* the descriptor may send (needs w) */
#define MBOX_OPEN_RECV		_BITUL(1)	/* the descriptor may receive (needs r) */
#define MBOX_OPEN_CREATE	_BITUL(2)	/* create if it does not exist */
#define MBOX_OPEN_EXCL		_BITUL(3)	/* with CREATE: fail if it exists */
#define MBOX_OPEN_CLOEXEC	_BITUL(4)	/* O_CLOEXEC on the new descriptor */
#define MBOX_OPEN_NONBLOCK	_BITUL(5)	/* O_NONBLOCK on the new descriptor */
#define MBOX_OPEN_UMASK		_BITUL(6)	/* creating: mode &= ~umask */

/**
 * struct mbox_open - create or open a mailbox (MBOX_IOC_OPEN on /dev/mbox)
 * @size: sizeof(struct mbox_open)
 * @flags: MBOX_OPEN_*; at least one of SEND and RECV
 * @name: in: pointer to a NUL-terminated name (1 to MBOX_NAME_LONG_MAX - 1
 *	printable ASCII characters, no '/'; MBOX_NAME_MAX - 1 before
 *	MBOX_FEAT_LONG_NAMES), or 0. A name is scoped to the
 *	caller's IPC namespace. A named mailbox persists until it is unlinked
 *	(like a POSIX message queue); an anonymous one lives as long as a
 *	descriptor refers to it.
 * @id: in: with @name 0 and no CREATE, the ID of the mailbox to open;
 *	otherwise must be 0. out: the mailbox's ID, unique while the module is
 *	loaded (never reused).
 * @mode: in, when creating: permission bits (0777 mask; the caller's umask
 *	is applied only with MBOX_OPEN_UMASK, as open(2) and mq_open(3) do).
 *	Send needs write, receive needs read permission.
 * @mb_flags: in, when creating: MBOX_MB_*
 * @capacity: in, when creating: how many messages may be queued. 0 makes a
 *	zero-capacity (rendezvous) mailbox: a send completes only once a
 *	receiver has taken the message. MBOX_CAPACITY_UNBOUNDED: bounded only
 *	by the sender's byte quota.
 * @msg_size_max: in, when creating: the largest message; 0 for the module's
 *	default (module parameter msg_size_max)
 * @max_bytes: in, when creating: how many payload bytes may be queued; 0 for
 *	no limit other than the quota
 *
 * Opening an existing mailbox ignores the creation fields. When not creating
 * they must be 0. The ioctl returns the new descriptor.
 */
struct mbox_open {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u64 id;
	__u32 mode;
	__u32 mb_flags;
	__u32 capacity;
	__u32 msg_size_max;
	__u64 max_bytes;
};

#define MBOX_UNLINK_RING	_BITUL(0)	/* the object is a ring */

/**
 * struct mbox_unlink - remove a mailbox's (or ring's) name and ID
 *	(MBOX_IOC_UNLINK)
 * @size: sizeof(struct mbox_unlink)
 * @flags: 0 for a mailbox, MBOX_UNLINK_RING for a ring
 * @name: pointer to the name, or 0 to unlink by @id
 * @id: the ID when @name is 0, else 0
 *
 * Only the owner (or a holder of CAP_IPC_OWNER) may unlink. The mailbox
 * lives on until its last descriptor is closed, but can no longer be opened.
 */
struct mbox_unlink {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u64 id;
};

/* Wait control shared by send and receive (the low byte of flags). */
#define MBOX_WAIT_NONBLOCK	_BITUL(0)	/* fail with -EAGAIN instead of waiting */
#define MBOX_WAIT_TIMEOUT	_BITUL(1)	/* wait at most timeout_ns */
#define MBOX_WAIT_ABSTIME	_BITUL(2)	/* timeout_ns is absolute, CLOCK_MONOTONIC */
#define MBOX_WAIT_REALTIME	_BITUL(3)	/* with ABSTIME: on CLOCK_REALTIME */

/* struct mbox_send.flags, besides MBOX_WAIT_* */
#define MBOX_SEND_CONFIRM	_BITUL(8)	/* return once a receiver has the message */

/* struct mbox_recv.flags, besides MBOX_WAIT_* */
#define MBOX_RECV_PEEK		_BITUL(8)	/* copy without removing */
#define MBOX_RECV_TRUNC		_BITUL(9)	/* a short buffer drops the tail */
#define MBOX_RECV_FROM_PID	_BITUL(10)	/* only messages from pid */
#define MBOX_RECV_REPLY		_BITUL(11)	/* links: the reply to call_id */
/* Mailboxes: a buffer shorter than msg_size_max is -EMSGSIZE at once (POSIX). */
#define MBOX_RECV_FULLSIZE	_BITUL(13)
/* Mailboxes: only the message whose seq is @seq; never waits (-ENOMSG). */
#define MBOX_RECV_SEQ		_BITUL(14)

/**
 * struct mbox_send - send one message (MBOX_IOC_SEND on a mailbox)
 * @size: sizeof(struct mbox_send)
 * @flags: MBOX_WAIT_*, MBOX_SEND_*
 * @buf: pointer to the message
 * @len: its length in bytes (0 allowed); more than the mailbox's maximum is
 *	-EMSGSIZE
 * @prio: 0 to MBOX_PRIO_MAX; higher is received first, FIFO within one
 * @timeout_ns: with MBOX_WAIT_TIMEOUT, the relative timeout (>= 0), or with
 *	MBOX_WAIT_ABSTIME the absolute expiry
 * @seq: out: the sequence number the mailbox gave the message
 *
 * The descriptor's O_NONBLOCK also makes the call non-blocking.
 */
struct mbox_send {
	__u32 size;
	__u32 flags;
	__u64 buf;
	__u32 len;
	__u32 prio;
	__s64 timeout_ns;
	__u64 seq;
};

/**
 * struct mbox_recv - receive one message (MBOX_IOC_RECV on a mailbox)
 * @size: sizeof(struct mbox_recv)
 * @flags: MBOX_WAIT_*, MBOX_RECV_*
 * @buf: pointer to the buffer
 * @len: in: the buffer's size; out: the message's length. When the message
 *	is longer than the buffer the call fails with -EMSGSIZE, @len says how
 *	much is needed and the message stays queued, unless MBOX_RECV_TRUNC
 *	asks for the tail to be dropped.
 * @prio: out: the message's priority
 * @timeout_ns: as for struct mbox_send
 * @seq: in: with MBOX_RECV_SEQ, the sequence number of the message to
 *	receive (or peek at): if no message with it is queued, the call fails
 *	with -ENOMSG at once and takes nothing; out: the message's sequence
 *	number in this mailbox
 * @pid: in: with MBOX_RECV_FROM_PID, the sender to receive from (in the
 *	caller's pid namespace); out: the sender's process ID in the caller's
 *	pid namespace, 0 if it is not visible there
 * @uid: out: the sender's effective uid in the caller's user namespace
 * @dropped: out: how many messages this receiver missed since its previous
 *	receive (MBOX_MB_DROP_OLDEST, or a lagging broadcast subscriber)
 * @__reserved: must be 0
 *
 * The ioctl returns the number of bytes copied.
 */
struct mbox_recv {
	__u32 size;
	__u32 flags;
	__u64 buf;
	__u32 len;
	__u32 prio;
	__s64 timeout_ns;
	__u64 seq;
	__s32 pid;
	__u32 uid;
	__u32 dropped;
	__u32 __reserved;
};

/* The most entries one batch may carry. */
#define MBOX_BATCH_MAX		1024

/**
 * struct mbox_batch - send or receive many messages in one call
 *	(MBOX_IOC_SEND_BATCH, MBOX_IOC_RECV_BATCH)
 * @size: sizeof(struct mbox_batch)
 * @flags: MBOX_WAIT_* (they apply to the first message only: once one has
 *	gone through, the call never waits again) and, for receive,
 *	MBOX_RECV_TRUNC
 * @msgs: pointer to an array of @count struct mbox_send (for send) or struct
 *	mbox_recv (for receive) entries, each @entry_size bytes; each entry's
 *	own size and flags fields must be 0, its other fields are as for a
 *	single call
 * @count: how many entries, 1 to MBOX_BATCH_MAX
 * @entry_size: sizeof(the entry struct)
 * @timeout_ns: as for struct mbox_send
 * @done: out: how many messages went through
 * @__reserved: must be 0
 *
 * The ioctl returns how many messages went through (also in @done). If the
 * first one fails the error is returned; an error after it ends the batch
 * early and is not reported.
 */
struct mbox_batch {
	__u32 size;
	__u32 flags;
	__u64 msgs;
	__u32 count;
	__u32 entry_size;
	__s64 timeout_ns;
	__u32 done;
	__u32 __reserved;
};

/* struct mbox_info.state */
#define MBOX_STATE_UNLINKED	_BITUL(0)	/* no longer reachable by name or ID */
#define MBOX_STATE_NAME_TRUNC	_BITUL(1)	/* @name holds the first 63 bytes only */

/**
 * struct mbox_info - a mailbox's attributes and counters (MBOX_IOC_INFO)
 * @size: sizeof(struct mbox_info)
 * @flags: must be 0
 * @id: the mailbox's ID
 * @name: its name, NUL-terminated, empty if anonymous; a name longer than
 *	MBOX_NAME_MAX - 1 bytes is cut there and MBOX_STATE_NAME_TRUNC is set
 * @mode: permission bits
 * @mb_flags: MBOX_MB_*
 * @uid: owner, in the caller's user namespace
 * @gid: group, in the caller's user namespace
 * @capacity: as created
 * @msg_size_max: as created (the default filled in)
 * @max_bytes: as created
 * @msgs: messages queued now
 * @bytes: payload bytes queued now
 * @sent: messages sent so far
 * @received: messages received so far (broadcast: by any subscriber)
 * @dropped: messages dropped by the overflow policy so far
 * @send_waiters: senders blocked now, for room or (rendezvous, confirmed
 *	send) for a receiver to take their message
 * @recv_waiters: receivers blocked now
 * @subscribers: broadcast subscribers now
 * @state: MBOX_STATE_*
 * @name_buf: in (MBOX_FEAT_LONG_NAMES): 0, or a pointer to a buffer of
 *	@name_size bytes that receives the whole name, NUL-terminated (cut to
 *	fit, like snprintf(), when the buffer is short)
 * @name_size: in: the buffer's size (0 with @name_buf 0); out: the bytes the
 *	whole name needs, its NUL included (1 for an anonymous mailbox)
 * @__reserved: must be 0
 */
struct mbox_info {
	__u32 size;
	__u32 flags;
	__u64 id;
	char name[MBOX_NAME_MAX];
	__u32 mode;
	__u32 mb_flags;
	__u32 uid;
	__u32 gid;
	__u32 capacity;
	__u32 msg_size_max;
	__u64 max_bytes;
	__u64 msgs;
	__u64 bytes;
	__u64 sent;
	__u64 received;
	__u64 dropped;
	__u32 send_waiters;
	__u32 recv_waiters;
	__u32 subscribers;
	__u32 state;
	__u64 name_buf;
	__u32 name_size;
	__u32 __reserved;
};

/**
 * struct mbox_stats - module-wide counters (MBOX_IOC_STATS on /dev/mbox)
 * @size: sizeof(struct mbox_stats)
 * @flags: must be 0
 * @mailboxes: mailboxes alive (including unlinked ones still open)
 * @messages: messages queued in all mailboxes and endpoints
 * @bytes: payload bytes queued in all mailboxes and endpoints
 * @endpoints: endpoints alive (the fields below are newer: a caller whose
 *	struct ends at @bytes still works and does not get them)
 * @links: links alive, including dead ones a descriptor still holds
 * @rings: ring segments alive (including unlinked ones still open or mapped)
 * @uring_waits: io_uring receives parked now, waiting for a message
 *	(MBOX_FEAT_URING; newer still)
 */
struct mbox_stats {
	__u32 size;
	__u32 flags;
	__u64 mailboxes;
	__u64 messages;
	__u64 bytes;
	__u64 endpoints;
	__u64 links;
	__u64 rings;
	__u64 uring_waits;
};

/* Commands on the /dev/mbox descriptor. */
enum {
	MBOX_CMD_VERSION = 0x00,
	MBOX_CMD_OPEN = 0x01,
	MBOX_CMD_UNLINK = 0x02,
	MBOX_CMD_STATS = 0x03,
	MBOX_CMD_ENDPOINT = 0x04,
	MBOX_CMD_RING_OPEN = 0x05,
};

/* Commands on a mailbox descriptor. */
enum {
	MBOX_CMD_SEND = 0x20,
	MBOX_CMD_RECV = 0x21,
	MBOX_CMD_SEND_BATCH = 0x22,
	MBOX_CMD_RECV_BATCH = 0x23,
	MBOX_CMD_INFO = 0x24,
	MBOX_CMD_SUBSCRIBE = 0x25,
	MBOX_CMD_NOTIFY = 0x26,
};

/* Commands on an endpoint descriptor; SEND, RECV and INFO also on a link's. */
enum {
	MBOX_CMD_LINK_SEND = 0x40,
	MBOX_CMD_LINK_RECV = 0x41,
	MBOX_CMD_CALL = 0x42,
	MBOX_CMD_LINK_OPEN = 0x43,
	MBOX_CMD_LINK_INFO = 0x44,
	MBOX_CMD_ENDPOINT_INFO = 0x45,
};

#define MBOX_IOC_VERSION	_IO(MBOX_TYPE, MBOX_CMD_VERSION)
#define MBOX_IOC_OPEN		_IO(MBOX_TYPE, MBOX_CMD_OPEN)
#define MBOX_IOC_UNLINK		_IO(MBOX_TYPE, MBOX_CMD_UNLINK)
#define MBOX_IOC_STATS		_IO(MBOX_TYPE, MBOX_CMD_STATS)
#define MBOX_IOC_SEND		_IO(MBOX_TYPE, MBOX_CMD_SEND)
#define MBOX_IOC_RECV		_IO(MBOX_TYPE, MBOX_CMD_RECV)
#define MBOX_IOC_SEND_BATCH	_IO(MBOX_TYPE, MBOX_CMD_SEND_BATCH)
#define MBOX_IOC_RECV_BATCH	_IO(MBOX_TYPE, MBOX_CMD_RECV_BATCH)
#define MBOX_IOC_INFO		_IO(MBOX_TYPE, MBOX_CMD_INFO)
#define MBOX_IOC_SUBSCRIBE	_IO(MBOX_TYPE, MBOX_CMD_SUBSCRIBE)
#define MBOX_IOC_NOTIFY		_IO(MBOX_TYPE, MBOX_CMD_NOTIFY)
#define MBOX_IOC_ENDPOINT	_IO(MBOX_TYPE, MBOX_CMD_ENDPOINT)
#define MBOX_IOC_LINK_SEND	_IO(MBOX_TYPE, MBOX_CMD_LINK_SEND)
#define MBOX_IOC_LINK_RECV	_IO(MBOX_TYPE, MBOX_CMD_LINK_RECV)
#define MBOX_IOC_CALL		_IO(MBOX_TYPE, MBOX_CMD_CALL)
#define MBOX_IOC_LINK_OPEN	_IO(MBOX_TYPE, MBOX_CMD_LINK_OPEN)
#define MBOX_IOC_LINK_INFO	_IO(MBOX_TYPE, MBOX_CMD_LINK_INFO)
#define MBOX_IOC_ENDPOINT_INFO	_IO(MBOX_TYPE, MBOX_CMD_ENDPOINT_INFO)
#define MBOX_IOC_RING_OPEN	_IO(MBOX_TYPE, MBOX_CMD_RING_OPEN)
#define MBOX_IOC_RING_WAIT	_IO(MBOX_TYPE, MBOX_CMD_RING_WAIT)
#define MBOX_IOC_RING_WAKE	_IO(MBOX_TYPE, MBOX_CMD_RING_WAKE)
#define MBOX_IOC_RING_INFO	_IO(MBOX_TYPE, MBOX_CMD_RING_INFO)

/**
 * struct mbox_subscribe - join a broadcast mailbox's subscribers through
 *	this descriptor (MBOX_IOC_SUBSCRIBE)
 * @size: sizeof(struct mbox_subscribe)
 * @flags: must be 0
 * @__reserved: must be 0
 *
 * A subscriber receives every message sent after it subscribed, in order;
 * receives through the descriptor read its own position. Closing the
 * descriptor (its last duplicate) ends the subscription. Subscribing twice
 * is -EALREADY; receiving from a broadcast mailbox without subscribing is
 * -ENOTCONN.
 */
struct mbox_subscribe {
	__u32 size;
	__u32 flags;
	__u64 __reserved;
};

/* struct mbox_notify.how */
#define MBOX_NOTIFY_REMOVE	0	/* remove the caller's registration */
#define MBOX_NOTIFY_NONE	1	/* register; nothing is delivered */
#define MBOX_NOTIFY_SIGNAL	2	/* send signal @signo */
#define MBOX_NOTIFY_EVENTFD	3	/* add 1 to the eventfd @fd */

/**
 * struct mbox_notify - ask to be told when a message arrives in an empty
 *	mailbox (MBOX_IOC_NOTIFY on a mailbox descriptor, MBOX_FEAT_NOTIFY)
 * @size: sizeof(struct mbox_notify)
 * @flags: must be 0
 * @how: MBOX_NOTIFY_*
 * @signo: MBOX_NOTIFY_SIGNAL: 0 (nothing is sent) to _NSIG; otherwise 0
 * @value: MBOX_NOTIFY_SIGNAL: the signal's si_value (sival_ptr, or sival_int
 *	in its low 32 bits); otherwise 0
 * @fd: MBOX_NOTIFY_EVENTFD: an eventfd descriptor; otherwise 0
 * @__reserved: must be 0
 *
 * The semantics of POSIX mq_notify(): a mailbox has at most one
 * registration, whichever process made it (another: -EBUSY). It is made by
 * and belongs to the calling process. When a message is queued while the
 * mailbox is empty and no receiver is waiting for it, the registration is
 * removed and fired once: MBOX_NOTIFY_SIGNAL sends @signo to the owner with
 * si_code SI_MESGQ, si_pid and si_uid the sender's (in the owner's
 * namespaces) and si_value @value, unless the owner has executed another
 * program since; MBOX_NOTIFY_EVENTFD signals the eventfd. MBOX_NOTIFY_REMOVE
 * removes the caller's registration (0 as well when there is none, or it is
 * another process's). The owner's registration is also removed when it
 * closes any descriptor of the mailbox, and so when it exits. Broadcast
 * mailboxes have no notification (-EINVAL). On a rendezvous mailbox it fires
 * when an offer is made while no receiver waits.
 */
struct mbox_notify {
	__u32 size;
	__u32 flags;
	__u32 how;
	__s32 signo;
	__u64 value;
	__s32 fd;
	__u32 __reserved;
};

/* ---- Direct links --------------------------------------------------------
 *
 * A process makes itself reachable by creating its endpoint (one per
 * process) with MBOX_IOC_ENDPOINT on /dev/mbox. Peers are named by process
 * ID, in the caller's pid namespace, and bound to the process itself: a
 * recycled pid is a different peer. The first message between two
 * processes establishes their link; there is exactly one per pair, used in
 * both directions. Everything on a link is torn down when either endpoint
 * goes away (its process exits, or its last descriptor is closed): calls
 * blocked on it fail with -ECONNRESET, later sends with -EPIPE, poll reports
 * EPOLLHUP; messages the peer had sent before it went are still received.
 */

/* struct mbox_endpoint.flags */
#define MBOX_EP_CLOEXEC		_BITUL(0)	/* O_CLOEXEC on the descriptor */
#define MBOX_EP_NONBLOCK	_BITUL(1)	/* O_NONBLOCK on the descriptor */

/* The default struct mbox_endpoint.capacity. */
#define MBOX_LINK_CAPACITY_DEFAULT	64

/**
 * struct mbox_endpoint - create the caller's endpoint (MBOX_IOC_ENDPOINT on
 *	/dev/mbox); returns its descriptor
 * @size: sizeof(struct mbox_endpoint)
 * @flags: MBOX_EP_*
 * @mode: who may send to us besides the processes allowed to signal us:
 *	0 nobody else, 0020 our group, 0002 everyone (only these bits)
 * @capacity: asynchronous messages each peer may have queued to us; 0 for
 *	MBOX_LINK_CAPACITY_DEFAULT, MBOX_CAPACITY_UNBOUNDED for the quota only
 * @msg_size_max: the largest message we accept; 0 for the module's default
 * @__reserved: must be 0
 * @id: out: the endpoint's ID
 *
 * A process has at most one endpoint at a time (-EEXIST).
 */
struct mbox_endpoint {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__u32 capacity;
	__u32 msg_size_max;
	__u32 __reserved;
	__u64 id;
};

/*
 * In the flags of struct mbox_link_send, mbox_link_recv (with
 * MBOX_RECV_FROM_PID), mbox_call, mbox_link_open and mbox_link_info, on an
 * endpoint descriptor: the pid field holds a pidfd (pidfd_open(2),
 * CLONE_PIDFD) naming the peer, not a process ID. The peer is then the very
 * process the pidfd refers to: no pid-reuse window. A descriptor that is
 * not a pidfd is -EBADF, a process that has exited -ESRCH; a thread's pidfd
 * (PIDFD_THREAD) names its process. Any other command: -EINVAL.
 * See docs/links.md.
 */
#define MBOX_PEER_PIDFD		_BITUL(12)

/* struct mbox_link_send.flags, besides MBOX_WAIT_* */
#define MBOX_LINK_ASYNC		_BITUL(8)	/* queue it; do not wait for the receive */
#define MBOX_LINK_REPLY		_BITUL(9)	/* the reply to call_id */

/**
 * struct mbox_link_send - send to a peer (MBOX_IOC_LINK_SEND)
 * @size: sizeof(struct mbox_link_send)
 * @flags: MBOX_WAIT_*, MBOX_LINK_ASYNC, MBOX_LINK_REPLY, MBOX_PEER_PIDFD
 *	(endpoint descriptor, not with MBOX_LINK_REPLY)
 * @pid: on an endpoint descriptor: the peer (a pidfd with MBOX_PEER_PIDFD);
 *	on a link descriptor: 0
 * @len: the message's length
 * @buf: pointer to the message
 * @timeout_ns: as for struct mbox_send
 * @call_id: with MBOX_LINK_REPLY, the call answered (from struct
 *	mbox_link_recv.call_id); otherwise 0
 * @seq: out: the message's sequence number on the link, in its direction
 *
 * By default the send is synchronous: it returns once the peer has received
 * the message (rendezvous). MBOX_LINK_ASYNC queues the message and returns;
 * when the peer already has its endpoint's capacity of our messages queued
 * the send waits (or fails with -EAGAIN). A reply is always asynchronous, and
 * fails with -ENOENT when the call is not waiting for one (never made to
 * this endpoint, answered already, or abandoned by its caller).
 */
struct mbox_link_send {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 len;
	__u64 buf;
	__s64 timeout_ns;
	__u64 call_id;
	__u64 seq;
};

/**
 * struct mbox_link_recv - receive from a peer (MBOX_IOC_LINK_RECV)
 * @size: sizeof(struct mbox_link_recv)
 * @flags: MBOX_WAIT_*, MBOX_RECV_PEEK, MBOX_RECV_TRUNC, MBOX_RECV_FROM_PID
 *	(endpoint descriptor only: from @pid only; a link descriptor receives
 *	from its peer only), MBOX_RECV_REPLY (endpoint descriptor only).
 *	Replies to calls are received only by their call, or MBOX_RECV_REPLY.
 *	MBOX_PEER_PIDFD (only with MBOX_RECV_FROM_PID): @pid is a pidfd.
 * @pid: in: with MBOX_RECV_FROM_PID, the peer; out: the sender, in the
 *	caller's pid namespace (0 if not visible there)
 * @len: in: the buffer's size; out: the message's length (short buffer:
 *	-EMSGSIZE, the message stays queued; or MBOX_RECV_TRUNC)
 * @buf: pointer to the buffer
 * @timeout_ns: as for struct mbox_send
 * @seq: out: the message's sequence number on the link, in its direction
 * @call_id: in: with MBOX_RECV_REPLY, the call whose reply to receive;
 *	out: non-zero when the message is a call (answer it with a send of
 *	MBOX_LINK_REPLY and this call_id) or, with MBOX_RECV_REPLY, a reply
 * @link_id: out: the link's ID
 * @uid: out: the sender's effective uid in the caller's user namespace
 * @__reserved: must be 0
 *
 * The ioctl returns the number of bytes copied.
 */
struct mbox_link_recv {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 len;
	__u64 buf;
	__s64 timeout_ns;
	__u64 seq;
	__u64 call_id;
	__u64 link_id;
	__u32 uid;
	__u32 __reserved;
};

/**
 * struct mbox_call - send a request and wait for its reply (MBOX_IOC_CALL
 *	on an endpoint descriptor)
 * @size: sizeof(struct mbox_call)
 * @flags: MBOX_WAIT_*: they bound the whole call; MBOX_PEER_PIDFD
 * @pid: the server (a pidfd with MBOX_PEER_PIDFD)
 * @len: the request's length
 * @buf: pointer to the request
 * @reply_buf: pointer to the reply buffer
 * @reply_len: in: its size; out: the reply's length
 * @__reserved: must be 0
 * @timeout_ns: as for struct mbox_send
 * @call_id: out: the call's ID, unique while the module is loaded
 *
 * The request is queued like an asynchronous send, carrying a call ID the
 * kernel chose; the server receives it with that call_id and answers with
 * MBOX_LINK_REPLY. Only that reply completes the call, so concurrent
 * callers never see each other's replies. The server's end going away fails
 * the call with -ECONNRESET. A reply longer than @reply_len fails the call
 * with -EMSGSIZE and the needed length in @reply_len; nothing is lost: the
 * reply stays queued and MBOX_IOC_LINK_RECV with MBOX_RECV_REPLY and this
 * @call_id receives it. The ioctl returns the reply's length.
 */
struct mbox_call {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 len;
	__u64 buf;
	__u64 reply_buf;
	__u32 reply_len;
	__u32 __reserved;
	__s64 timeout_ns;
	__u64 call_id;
};

/* struct mbox_link_open.flags */
#define MBOX_LINK_CLOEXEC	_BITUL(0)	/* O_CLOEXEC on the descriptor */
#define MBOX_LINK_NONBLOCK	_BITUL(1)	/* O_NONBLOCK on the descriptor */

/**
 * struct mbox_link_open - a descriptor for our link with a peer, made if
 *	need be (MBOX_IOC_LINK_OPEN on an endpoint descriptor)
 * @size: sizeof(struct mbox_link_open)
 * @flags: MBOX_LINK_CLOEXEC, MBOX_LINK_NONBLOCK, MBOX_PEER_PIDFD
 * @pid: the peer (a pidfd with MBOX_PEER_PIDFD)
 * @__reserved: must be 0
 * @id: out: the link's ID
 *
 * A link descriptor sends to and receives from its peer only (read/write,
 * MBOX_IOC_LINK_SEND/RECV with pid 0), polls (EPOLLIN: a message from the
 * peer is queued; EPOLLOUT: an asynchronous send would not wait; EPOLLHUP:
 * the link is gone) and reports MBOX_IOC_LINK_INFO. Closing it closes only
 * the descriptor.
 */
struct mbox_link_open {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 __reserved;
	__u64 id;
};

/* struct mbox_link_info.state */
#define MBOX_LINK_DEAD		_BITUL(0)	/* one end went away */

/**
 * struct mbox_link_info - a link's counters (MBOX_IOC_LINK_INFO: on a link
 *	descriptor, or on an endpoint descriptor with @pid set)
 * @size: sizeof(struct mbox_link_info)
 * @flags: 0, or on an endpoint descriptor MBOX_PEER_PIDFD
 * @pid: in (endpoint descriptor): the peer (a pidfd with MBOX_PEER_PIDFD);
 *	out: the peer, in the caller's
 *	pid namespace (0 if not visible, or gone)
 * @state: out: MBOX_LINK_*
 * @id: out: the link's ID
 * @queued_in: messages from the peer queued to us now
 * @queued_out: our messages queued to the peer now
 * @sent: messages we sent on the link
 * @received: messages we received from it
 * @capacity: how many asynchronous messages the peer accepts from us
 * @__reserved: 0
 */
struct mbox_link_info {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 state;
	__u64 id;
	__u64 queued_in;
	__u64 queued_out;
	__u64 sent;
	__u64 received;
	__u32 capacity;
	__u32 __reserved;
};

/**
 * struct mbox_endpoint_info - an endpoint's state (MBOX_IOC_ENDPOINT_INFO)
 * @size: sizeof(struct mbox_endpoint_info)
 * @flags: must be 0
 * @id: the endpoint's ID
 * @pid: its process, in the caller's pid namespace
 * @mode: as created
 * @capacity: as created
 * @msg_size_max: as created
 * @links: links alive now
 * @msgs: messages queued to it now
 * @bytes: their bytes
 * @recv_waiters: receivers blocked now
 * @send_waiters: senders to it blocked now
 */
struct mbox_endpoint_info {
	__u32 size;
	__u32 flags;
	__u64 id;
	__s32 pid;
	__u32 mode;
	__u32 capacity;
	__u32 msg_size_max;
	__u64 links;
	__u64 msgs;
	__u64 bytes;
	__u32 recv_waiters;
	__u32 send_waiters;
};

/* ---- Shared ring segments --------------------------------------------------
 *
 * A ring is a single-producer, single-consumer circular buffer of
 * variable-length records in memory that the kernel allocates and both
 * processes map. The data path is plain loads and stores; the kernel is
 * entered only to sleep (MBOX_IOC_RING_WAIT) and to wake the other side
 * (MBOX_IOC_RING_WAKE), and the latter only when the control area says the
 * other side sleeps. See docs/rings.md.
 *
 * Areas, each mapped with its own mmap(MAP_SHARED) at the offset and length
 * MBOX_IOC_RING_INFO reports in struct mbox_ring_layout:
 *   control   struct mbox_ring_ctrl, written by the kernel only: read-only
 *   producer  the producer index: writable by the producer only
 *   consumer  the consumer index: writable by the consumer only
 *   data      the records: writable by the producer, read-only to the consumer
 * The two indices are on separate pages, so on separate cache lines.
 *
 * Indices are free-running byte counts (__u32, wrapping); the byte at index
 * i is data[i & (data_size - 1)]; prod - cons bytes are in use. A record is
 * a struct mbox_ring_rec header and len bytes, padded to MBOX_RING_ALIGN;
 * one that would cross the end of the data area is preceded by a padding
 * record (MBOX_RING_REC_PAD) filling the rest of the area, and starts at 0.
 * A record's payload is at most rec_max (data_size / 2 - header), so that a
 * record always fits once the ring drains.
 *
 * Ordering (C11 atomics as libmbox uses them):
 *   producer: write the records; store-release prod; then a seq_cst fence,
 *	and if cons_waiting: MBOX_IOC_RING_WAKE.
 *   consumer: load-acquire prod; read the records; store-release cons; then
 *	a seq_cst fence, and if prod_waiting: MBOX_IOC_RING_WAKE.
 * The kernel sets the sleeper's flag, issues a full barrier and reads the
 * index again before it sleeps, so a wake-up is never lost.
 *
 * Nothing in the shared areas is trusted: the kernel never reads the data
 * area and uses the indices only to decide readiness; libmbox checks every
 * index and length and returns -EBADMSG for a corrupted ring.
 */

/* struct mbox_ring_open.flags */
#define MBOX_RING_PRODUCER	_BITUL(0)	/* attach as the producer (needs w) */
#define MBOX_RING_CONSUMER	_BITUL(1)	/* attach as the consumer (needs r) */
#define MBOX_RING_CREATE	_BITUL(2)	/* create if it does not exist */
#define MBOX_RING_EXCL		_BITUL(3)	/* with CREATE: fail if it exists */
#define MBOX_RING_CLOEXEC	_BITUL(4)	/* O_CLOEXEC on the new descriptor */
#define MBOX_RING_NONBLOCK	_BITUL(5)	/* O_NONBLOCK on the new descriptor */

/**
 * struct mbox_ring_open - create or open a ring, attached in one role
 *	(MBOX_IOC_RING_OPEN on /dev/mbox)
 * @size: sizeof(struct mbox_ring_open)
 * @flags: MBOX_RING_*: at most one of PRODUCER and CONSUMER (neither: an
 *	observer, which may only map the control area and read info). A role
 *	held by another descriptor: -EBUSY. The role is held until the
 *	descriptor's last reference, mappings included, is gone.
 * @name: as for struct mbox_open (rings and mailboxes share names)
 * @id: as for struct mbox_open (rings and mailboxes share names)
 * @mode: in, when creating: permission bits (0777 mask)
 * @data_size: in, when creating: bytes of the data area, a power of two from
 *	the page size to the module parameter ring_size_max; 0 when not
 *	creating
 */
struct mbox_ring_open {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u64 id;
	__u32 mode;
	__u32 data_size;
};

/* struct mbox_ring_ctrl.flags */
#define MBOX_RING_F_PRODUCER	_BITUL(0)	/* a producer is attached */
#define MBOX_RING_F_CONSUMER	_BITUL(1)	/* a consumer is attached */
#define MBOX_RING_F_PRODUCER_GONE _BITUL(2)	/* the producer left: end of stream once drained */
#define MBOX_RING_F_CONSUMER_GONE _BITUL(3)	/* the consumer left: sends fail with -EPIPE */

/**
 * struct mbox_ring_ctrl - the control area, written only by the kernel
 * @flags: MBOX_RING_F_*; a new attacher clears its role's GONE bit
 * @data_size: bytes in the data area
 * @rec_max: the largest record payload
 * @__pad0: always 0
 * @prod_waiting: non-zero while the producer sleeps or polls for room
 * @cons_waiting: non-zero while the consumer sleeps or polls for records
 * @prod_sleeps: times the producer went to sleep in the kernel
 * @cons_sleeps: times the consumer went to sleep in the kernel
 * @wake_calls: MBOX_IOC_RING_WAKE calls
 * @wakeups: of those, the ones that found a sleeper to wake
 */
struct mbox_ring_ctrl {
	__u32 flags;
	__u32 data_size;
	__u32 rec_max;
	__u32 __pad0;
	__u32 prod_waiting;
	__u32 cons_waiting;
	__u64 prod_sleeps;
	__u64 cons_sleeps;
	__u64 wake_calls;
	__u64 wakeups;
};

#define MBOX_RING_ALIGN		8
#define MBOX_RING_REC_PAD	_BITUL(0)	/* padding to the end of the area */

/* The header of each record in the data area. */
struct mbox_ring_rec {
	__u32 len;
	__u32 flags;
};

/**
 * struct mbox_ring_layout - where everything is (part of mbox_ring_info)
 * @ctrl_off: mmap offsets of the areas
 * @prod_off: mmap offsets of the areas
 * @cons_off: mmap offsets of the areas
 * @data_off: mmap offsets of the areas
 * @ctrl_len: their mmap lengths
 * @prod_len: their mmap lengths
 * @cons_len: their mmap lengths
 * @data_len: their mmap lengths
 * @prod_index: offset of the producer index (__u32) in the producer area
 * @cons_index: offset of the consumer index (__u32) in the consumer area
 * @ctrl_flags: offsets of those
 * @ctrl_prod_waiting: offsets of those
 * @ctrl_cons_waiting: offsets of those
 *	fields of struct mbox_ring_ctrl in the control area
 * @__reserved: 0
 */
struct mbox_ring_layout {
	__u64 ctrl_off;
	__u64 prod_off;
	__u64 cons_off;
	__u64 data_off;
	__u32 ctrl_len;
	__u32 prod_len;
	__u32 cons_len;
	__u32 data_len;
	__u32 prod_index;
	__u32 cons_index;
	__u32 ctrl_flags;
	__u32 ctrl_prod_waiting;
	__u32 ctrl_cons_waiting;
	__u32 __reserved;
};

/* The mmap offsets the module uses today (always take them from the layout). */
#define MBOX_RING_OFF_CTRL	0x00000000ULL
#define MBOX_RING_OFF_PROD	0x10000000ULL
#define MBOX_RING_OFF_CONS	0x20000000ULL
#define MBOX_RING_OFF_DATA	0x30000000ULL

/**
 * struct mbox_ring_wait - sleep until the ring is ready for the caller's
 *	role (MBOX_IOC_RING_WAIT on a ring descriptor)
 * @size: sizeof(struct mbox_ring_wait)
 * @flags: MBOX_WAIT_*
 * @timeout_ns: as for struct mbox_send
 * @want: producer: bytes of free space wanted (1 to data_size); consumer: 0
 * @__reserved: 0
 *
 * Return: 0 once the consumer has a record (or the producer is gone) / the
 * producer has @want bytes free (or the consumer is gone); -EAGAIN,
 * -ETIMEDOUT, -EINTR as for mailboxes; -EINVAL for an observer.
 */
struct mbox_ring_wait {
	__u32 size;
	__u32 flags;
	__s64 timeout_ns;
	__u32 want;
	__u32 __reserved;
};

/**
 * struct mbox_ring_wake - wake the other side if it sleeps
 *	(MBOX_IOC_RING_WAKE on a ring descriptor; returns 0)
 * @size: sizeof(struct mbox_ring_wake)
 * @flags: must be 0
 */
struct mbox_ring_wake {
	__u32 size;
	__u32 flags;
};

/**
 * struct mbox_ring_info - a ring's attributes, state and layout
 *	(MBOX_IOC_RING_INFO on a ring descriptor)
 * @size: sizeof(struct mbox_ring_info)
 * @flags: must be 0
 * @id: as for struct mbox_info
 * @mode: as for struct mbox_info
 * @uid: as for struct mbox_info
 * @gid: as for struct mbox_info
 * @role: the caller's: MBOX_RING_PRODUCER, MBOX_RING_CONSUMER or 0
 * @state: MBOX_RING_F_* now, and MBOX_STATE_UNLINKED << 8 once unlinked
 * @data_size: as in the control area
 * @rec_max: as in the control area
 * @prod: the producer's index as the kernel reads it now
 * @cons: the consumer's index as the kernel reads it now
 * @__reserved: must be 0 (so must @layout's)
 * @prod_sleeps: as in the control area
 * @cons_sleeps: as in the control area
 * @wake_calls: as in the control area
 * @wakeups: as in the control area
 * @layout: where to map what
 */
struct mbox_ring_info {
	__u32 size;
	__u32 flags;
	__u64 id;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 role;
	__u32 state;
	__u32 data_size;
	__u32 rec_max;
	__u32 prod;
	__u32 cons;
	__u32 __reserved;
	__u64 prod_sleeps;
	__u64 cons_sleeps;
	__u64 wake_calls;
	__u64 wakeups;
	struct mbox_ring_layout layout;
};

/* ---- io_uring ------------------------------------------------------------
 *
 * IORING_OP_URING_CMD on a mailbox, endpoint or link descriptor runs one of
 * MBOX_IOC_SEND, RECV, SEND_BATCH, RECV_BATCH (mailbox), LINK_SEND, LINK_RECV
 * (endpoint, link) or CALL (endpoint): sqe->cmd_op is the ioctl's number,
 * the SQE's command area holds a struct mbox_uring_cmd pointing at the same
 * argument struct the ioctl takes, and the CQE's res is what the ioctl
 * returns. The argument struct and the buffers it points to must stay valid
 * until the completion. See docs/io_uring.md.
 */

/**
 * struct mbox_uring_cmd - the command area of an IORING_OP_URING_CMD SQE
 * @arg: pointer to the ioctl's argument struct
 * @flags: must be 0
 * @__reserved: must be 0
 */
struct mbox_uring_cmd {
	__u64 arg;
	__u32 flags;
	__u32 __reserved;
};

/* Commands on a ring descriptor. */
enum {
	MBOX_CMD_RING_WAIT = 0x60,
	MBOX_CMD_RING_WAKE = 0x61,
	MBOX_CMD_RING_INFO = 0x62,
};

#endif /* _UAPI_LINUX_MBOX_H */
