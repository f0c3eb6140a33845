// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: shared ring segments.
 *
 * A ring's memory is a control page the kernel writes, one page for each
 * side's index and a power-of-two data area, all allocated here and charged
 * to the creator (memory cgroup and bytes_per_user). Each area is mapped on
 * its own, so that the page tables enforce who writes what: the consumer's
 * views of the data and of the producer's index are read-only, the
 * producer's view of the consumer's index too, and nobody writes the
 * control page. The kernel never reads the data area and reads the indices
 * only to decide whether a waiter may return, so nothing a peer writes into
 * the shared pages can hurt it.
 *
 * The role (producer or consumer) belongs to the descriptor's file, which
 * every mapping also holds: it is given up when the last descriptor and the
 * last mapping are gone, which is also how a crashed process gives it up.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "limits.h"
#include "registry.h"
#include "ring.h"
#include "stats.h"
#include "ucmd.h"
#include "user.h"
#include "wait.h"

/* vm_flags became read-only, with setters, in 6.3 (probed in module/Kbuild). */
static void mbox_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef MBOX_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static void mbox_vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef MBOX_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

enum { MBOX_PROD, MBOX_CONS, MBOX_ROLES };

enum {
	MBOX_PG_CTRL,
	MBOX_PG_PROD,
	MBOX_PG_CONS,
	MBOX_PG_DATA,		/* the first data page */
};

/**
 * struct mbox_ring - a shared ring segment
 * @obj: name, ID, owner, permissions, lifetime
 * @user: the creator's accounting, charged the pages (its own reference:
 *	the object's is dropped before ->destroy)
 * @data_size: bytes in the data area
 * @nr_pages: control, two index pages and the data pages
 * @pages: the pages, MBOX_PG_* first
 * @ctrl: the control page, kernel view
 * @index: the two index words, kernel view, [MBOX_PROD] and [MBOX_CONS]
 * @lock: protects @attached, @waiters and every write to @ctrl; waits and
 *	wakes are serialised by it
 * @attached: the role is held by a file
 * @waiters: tasks in MBOX_IOC_RING_WAIT, per role
 * @wq: where each role sleeps and polls
 */
struct mbox_ring {
	struct mbox_obj obj;
	struct mbox_user *user;
	u32 data_size;
	unsigned int nr_pages;
	struct page **pages;
	struct mbox_ring_ctrl *ctrl;
	u32 *index[MBOX_ROLES];
	spinlock_t lock;	/* see above */
	bool attached[MBOX_ROLES];
	unsigned int waiters[MBOX_ROLES];
	wait_queue_head_t wq[MBOX_ROLES];
};

/* A ring descriptor: the ring and the role it holds (-1: an observer). */
struct mbox_ring_file {
	struct mbox_ring *ring;
	int role;
};

static const u32 mbox_role_flag[MBOX_ROLES] = {
	MBOX_RING_F_PRODUCER, MBOX_RING_F_CONSUMER
};

static const u32 mbox_gone_flag[MBOX_ROLES] = {
	MBOX_RING_F_PRODUCER_GONE, MBOX_RING_F_CONSUMER_GONE
};

static struct mbox_ring *to_ring(struct mbox_obj *obj)
{
	return container_of(obj, struct mbox_ring, obj);
}

static size_t mbox_ring_bytes(const struct mbox_ring *ring)
{
	return (size_t)ring->nr_pages << PAGE_SHIFT;
}

static void mbox_ring_free_pages(struct mbox_ring *ring)
{
	unsigned int i;

	for (i = 0; i < ring->nr_pages && ring->pages[i]; i++)
		__free_page(ring->pages[i]);
	kvfree(ring->pages);
}

static void mbox_ring_destroy(struct mbox_obj *obj)
{
	struct mbox_ring *ring = to_ring(obj);

	if (ring->pages) {
		mbox_user_uncharge_bytes(ring->user, mbox_ring_bytes(ring));
		mbox_ring_free_pages(ring);
	}
	if (ring->user)
		mbox_user_put(ring->user);
	kfree(ring);
	atomic_long_dec(&mbox_nr_rings);
}

static void mbox_ring_show(struct seq_file *m, struct mbox_obj *obj);

static const struct mbox_obj_ops mbox_ring_obj_ops = {
	.type = MBOX_TYPE_RING,
	.destroy = mbox_ring_destroy,
	.show = mbox_ring_show,
};

static int mbox_ring_alloc_pages(struct mbox_ring *ring)
{
	unsigned int i;

	ring->pages = kvcalloc(ring->nr_pages, sizeof(*ring->pages), GFP_KERNEL_ACCOUNT);
	if (!ring->pages)
		return -ENOMEM;
	for (i = 0; i < ring->nr_pages; i++) {
		ring->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!ring->pages[i]) {
			mbox_ring_free_pages(ring);
			ring->pages = NULL;
			return -ENOMEM;
		}
	}
	ring->ctrl = page_address(ring->pages[MBOX_PG_CTRL]);
	ring->index[MBOX_PROD] = page_address(ring->pages[MBOX_PG_PROD]);
	ring->index[MBOX_CONS] = page_address(ring->pages[MBOX_PG_CONS]);
	ring->ctrl->data_size = ring->data_size;
	ring->ctrl->rec_max = ring->data_size / 2 - sizeof(struct mbox_ring_rec);
	return 0;
}

static struct mbox_obj *mbox_ring_make(const void *arg)
{
	const struct mbox_ring_open *cmd = arg;
	struct mbox_ring *ring;
	int ret, i;

	ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&mbox_nr_rings);
	ret = mbox_obj_init(&ring->obj, &mbox_ring_obj_ops, cmd->mode);
	if (ret) {
		kfree(ring);
		atomic_long_dec(&mbox_nr_rings);
		return ERR_PTR(ret);
	}
	spin_lock_init(&ring->lock);
	for (i = 0; i < MBOX_ROLES; i++)
		init_waitqueue_head(&ring->wq[i]);
	ring->data_size = cmd->data_size;
	ring->nr_pages = MBOX_PG_DATA + (cmd->data_size >> PAGE_SHIFT);
	ring->user = mbox_user_get(ring->obj.uid);
	if (!ring->user) {
		ret = -ENOMEM;
		goto err_fini;
	}
	ret = mbox_obj_charge_bytes(ring->user, mbox_ring_bytes(ring));
	if (ret)
		goto err_fini;
	ret = mbox_ring_alloc_pages(ring);
	if (ret) {
		mbox_user_uncharge_bytes(ring->user, mbox_ring_bytes(ring));
		goto err_fini;
	}
	return &ring->obj;

err_fini:
	mbox_obj_fini(&ring->obj);
	mbox_ring_destroy(&ring->obj);
	return ERR_PTR(ret);
}

/* ---- roles ---- */

static int mbox_ring_attach(struct mbox_ring *ring, int role)
{
	int ret = 0;

	if (role < 0)
		return 0;
	spin_lock(&ring->lock);
	if (ring->attached[role]) {
		ret = -EBUSY;
	} else {
		ring->attached[role] = true;
		WRITE_ONCE(ring->ctrl->flags,
			   (ring->ctrl->flags & ~mbox_gone_flag[role]) | mbox_role_flag[role]);
	}
	spin_unlock(&ring->lock);
	return ret;
}

/* The role's last file is gone: say so in the control page, wake both. */
static void mbox_ring_detach(struct mbox_ring *ring, int role)
{
	int i;

	if (role < 0)
		return;
	spin_lock(&ring->lock);
	ring->attached[role] = false;
	WRITE_ONCE(ring->ctrl->flags,
		   (ring->ctrl->flags & ~mbox_role_flag[role]) | mbox_gone_flag[role]);
	spin_unlock(&ring->lock);
	for (i = 0; i < MBOX_ROLES; i++)
		wake_up_all(&ring->wq[i]);
}

/* ---- waiting ---- */

/*
 * May a waiter in @role return? The indices come from user space and may be
 * anything: an impossible fill level counts as ready, and user space then
 * finds the corruption itself.
 */
static bool mbox_ring_ready(struct mbox_ring *ring, int role, u32 want)
{
	u32 used = READ_ONCE(*ring->index[MBOX_PROD]) - READ_ONCE(*ring->index[MBOX_CONS]);
	u32 flags = READ_ONCE(ring->ctrl->flags);

	if (role == MBOX_CONS)
		return used || (flags & MBOX_RING_F_PRODUCER_GONE);
	return (flags & MBOX_RING_F_CONSUMER_GONE) || used > ring->data_size ||
	       ring->data_size - used >= want;
}

static u32 *mbox_ring_waiting(struct mbox_ring *ring, int role)
{
	return role == MBOX_PROD ? &ring->ctrl->prod_waiting : &ring->ctrl->cons_waiting;
}

/*
 * Raise @role's waiting flag, then look at the indices again: the other
 * side stores its index, fences, then reads the flag, so either it sees the
 * flag and wakes us, or we see its index. Under ring->lock.
 */
static bool mbox_ring_ready_or_flag(struct mbox_ring *ring, int role, u32 want)
{
	lockdep_assert_held(&ring->lock);
	WRITE_ONCE(*mbox_ring_waiting(ring, role), 1);
	/* Pairs with the fence user space issues between its index and flag. */
	smp_mb();
	return mbox_ring_ready(ring, role, want);
}

static int mbox_ring_cmd_wait(struct mbox_ucmd *ucmd)
{
	struct mbox_ring_file *rf = ucmd->file->private_data;
	struct mbox_ring_wait *cmd = ucmd->cmd;
	struct mbox_ring *ring = rf->ring;
	struct mbox_deadline dl;
	int ret;

	if (cmd->flags & ~MBOX_WAIT_FLAGS || cmd->__reserved || rf->role < 0)
		return -EINVAL;
	if (rf->role == MBOX_PROD ? !cmd->want || cmd->want > ring->data_size : cmd->want)
		return -EINVAL;
	ret = mbox_deadline_init(&dl, ucmd->file, ucmd->watch, cmd->flags,
				 cmd->timeout_ns);
	if (ret)
		return ret;

	spin_lock(&ring->lock);
	ring->waiters[rf->role]++;
	while (!mbox_ring_ready_or_flag(ring, rf->role, cmd->want)) {
		if (rf->role == MBOX_PROD)
			WRITE_ONCE(ring->ctrl->prod_sleeps, ring->ctrl->prod_sleeps + 1);
		else
			WRITE_ONCE(ring->ctrl->cons_sleeps, ring->ctrl->cons_sleeps + 1);
		ret = mbox_wait_locked(&ring->wq[rf->role], &ring->lock, &dl,
				       ring->obj.id);
		if (ret)
			break;
	}
	if (!--ring->waiters[rf->role])
		WRITE_ONCE(*mbox_ring_waiting(ring, rf->role), 0);
	spin_unlock(&ring->lock);
	return ret;
}

static int mbox_ring_cmd_wake(struct mbox_ucmd *ucmd)
{
	struct mbox_ring_file *rf = ucmd->file->private_data;
	struct mbox_ring_wake *cmd = ucmd->cmd;
	struct mbox_ring *ring = rf->ring;
	int other = !rf->role;
	bool sleeping;

	if (cmd->flags || rf->role < 0)
		return -EINVAL;
	spin_lock(&ring->lock);
	WRITE_ONCE(ring->ctrl->wake_calls, ring->ctrl->wake_calls + 1);
	/*
	 * Lower the flag: whoever is woken raises it again before it looks at
	 * the indices again (under the lock we hold), so no wake-up is lost,
	 * and the other side does not call us again for the same sleep.
	 */
	WRITE_ONCE(*mbox_ring_waiting(ring, other), 0);
	sleeping = wq_has_sleeper(&ring->wq[other]);
	if (sleeping)
		WRITE_ONCE(ring->ctrl->wakeups, ring->ctrl->wakeups + 1);
	spin_unlock(&ring->lock);
	/*
	 * The sleeper seen stays on the queue until woken, so waking it after
	 * unlocking loses nothing, and it does not wake to spin on our lock.
	 */
	if (sleeping)
		wake_up(&ring->wq[other]);
	return 0;
}

static void mbox_ring_layout(struct mbox_ring_layout *l, const struct mbox_ring *ring)
{
	l->ctrl_off = MBOX_RING_OFF_CTRL;
	l->prod_off = MBOX_RING_OFF_PROD;
	l->cons_off = MBOX_RING_OFF_CONS;
	l->data_off = MBOX_RING_OFF_DATA;
	l->ctrl_len = PAGE_SIZE;
	l->prod_len = PAGE_SIZE;
	l->cons_len = PAGE_SIZE;
	l->data_len = ring->data_size;
	l->prod_index = 0;
	l->cons_index = 0;
	l->ctrl_flags = offsetof(struct mbox_ring_ctrl, flags);
	l->ctrl_prod_waiting = offsetof(struct mbox_ring_ctrl, prod_waiting);
	l->ctrl_cons_waiting = offsetof(struct mbox_ring_ctrl, cons_waiting);
}

static u32 mbox_ring_role_flag(int role)
{
	return role == MBOX_PROD ? MBOX_RING_PRODUCER :
	       role == MBOX_CONS ? MBOX_RING_CONSUMER : 0;
}

/*
 * Fill @info with @ring's state as a descriptor in @role sees it, owners
 * seen from @ns: the one reading behind MBOX_IOC_RING_INFO, the
 * descriptor's fdinfo and /proc/mbox/objects.
 */
static void mbox_ring_fill_info(struct mbox_ring_info *info, struct mbox_ring *ring,
				int role, struct user_namespace *ns)
{
	const struct mbox_ring_ctrl *c = ring->ctrl;

	memset(info, 0, sizeof(*info));
	info->id = ring->obj.id;
	info->mode = ring->obj.mode;
	info->uid = from_kuid_munged(ns, ring->obj.uid);
	info->gid = from_kgid_munged(ns, ring->obj.gid);
	info->role = mbox_ring_role_flag(role);
	info->data_size = ring->data_size;
	spin_lock(&ring->lock);
	info->state = c->flags;
	info->rec_max = c->rec_max;
	info->prod = READ_ONCE(*ring->index[MBOX_PROD]);
	info->cons = READ_ONCE(*ring->index[MBOX_CONS]);
	info->prod_sleeps = c->prod_sleeps;
	info->cons_sleeps = c->cons_sleeps;
	info->wake_calls = c->wake_calls;
	info->wakeups = c->wakeups;
	spin_unlock(&ring->lock);
	if (!mbox_obj_is_linked(&ring->obj))
		info->state |= MBOX_STATE_UNLINKED << 8;
	mbox_ring_layout(&info->layout, ring);
}

static int mbox_ring_cmd_info(struct mbox_ucmd *ucmd)
{
	struct mbox_ring_file *rf = ucmd->file->private_data;
	struct mbox_ring_info *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved || cmd->layout.__reserved)
		return -EINVAL;
	mbox_ring_fill_info(cmd, rf->ring, rf->role, current_user_ns());
	cmd->size = ucmd->user_size;
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

/* /proc/mbox/objects: what MBOX_IOC_RING_INFO reports, read by the same code. */
static void mbox_ring_show(struct seq_file *m, struct mbox_obj *obj)
{
	struct mbox_ring_info info;

	mbox_ring_fill_info(&info, to_ring(obj), -1, seq_user_ns(m));
	seq_printf(m, " data_size=%u", info.data_size);
	seq_printf(m, " state=%#x prod=%u cons=%u prod_sleeps=%llu cons_sleeps=%llu",
		   info.state & 0xff, info.prod, info.cons, info.prod_sleeps,
		   info.cons_sleeps);
	seq_printf(m, " wake_calls=%llu wakeups=%llu", info.wake_calls, info.wakeups);
}

static const char *const mbox_role_names[] = { "producer", "consumer" };

/*
 * /proc/<pid>/fdinfo/<fd>: what MBOX_IOC_RING_INFO reports to this
 * descriptor, one "mbox-" key a line; owners in the reader's user namespace.
 */
static void mbox_ring_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mbox_ring_file *rf = file->private_data;
	struct mbox_ring_info info;

	mbox_ring_fill_info(&info, rf->ring, rf->role, seq_user_ns(m));
	seq_puts(m, "mbox-type:\tring\n");
	seq_printf(m, "mbox-id:\t%llu\n", info.id);
	seq_printf(m, "mbox-name:\t%s\n", rf->ring->obj.name);
	seq_printf(m, "mbox-role:\t%s\n",
		   rf->role < 0 ? "observer" : mbox_role_names[rf->role]);
	seq_printf(m, "mbox-mode:\t%04o\n", info.mode);
	seq_printf(m, "mbox-uid:\t%u\n", info.uid);
	seq_printf(m, "mbox-gid:\t%u\n", info.gid);
	seq_printf(m, "mbox-state:\t%#x\n", info.state);
	seq_printf(m, "mbox-data-size:\t%u\n", info.data_size);
	seq_printf(m, "mbox-rec-max:\t%u\n", info.rec_max);
	seq_printf(m, "mbox-prod:\t%u\n", info.prod);
	seq_printf(m, "mbox-cons:\t%u\n", info.cons);
	seq_printf(m, "mbox-bytes:\t%u\n", info.prod - info.cons);
	seq_printf(m, "mbox-prod-sleeps:\t%llu\n", info.prod_sleeps);
	seq_printf(m, "mbox-cons-sleeps:\t%llu\n", info.cons_sleeps);
	seq_printf(m, "mbox-wake-calls:\t%llu\n", info.wake_calls);
	seq_printf(m, "mbox-wakeups:\t%llu\n", info.wakeups);
}

static const struct mbox_ioctl_op mbox_ring_ops[] = {
	MBOX_IOCTL_OP(MBOX_CMD_RING_WAIT, mbox_ring_cmd_wait, struct mbox_ring_wait,
		      __reserved),
	MBOX_IOCTL_OP(MBOX_CMD_RING_WAKE, mbox_ring_cmd_wake, struct mbox_ring_wake, flags),
	MBOX_IOCTL_OP(MBOX_CMD_RING_INFO, mbox_ring_cmd_info, struct mbox_ring_info, layout),
};

/* ---- the descriptor ---- */

static long mbox_ring_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return mbox_ioctl_dispatch(file, cmd, arg, mbox_ring_ops, ARRAY_SIZE(mbox_ring_ops));
}

static __poll_t mbox_ring_poll(struct file *file, poll_table *pt)
{
	struct mbox_ring_file *rf = file->private_data;
	struct mbox_ring *ring = rf->ring;
	__poll_t mask = 0;
	u32 flags;

	if (rf->role < 0)
		return 0;
	poll_wait(file, &ring->wq[rf->role], pt);
	spin_lock(&ring->lock);
	/* Producer: writable while at least half the data area is free. */
	if (mbox_ring_ready_or_flag(ring, rf->role, rf->role == MBOX_PROD ?
				    ring->data_size / 2 : 0))
		mask = rf->role == MBOX_PROD ? EPOLLOUT | EPOLLWRNORM : EPOLLIN | EPOLLRDNORM;
	flags = ring->ctrl->flags;
	spin_unlock(&ring->lock);
	if (rf->role == MBOX_CONS && (flags & MBOX_RING_F_PRODUCER_GONE))
		mask |= EPOLLHUP;
	if (rf->role == MBOX_PROD && (flags & MBOX_RING_F_CONSUMER_GONE))
		mask = EPOLLERR | EPOLLHUP;
	return mask;
}

/*
 * Map one area, as the layout describes it: the whole area, shared, never
 * executable, writable only by its owner, never grown by mremap. A child
 * inherits the mapping like any shared one, and with it the file and role.
 */
static int mbox_ring_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mbox_ring_file *rf = file->private_data;
	struct mbox_ring *ring = rf->ring;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned int first, n = 1;
	bool writable;

	switch ((u64)vma->vm_pgoff << PAGE_SHIFT) {
	case MBOX_RING_OFF_CTRL:
		first = MBOX_PG_CTRL;
		writable = false;
		break;
	case MBOX_RING_OFF_PROD:
		first = MBOX_PG_PROD;
		writable = rf->role == MBOX_PROD;
		break;
	case MBOX_RING_OFF_CONS:
		first = MBOX_PG_CONS;
		writable = rf->role == MBOX_CONS;
		break;
	case MBOX_RING_OFF_DATA:
		first = MBOX_PG_DATA;
		n = ring->nr_pages - MBOX_PG_DATA;
		writable = rf->role == MBOX_PROD;
		break;
	default:
		return -EINVAL;
	}
	if (rf->role < 0 && first != MBOX_PG_CTRL)
		return -EACCES;
	if (len != (unsigned long)n << PAGE_SHIFT || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if ((vma->vm_flags & VM_EXEC) || (!writable && (vma->vm_flags & VM_WRITE)))
		return -EACCES;
	mbox_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	mbox_vm_flags_clear(vma, VM_MAYEXEC | (writable ? 0 : VM_MAYWRITE));
	return vm_map_pages_zero(vma, &ring->pages[first], n);
}

static int mbox_ring_release(struct inode *inode, struct file *file)
{
	struct mbox_ring_file *rf = file->private_data;

	mbox_ring_detach(rf->ring, rf->role);
	mbox_obj_put(&rf->ring->obj);
	kfree(rf);
	return 0;
}

static const struct file_operations mbox_ring_fops = {
	.owner = THIS_MODULE,
	.poll = mbox_ring_poll,
	.mmap = mbox_ring_mmap,
	.unlocked_ioctl = mbox_ring_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = mbox_ring_release,
	.show_fdinfo = mbox_ring_show_fdinfo,
};

/* ---- create and open (/dev/mbox) ---- */

#define MBOX_RING_OPEN_FLAGS	(MBOX_RING_PRODUCER | MBOX_RING_CONSUMER |	\
				 MBOX_RING_CREATE | MBOX_RING_EXCL |		\
				 MBOX_RING_CLOEXEC | MBOX_RING_NONBLOCK)

static int mbox_ring_open_check(const void *arg, const char *name)
{
	const struct mbox_ring_open *cmd = arg;
	bool create = cmd->flags & MBOX_RING_CREATE;

	if (cmd->flags & ~MBOX_RING_OPEN_FLAGS)
		return -EINVAL;
	if ((cmd->flags & MBOX_RING_PRODUCER) && (cmd->flags & MBOX_RING_CONSUMER))
		return -EINVAL;
	if ((cmd->flags & MBOX_RING_EXCL) && !create)
		return -EINVAL;
	if (cmd->id && (create || *name))
		return -EINVAL;
	if (!create && !*name && !cmd->id)
		return -EINVAL;
	if (!create)
		return cmd->mode || cmd->data_size ? -EINVAL : 0;
	if (cmd->mode & ~0777)
		return -EINVAL;
	if (cmd->data_size < PAGE_SIZE || !is_power_of_2(cmd->data_size) ||
	    cmd->data_size > mbox_limit_ring_size())
		return -EINVAL;
	return 0;
}

static int mbox_ring_role(u32 flags)
{
	if (flags & MBOX_RING_PRODUCER)
		return MBOX_PROD;
	return (flags & MBOX_RING_CONSUMER) ? MBOX_CONS : -1;
}

/* A descriptor of @obj in the role @arg (struct mbox_ring_open) asks. */
static struct file *mbox_ring_file(struct mbox_obj *obj, const void *arg)
{
	const struct mbox_ring_open *cmd = arg;
	int role = mbox_ring_role(cmd->flags);
	struct mbox_ring_file *rf;
	struct file *file;
	int ret;

	rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);
	if (!rf)
		return ERR_PTR(-ENOMEM);
	rf->ring = to_ring(obj);
	rf->role = role;
	ret = mbox_ring_attach(rf->ring, role);
	if (ret)
		goto err_free;
	file = anon_inode_getfile("[mbox-ring]", &mbox_ring_fops, rf,
				  O_RDWR | ((cmd->flags & MBOX_RING_NONBLOCK) ? O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		mbox_ring_detach(rf->ring, role);
		goto err_free;
	}
	/* From here on the file's release detaches and drops the ring. */
	return file;

err_free:
	kfree(rf);
	return ERR_PTR(ret);
}

int mbox_ring_open(struct mbox_ucmd *ucmd)
{
	struct mbox_ring_open *cmd = ucmd->cmd;
	const struct mbox_obj_opener op = {
		.ops = &mbox_ring_obj_ops,
		.uname = cmd->name,
		.id = cmd->id,
		.create = cmd->flags & MBOX_RING_CREATE,
		.excl = cmd->flags & MBOX_RING_EXCL,
		/* Producing needs write, consuming (and looking) read permission. */
		.may = (cmd->flags & MBOX_RING_PRODUCER) ? MAY_WRITE : MAY_READ,
		.cloexec = cmd->flags & MBOX_RING_CLOEXEC,
		.check = mbox_ring_open_check,
		.make = mbox_ring_make,
		.open_file = mbox_ring_file,
		.arg = cmd,
	};

	return mbox_obj_open_fd(ucmd, sizeof(*cmd), &cmd->id, &op);
}
