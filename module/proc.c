// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: /proc/mbox, the introspection files (docs/operability.md).
 *
 *   /proc/mbox/objects  one line per object of the reader's IPC namespace:
 *			 type, ID, name, owner, group, mode, then key=value
 *			 pairs particular to the type (the info ioctls' fields)
 *   /proc/mbox/stats    module-wide live counters, limits, and per-user
 *			 usage against the limits
 *
 * Both are world-readable, like /proc/sysvipc/: what they show, the info
 * ioctls show to anyone who can open the object, and objects of other IPC
 * namespaces are never listed. Owners are shown in the reader's user
 * namespace. The namespace is the opener's, fixed when the file is opened.
 */
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "limits.h"
#include "proc.h"
#include "registry.h"
#include "stats.h"
#include "user.h"

static struct proc_dir_entry *mbox_proc_dir;

static const char *const mbox_type_names[] = {
	[MBOX_TYPE_MAILBOX] = "mailbox",
	[MBOX_TYPE_ENDPOINT] = "endpoint",
	[MBOX_TYPE_RING] = "ring",
	[MBOX_TYPE_LINK] = "link",
};

/* One object's line; called under mbox_registry_lock. */
static void mbox_proc_show_obj(struct mbox_obj *obj, void *arg)
{
	struct seq_file *m = arg;
	struct user_namespace *ns = seq_user_ns(m);

	seq_printf(m, "%s %llu %s %u %u %04o", mbox_type_names[obj->ops->type],
		   obj->id, obj->name[0] ? obj->name : "-",
		   from_kuid_munged(ns, obj->uid), from_kgid_munged(ns, obj->gid),
		   obj->mode);
	if (obj->ops->show)
		obj->ops->show(m, obj);
	seq_putc(m, '\n');
}

static int mbox_objects_show(struct seq_file *m, void *v)
{
	seq_puts(m, "type id name uid gid mode details...\n");
	mbox_registry_for_each(m->private, mbox_proc_show_obj, m);
	return 0;
}

static int mbox_objects_open(struct inode *inode, struct file *file)
{
	struct vfsmount *ns = mntget(current->nsproxy->ipc_ns->mq_mnt);
	int ret = single_open(file, mbox_objects_show, ns);

	if (ret)
		mntput(ns);
	return ret;
}

static int mbox_objects_release(struct inode *inode, struct file *file)
{
	struct vfsmount *ns = ((struct seq_file *)file->private_data)->private;

	mntput(ns);
	return single_release(inode, file);
}

static const struct proc_ops mbox_objects_ops = {
	.proc_open = mbox_objects_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = mbox_objects_release,
};

static int mbox_stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "api_version %d\n", MBOX_API_VERSION);
	seq_printf(m, "mailboxes %ld\n", atomic_long_read(&mbox_nr_mailboxes));
	seq_printf(m, "endpoints %ld\n", atomic_long_read(&mbox_nr_endpoints));
	seq_printf(m, "links %ld\n", atomic_long_read(&mbox_nr_links));
	seq_printf(m, "rings %ld\n", atomic_long_read(&mbox_nr_rings));
	seq_printf(m, "uring_waits %ld\n", atomic_long_read(&mbox_nr_uring_waits));
	seq_printf(m, "messages %ld\n", atomic_long_read(&mbox_nr_msgs));
	seq_printf(m, "bytes %ld\n", atomic_long_read(&mbox_nr_bytes));
	seq_printf(m, "limit_msg_size_max %u\n", mbox_limit_msg_size());
	seq_printf(m, "limit_objects_per_user %u\n", mbox_limit_objects());
	seq_printf(m, "limit_bytes_per_user %lu\n", mbox_limit_bytes());
	seq_printf(m, "limit_ring_size_max %u\n", mbox_limit_ring_size());
	mbox_users_show(m);
	return 0;
}

static int mbox_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, mbox_stats_show, NULL);
}

static const struct proc_ops mbox_stats_ops = {
	.proc_open = mbox_stats_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

int mbox_proc_init(void)
{
	mbox_proc_dir = proc_mkdir("mbox", NULL);
	if (!mbox_proc_dir)
		return -ENOMEM;
	if (!proc_create("objects", 0444, mbox_proc_dir, &mbox_objects_ops) ||
	    !proc_create("stats", 0444, mbox_proc_dir, &mbox_stats_ops)) {
		proc_remove(mbox_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void mbox_proc_exit(void)
{
	proc_remove(mbox_proc_dir);
}
