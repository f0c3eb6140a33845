// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: mailbox IPC through /dev/mbox.
 *
 * This file owns the module's lifetime and the misc device, and is the top
 * of the module: nothing calls into it. Opening /dev/mbox gives a control
 * descriptor; objects (mailboxes, endpoints, rings) are created and opened
 * through its ioctls and handed out as descriptors of their own. How the
 * files are layered is in docs/internals.md.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "endpoint.h"
#include "mailbox.h"
#include "proc.h"
#include "registry.h"
#include "ring.h"
#include "msg.h"
#include "stats.h"
#include "ucmd.h"

#define MBOX_FEATURES	(MBOX_FEAT_VERSION | MBOX_FEAT_MAILBOX |	\
			 MBOX_FEAT_BATCH | MBOX_FEAT_BROADCAST |	\
			 MBOX_FEAT_LINK | MBOX_FEAT_RING | MBOX_FEAT_PIDFD |	\
			 MBOX_FEAT_PRIO_WIDE | MBOX_FEAT_LONG_NAMES |	\
			 MBOX_FEAT_NOTIFY | MBOX_FEAT_RECV_FULLSIZE |	\
			 MBOX_FEAT_OPEN_UMASK | MBOX_FEAT_RECV_SEQ |		\
			 (IS_ENABLED(CONFIG_IO_URING) ? MBOX_FEAT_URING : 0))

static int mbox_cmd_version(struct mbox_ucmd *ucmd)
{
	struct mbox_version *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	cmd->api_version = MBOX_API_VERSION;
	cmd->features = MBOX_FEATURES;
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

static int mbox_cmd_stats(struct mbox_ucmd *ucmd)
{
	struct mbox_stats *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EINVAL;
	cmd->mailboxes = atomic_long_read(&mbox_nr_mailboxes);
	cmd->messages = atomic_long_read(&mbox_nr_msgs);
	cmd->bytes = atomic_long_read(&mbox_nr_bytes);
	cmd->endpoints = atomic_long_read(&mbox_nr_endpoints);
	cmd->links = atomic_long_read(&mbox_nr_links);
	cmd->rings = atomic_long_read(&mbox_nr_rings);
	cmd->uring_waits = atomic_long_read(&mbox_nr_uring_waits);
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

/* MBOX_IOC_UNLINK: remove a mailbox's (or with MBOX_UNLINK_RING a ring's) name. */
static int mbox_cmd_unlink(struct mbox_ucmd *ucmd)
{
	struct mbox_unlink *cmd = ucmd->cmd;
	char name[MBOX_NAME_LONG_MAX];
	int ret;

	if (cmd->flags & ~MBOX_UNLINK_RING)
		return -EINVAL;
	ret = mbox_name_from_user(name, cmd->name);
	if (ret)
		return ret;
	if (!!*name == !!cmd->id)
		return -EINVAL;
	return mbox_obj_unlink(name, cmd->id, (cmd->flags & MBOX_UNLINK_RING) ?
			       MBOX_TYPE_RING : MBOX_TYPE_MAILBOX);
}

static const struct mbox_ioctl_op mbox_dev_ops[] = {
	MBOX_IOCTL_OP(MBOX_CMD_VERSION, mbox_cmd_version, struct mbox_version,
		      features),
	MBOX_IOCTL_OP(MBOX_CMD_OPEN, mbox_mailbox_open, struct mbox_open,
		      max_bytes),
	MBOX_IOCTL_OP(MBOX_CMD_UNLINK, mbox_cmd_unlink, struct mbox_unlink, id),
	MBOX_IOCTL_OP(MBOX_CMD_STATS, mbox_cmd_stats, struct mbox_stats, bytes),
	MBOX_IOCTL_OP(MBOX_CMD_ENDPOINT, mbox_endpoint_create, struct mbox_endpoint, id),
	MBOX_IOCTL_OP(MBOX_CMD_RING_OPEN, mbox_ring_open, struct mbox_ring_open, data_size),
};

static long mbox_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	return mbox_ioctl_dispatch(file, cmd, arg, mbox_dev_ops,
				   ARRAY_SIZE(mbox_dev_ops));
}

static int mbox_dev_open(struct inode *inode, struct file *file)
{
	return stream_open(inode, file);
}

/* /proc/<pid>/fdinfo/<fd> of /dev/mbox: what MBOX_IOC_VERSION reports. */
static void mbox_dev_show_fdinfo(struct seq_file *m, struct file *file)
{
	seq_puts(m, "mbox-type:\tcontrol\n");
	seq_printf(m, "mbox-api-version:\t%d\n", MBOX_API_VERSION);
	seq_printf(m, "mbox-features:\t%#llx\n", (unsigned long long)MBOX_FEATURES);
}

static const struct file_operations mbox_dev_fops = {
	.owner = THIS_MODULE,
	.open = mbox_dev_open,
	.unlocked_ioctl = mbox_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = mbox_dev_show_fdinfo,
};

static struct miscdevice mbox_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mbox",
	.fops = &mbox_dev_fops,
	.mode = 0666,
};

static int __init mbox_init(void)
{
	int ret;

	ret = mbox_msg_init();
	if (ret)
		return ret;
	ret = mbox_proc_init();
	if (ret)
		goto err_msg;
	ret = misc_register(&mbox_miscdev);
	if (ret)
		goto err_proc;
	pr_info("mbox: api %d loaded\n", MBOX_API_VERSION);
	return 0;

err_proc:
	mbox_proc_exit();
err_msg:
	mbox_msg_exit();
	return ret;
}

static void __exit mbox_exit(void)
{
	misc_deregister(&mbox_miscdev);
	mbox_proc_exit();
	/* No descriptor is open: only named objects nobody holds are left. */
	mbox_registry_exit();
	mbox_msg_exit();
}

module_init(mbox_init);
module_exit(mbox_exit);

MODULE_DESCRIPTION("mbox: mailbox IPC through /dev/mbox");
MODULE_AUTHOR("mbox developers");
MODULE_LICENSE("GPL");
