/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: internal declarations shared by the module's files.
 *
 * Locking (outermost first):
 *   mbox_registry_lock (mutex, registry.c): the ID xarray, the name hash and
 *	every mbox_obj's @linked and @name_node. A lookup takes its reference
 *	under this mutex; the last reference is dropped with kref_put_mutex(),
 *	so an object found in the tables always has a non-zero count.
 *   mbox_mailbox.lock (spinlock, mailbox.c): one mailbox's queues, counters,
 *	waiter counts and the state of the messages queued on it.
 *   mbox_links_lock (mutex, endpoint.c): the pid table of endpoints, every
 *	endpoint's links list and @dead; links are made and torn down under it.
 *   mbox_endpoint.pending_lock (spinlock, link.c): calls received, not
 *	answered.
 *   mbox_users_lock (spinlock, user.c): the per-user table.
 * An endpoint's inbox lock is a mailbox lock; it also protects the fields of
 * the link directions (struct mbox_chan) that deliver to it. No two mailbox
 * locks are ever held at once.
 * Nothing sleeps under a spinlock: user memory is copied, and memory is
 * allocated, with no spinlock held.
 */
#ifndef _MBOX_INTERNAL_H
#define _MBOX_INTERNAL_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <uapi/linux/mbox.h>

/* ---- ioctl plumbing (ucmd.c) ---- */

/**
 * struct mbox_ucmd - one ioctl call in flight
 * @file: the descriptor the ioctl was issued on
 * @ubuffer: the user's argument struct
 * @user_size: the size the user declared in the struct's first field
 * @cmd: the kernel copy of the argument, zero-extended to the kernel's size
 *
 * Handlers read their input from @cmd and hand their output back with
 * mbox_ucmd_respond() or mbox_ucmd_put_u64(), which never write beyond
 * @user_size bytes.
 */
struct mbox_ucmd {
	struct file *file;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/**
 * struct mbox_ioctl_op - one entry of a dispatch table
 * @execute: the handler
 * @size: the kernel's size of the argument struct
 * @min_size: the size of the first published version of the struct
 */
struct mbox_ioctl_op {
	int (*execute)(struct mbox_ucmd *ucmd);
	size_t size;
	size_t min_size;
};

#define MBOX_IOCTL_OP(_nr, _fn, _struct, _last)				\
	[_nr] = {							\
		.execute = _fn,						\
		.size = sizeof(_struct),				\
		.min_size = offsetofend(_struct, _last),		\
	}

/* The largest argument struct any command takes, kernel side. */
#define MBOX_UCMD_MAX_SIZE	256

long mbox_ioctl_dispatch(struct file *file, unsigned int cmd,
			 unsigned long arg, const struct mbox_ioctl_op *ops,
			 size_t nr_ops);
int mbox_ucmd_respond(struct mbox_ucmd *ucmd, size_t len);
int mbox_ucmd_put_u64(struct mbox_ucmd *ucmd, size_t offset, u64 val);
int mbox_ucmd_install(struct mbox_ucmd *ucmd, size_t len, struct file *file,
		      bool cloexec);

/* ---- limits (main.c, module parameters) ---- */

#define MBOX_MSG_SIZE_LIMIT	(16U << 20)	/* msg_size_max can not exceed this */
#define MBOX_RING_SIZE_LIMIT	BIT(30)		/* nor ring_size_max this */

unsigned int mbox_limit_msg_size(void);
unsigned int mbox_limit_objects(void);
unsigned long mbox_limit_bytes(void);
unsigned int mbox_limit_ring_size(void);

/* ---- per-user accounting (user.c) ---- */

/**
 * struct mbox_user - what one user has allocated through mbox
 * @node: in the users table, under mbox_users_lock
 * @uid: the user (global kuid: quotas span user namespaces)
 * @ref: references from objects and messages charged to this user
 * @objects: mailboxes (and later other objects) this user created
 * @bytes: bytes of queued messages this user sent, headers included
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
int mbox_user_charge_object(struct mbox_user *user);
void mbox_user_uncharge_object(struct mbox_user *user);
int mbox_user_charge_bytes(struct mbox_user *user, size_t bytes);
void mbox_user_uncharge_bytes(struct mbox_user *user, size_t bytes);

/* ---- named, permission-checked objects (registry.c) ---- */

struct mbox_obj;
struct seq_file;

/* Object types, as tracepoints and /proc/mbox name them. */
enum mbox_type {
	MBOX_TYPE_MAILBOX,
	MBOX_TYPE_ENDPOINT,
	MBOX_TYPE_RING,
	MBOX_TYPE_LINK,
};

/**
 * struct mbox_obj_ops - what differs between object types
 * @type: enum mbox_type
 * @destroy: free the object; called once the last reference is gone and the
 *	object is out of every table, without locks held
 * @show: append the type's " key=value" pairs to the object's line in
 *	/proc/mbox/objects; called under mbox_registry_lock, must not sleep
 */
struct mbox_obj_ops {
	enum mbox_type type;
	void (*destroy)(struct mbox_obj *obj);
	void (*show)(struct seq_file *m, struct mbox_obj *obj);
};

/**
 * struct mbox_obj - what every named object shares: identity, namespace,
 *	ownership, permissions and lifetime
 * @ref: references: one per open descriptor, one from the registry while a
 *	named object is linked, transient ones from lookups
 * @ops: the type's operations
 * @id: unique while the module is loaded, never reused
 * @ns: the IPC namespace's POSIX mqueue mount, pinned with mntget(): a
 *	token that identifies the namespace while we hold it (see registry.c)
 * @name: NUL-terminated, empty for an anonymous object
 * @name_node: in the name hash while @linked and named
 * @linked: reachable by name and ID (under mbox_registry_lock)
 * @persistent: the registry holds a reference while linked (named objects)
 * @uid: owner @gid: group @cuid: creator @cgid: creator's group
 * @mode: permission bits
 * @user: the creator's accounting, charged one object
 */
struct mbox_obj {
	struct kref ref;
	const struct mbox_obj_ops *ops;
	u64 id;
	struct vfsmount *ns;
	char name[MBOX_NAME_MAX];
	struct hlist_node name_node;
	bool linked;
	bool persistent;
	kuid_t uid, cuid;
	kgid_t gid, cgid;
	umode_t mode;
	struct mbox_user *user;
};

int mbox_name_from_user(char *name, u64 uptr);
int mbox_obj_init(struct mbox_obj *obj, const struct mbox_obj_ops *ops,
		  umode_t mode);
void mbox_obj_fini(struct mbox_obj *obj);
int mbox_obj_link(struct mbox_obj *obj, const char *name);
struct mbox_obj *mbox_obj_find(const char *name, u64 id,
			       const struct mbox_obj_ops *ops);
struct mbox_obj *mbox_obj_open(const char *name, u64 id, bool create, bool excl,
			       const struct mbox_obj_ops *ops,
			       struct mbox_obj *(*make)(const void *arg),
			       const void *arg, bool *created);
int mbox_obj_unlink(const char *name, u64 id, const struct mbox_obj_ops *ops);
int mbox_obj_permission(struct mbox_obj *obj, int may);
void mbox_obj_get(struct mbox_obj *obj);
void mbox_obj_put(struct mbox_obj *obj);
bool mbox_obj_is_linked(struct mbox_obj *obj);
int mbox_registry_show(struct seq_file *m, struct vfsmount *ns);
void mbox_registry_exit(void);

/* ---- /proc/mbox (proc.c) ---- */

int mbox_proc_init(void);
void mbox_proc_exit(void);
void mbox_proc_show_obj(struct seq_file *m, struct mbox_obj *obj);
void mbox_users_show(struct seq_file *m);

/* ---- messages (msg.c) ---- */

enum mbox_msg_state {
	MBOX_MSG_QUEUED,	/* waiting for a receiver */
	MBOX_MSG_CLAIMED,	/* a receiver is copying it out */
	MBOX_MSG_DELIVERED,	/* received; off the queue */
	MBOX_MSG_WITHDRAWN,	/* its sender gave up; off the queue */
};

/**
 * struct mbox_msg - one message
 * @node: in its mailbox's queue while QUEUED or CLAIMED (under the
 *	mailbox's lock)
 * @ref: the queue's reference, a claiming receiver's, a confirming sender's
 * @state: enum mbox_msg_state (under the mailbox's lock)
 * @confirm: its sender waits until it is delivered (rendezvous or
 *	MBOX_SEND_CONFIRM); such a message is never dropped
 * @prio: priority
 * @len: payload length
 * @seq: sequence number in its mailbox
 * @pending: broadcast: subscribers that have not received it yet
 * @sender: the sending process (thread group)
 * @uid: the sender's effective uid
 * @user: the sender's accounting, charged mbox_msg_charge(@len)
 * @chan: on a link: the direction it travels (holds a link reference)
 * @call: a call's request: the record the server keeps until it replies
 * @call_id: a call's request or reply: the call
 * @reply: a reply; received only by its call (or MBOX_RECV_REPLY)
 * @data: payload
 */
struct mbox_msg {
	struct list_head node;
	refcount_t ref;
	u8 state;
	bool confirm;
	u8 prio;
	bool reply;
	u32 len;
	u64 seq;
	u32 pending;
	struct pid *sender;
	kuid_t uid;
	struct mbox_user *user;
	struct mbox_chan *chan;
	struct mbox_call_rec *call;
	u64 call_id;
	u8 data[];
};

size_t mbox_msg_charge(size_t len);
struct mbox_msg *mbox_msg_alloc(const void __user *buf, size_t len,
				struct mbox_user *hint);
void mbox_msg_put(struct mbox_msg *msg);

extern atomic_long_t mbox_nr_msgs;
extern atomic_long_t mbox_nr_bytes;
extern atomic_long_t mbox_nr_mailboxes;

/* ---- waiting (wait.c) ---- */

/**
 * struct mbox_wakes - wake-ups a batch leaves to its end
 * @queued: messages queued, for the receivers (one wake-up for them all)
 * @freed: slots freed, for the senders waiting for room (one each)
 */
struct mbox_wakes {
	u32 queued;
	u32 freed;
};

/**
 * struct mbox_deadline - how long a blocking call may wait
 * @nonblock: never wait (-EAGAIN)
 * @timed: @expires is set
 * @relative: the caller gave a relative timeout (interrupted: -EINTR, not
 *	restarted, so the wait can not be stretched)
 * @clock: CLOCK_MONOTONIC or CLOCK_REALTIME
 * @expires: absolute expiry on @clock
 * @defer: NULL, or (batches) where to count the wake-ups that the call
 *	leaves to the batch's end, so that a batch wakes each side once
 */
struct mbox_deadline {
	bool nonblock;
	bool timed;
	bool relative;
	clockid_t clock;
	ktime_t expires;
	struct mbox_wakes *defer;
};

#define MBOX_WAIT_FLAGS (MBOX_WAIT_NONBLOCK | MBOX_WAIT_TIMEOUT |		\
			 MBOX_WAIT_ABSTIME | MBOX_WAIT_REALTIME)

int mbox_deadline_init(struct mbox_deadline *dl, struct file *file, u32 flags,
		       s64 timeout_ns);
int mbox_wait_locked(wait_queue_head_t *wq, spinlock_t *lock,
		     struct mbox_deadline *dl, u64 id);
int mbox_wait_locked_exclusive(wait_queue_head_t *wq, spinlock_t *lock,
			       struct mbox_deadline *dl, u64 id);

/**
 * mbox_wake_poll - wake_up_poll(), skipped when nobody waits on @wq
 * @wq: a mailbox's recv_wq or send_wq
 * @key: the poll events made ready
 *
 * Only after changing the condition under the mailbox's lock: its waiters
 * join @wq under that lock after checking the condition, and its pollers
 * join @wq before taking that lock to check; either way one of the two sees
 * the other, so an empty @wq here means nobody can miss the change.
 */
static inline void mbox_wake_poll(wait_queue_head_t *wq, __poll_t key)
{
	/* No barrier needed: the lock orders the check, see above. */
	if (waitqueue_active(wq))
		wake_up_poll(wq, key);
}

/* ---- mailboxes (mailbox.c) ---- */

/**
 * struct mbox_mailbox - a mailbox
 * @obj: identity, permissions, lifetime
 * @lock: protects everything below and the state of queued messages
 * @queue: one FIFO per priority (broadcast mailboxes use queue[0] only, in
 *	sequence order)
 * @prio_map: bit p set when queue[p] is not empty
 * @mb_flags: MBOX_MB_*
 * @capacity: messages that may be queued; 0: rendezvous
 * @msg_size_max: largest message
 * @max_bytes: payload bytes that may be queued; 0: no limit but quotas
 * @nr_msgs: messages queued (QUEUED or CLAIMED), rendezvous offers included
 * @nr_bytes: their payload bytes
 * @next_seq: the sequence number of the next message
 * @sent: @received: @dropped: totals, for info
 * @missed: dropped messages not yet reported to a receiver
 * @send_waiters: senders asleep, for room or for their message's delivery
 * @receivers: receivers asleep (struct mbox_rx entries)
 * @nr_receivers: how many
 * @subs: broadcast subscriptions (struct mbox_sub)
 * @nr_subs: how many
 * @recv_wq: woken when a message is queued or becomes receivable again
 * @send_wq: woken when room is made, a message is delivered, or the set of
 *	waiting receivers changes
 * @dead: an endpoint's inbox whose endpoint is gone: nothing more arrives
 *
 * An endpoint's inbox (link.c) is a struct mbox_mailbox used only as a
 * queue: its @obj is unused, and its messages carry their link's @chan.
 */
struct mbox_mailbox {
	struct mbox_obj obj;
	spinlock_t lock;	/* see the kernel-doc above */
	struct list_head queue[MBOX_PRIO_MAX + 1];
	unsigned long prio_map;
	u32 mb_flags;
	u32 capacity;
	u32 msg_size_max;
	u64 max_bytes;
	u64 nr_msgs;
	u64 nr_bytes;
	u64 next_seq;
	u64 sent, received, dropped;
	u32 missed;
	u32 send_waiters;
	struct list_head receivers;
	u32 nr_receivers;
	struct list_head subs;
	u32 nr_subs;
	wait_queue_head_t recv_wq;
	wait_queue_head_t send_wq;
	bool dead;
};

/**
 * struct mbox_sub - one descriptor's broadcast subscription
 * @node: in its mailbox's @subs (under the mailbox's lock)
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
 *	(set once, under the mailbox's lock)
 */
struct mbox_file {
	struct mbox_mailbox *mb;
	struct mbox_sub *sub;
};

/**
 * struct mbox_rx - one receive request, and a waiting receiver
 * @node: in the mailbox's receivers list while asleep
 * @buf: @buflen: the user's buffer
 * @flags: MBOX_RECV_*
 * @from: with MBOX_RECV_FROM_PID, the sender (caller's pid namespace)
 * @chan: an endpoint's receive: only messages of this link direction
 * @call_id: with MBOX_RECV_REPLY: the call whose reply is wanted; out: the
 *	message's call
 * @call: out: a received call's record, now the receiver's to keep
 * @link_id: out: the message's link, 0 for a mailbox's message
 * @len: @prio: @seq: @pid: @uid: @dropped: the result
 */
struct mbox_rx {
	struct list_head node;
	void __user *buf;
	u32 buflen;
	u32 flags;
	pid_t from;
	struct mbox_chan *chan;
	u64 call_id;
	struct mbox_call_rec *call;
	u64 link_id;
	u32 len;
	u32 prio;
	u64 seq;
	pid_t pid;
	u32 uid;
	u32 dropped;
};

int mbox_mailbox_open(struct mbox_ucmd *ucmd);
int mbox_mailbox_unlink(struct mbox_ucmd *ucmd);
int mbox_send(struct mbox_file *mf, struct file *file, const void __user *buf,
	      u32 len, u32 prio, u32 flags, struct mbox_deadline *dl, u64 *seq);
int mbox_recv(struct mbox_file *mf, struct file *file, struct mbox_rx *rx,
	      struct mbox_deadline *dl);
void mbox_wake_batch(struct mbox_mailbox *mb, const struct mbox_wakes *w);
int mbox_rx_from_cmd(struct mbox_rx *rx, const struct mbox_recv *cmd);
void mbox_rx_to_cmd(struct mbox_recv *cmd, const struct mbox_rx *rx);
int mbox_copy_out(struct mbox_rx *rx, struct mbox_msg *msg);
void mbox_dequeue(struct mbox_mailbox *mb, struct mbox_msg *msg);
void mbox_put_list(struct list_head *list);
void mbox_queue_init(struct mbox_mailbox *mb, u32 capacity, u32 msg_size_max);
void mbox_queue_purge(struct mbox_mailbox *mb, struct list_head *freed);
int mbox_queue_send(struct mbox_mailbox *mb, struct mbox_msg *msg,
		    struct mbox_deadline *dl, u64 *seq);
int mbox_queue_recv(struct mbox_mailbox *mb, struct mbox_rx *rx,
		    struct mbox_deadline *dl);
struct mbox_msg *mbox_queue_find(struct mbox_mailbox *mb,
				 const struct mbox_rx *rx);

/* ---- batched send and receive (batch.c) ---- */

int mbox_cmd_send_batch(struct mbox_ucmd *ucmd);
int mbox_cmd_recv_batch(struct mbox_ucmd *ucmd);

/* ---- broadcast mailboxes (broadcast.c) ---- */

int mbox_cmd_subscribe(struct mbox_ucmd *ucmd);
void mbox_bcast_unsubscribe(struct mbox_file *mf);
int mbox_bcast_recv(struct mbox_file *mf, struct mbox_rx *rx,
		    struct mbox_deadline *dl);
bool mbox_bcast_readable(struct mbox_mailbox *mb, struct mbox_sub *sub);
void mbox_bcast_sent(struct mbox_mailbox *mb, struct mbox_msg *msg,
		     struct list_head *freed);
void mbox_bcast_dropped(struct mbox_mailbox *mb, struct mbox_msg *msg);

/* ---- direct links (endpoint.c, link.c) ---- */

struct mbox_ep;
struct mbox_link;

/**
 * struct mbox_chan - one direction of a link: the messages queued to @to
 * @link: the link it belongs to
 * @to: the receiving endpoint; the fields below are under its inbox's lock
 * @capacity: asynchronous messages that may be queued (@to's capacity)
 * @nr_msgs: messages queued now (offers and replies included)
 * @next_seq: sequence number of the next message
 * @sent: @received: totals
 * @dead: the link is gone: sends fail, waits end with -ECONNRESET
 */
struct mbox_chan {
	struct mbox_link *link;
	struct mbox_ep *to;
	u32 capacity;
	u32 nr_msgs;
	u64 next_seq;
	u64 sent, received;
	bool dead;
};

/**
 * struct mbox_link - the one link between two endpoints
 * @ref: references: the endpoints' tables while alive, descriptors, queued
 *	messages, calls in progress
 * @id: unique while the module is loaded
 * @ep: the two ends (a reference on each)
 * @end: end[i] is in ep[i]'s @links while the link is alive (under
 *	mbox_links_lock)
 * @chan: chan[i] carries messages to ep[i]
 */
struct mbox_link {
	struct kref ref;
	u64 id;
	struct mbox_ep *ep[2];
	struct mbox_link_end {
		struct list_head node;
		struct mbox_link *link;
	} end[2];
	struct mbox_chan chan[2];
};

/**
 * struct mbox_ep - a process's endpoint
 * @obj: ID, owner, mode, quota, references (descriptors, links)
 * @pid: the process (thread group) it belongs to
 * @pid_node: in the pid table while alive (under mbox_links_lock)
 * @links: its links (under mbox_links_lock)
 * @nr_links: how many
 * @dead: shut down (under mbox_links_lock)
 * @capacity: @msg_size_max: as created
 * @inbox: the messages sent to it, from every peer
 * @calls: its calls waiting for a reply (struct mbox_call_wait, under the
 *	inbox's lock)
 * @pending_lock: protects @pending
 * @pending: calls it received and has not answered (struct mbox_call_rec)
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
	struct mbox_mailbox inbox;
	struct list_head calls;
	spinlock_t pending_lock;	/* protects @pending */
	struct list_head pending;
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

extern struct mutex mbox_links_lock;
extern atomic_long_t mbox_nr_endpoints;
extern atomic_long_t mbox_nr_links;

int mbox_endpoint_create(struct mbox_ucmd *ucmd);
struct mbox_ep *mbox_ep_lookup(struct pid *pid);
int mbox_ep_may_send(struct mbox_ep *from, pid_t nr,
		     struct mbox_ep **to);
void mbox_ep_get(struct mbox_ep *ep);
void mbox_ep_put(struct mbox_ep *ep);

struct mbox_link *mbox_link_get_peer(struct mbox_ep *me, pid_t nr);
void mbox_link_put(struct mbox_link *link);
void mbox_link_kill(struct mbox_link *link);
struct mbox_link *mbox_link_unlist_first(struct mbox_ep *ep);
void mbox_link_msg_free(struct mbox_msg *msg);
int mbox_link_accepts(struct mbox_msg *msg);
void mbox_link_drop_pending(struct mbox_ep *ep);
int mbox_link_side(const struct mbox_link *link, const struct mbox_ep *ep);
/* ---- shared ring segments (ring.c) ---- */

extern const struct mbox_obj_ops mbox_ring_obj_ops;
extern atomic_long_t mbox_nr_rings;
int mbox_ring_open(struct mbox_ucmd *ucmd);

/* vm_flags became read-only, with setters, in 6.3 (probed in module/Kbuild). */
static inline void mbox_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef MBOX_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void mbox_vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef MBOX_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

extern const struct mbox_ioctl_op mbox_endpoint_ops[];
extern const size_t mbox_endpoint_nr_ops;
__poll_t mbox_link_ep_poll(struct mbox_ep *ep);

#endif /* _MBOX_INTERNAL_H */
