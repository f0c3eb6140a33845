// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: mailbox IPC through /dev/mbox.
 *
 * This file owns the module's lifetime and the misc device. Opening /dev/mbox
 * gives a control descriptor; objects (mailboxes, links, rings) are created
 * and opened through its ioctls and handed out as descriptors of their own.
 */
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "mbox_internal.h"

#define CREATE_TRACE_POINTS
#include "mbox_trace.h"

#define MBOX_FEATURES	(MBOX_FEAT_VERSION | MBOX_FEAT_MAILBOX |	\
			 MBOX_FEAT_BATCH | MBOX_FEAT_BROADCAST |	\
			 MBOX_FEAT_LINK | MBOX_FEAT_RING)

/*
 * Limits (see docs/limits.md). Root may change them at run time through
 * /sys/module/mbox/parameters/; a change applies to what is created or sent
 * afterwards.
 */
static unsigned int msg_size_max = 65536;
static unsigned int objects_per_user = 256;
static unsigned long bytes_per_user = 64UL << 20;
static unsigned int ring_size_max = 16U << 20;

static int mbox_param_set_msg_size(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	if (n > MBOX_MSG_SIZE_LIMIT)
		return -EINVAL;
	WRITE_ONCE(msg_size_max, n);
	return 0;
}

static const struct kernel_param_ops mbox_msg_size_ops = {
	.set = mbox_param_set_msg_size,
	.get = param_get_uint,
};

module_param_cb(msg_size_max, &mbox_msg_size_ops, &msg_size_max, 0644);
MODULE_PARM_DESC(msg_size_max,
		 "Largest message in bytes, and the default per mailbox (<= 16 MiB; default 65536)");
module_param(objects_per_user, uint, 0644);
MODULE_PARM_DESC(objects_per_user,
		 "Mailboxes one user may have at once; beyond: -ENOSPC (default 256)");
module_param(bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(bytes_per_user,
		 "Bytes of queued messages, headers included, one user may have; beyond: -EDQUOT (default 64 MiB)");

static int mbox_param_set_ring_size(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	if (n < PAGE_SIZE || n > MBOX_RING_SIZE_LIMIT || !is_power_of_2(n))
		return -EINVAL;
	WRITE_ONCE(ring_size_max, n);
	return 0;
}

static const struct kernel_param_ops mbox_ring_size_ops = {
	.set = mbox_param_set_ring_size,
	.get = param_get_uint,
};

module_param_cb(ring_size_max, &mbox_ring_size_ops, &ring_size_max, 0644);
MODULE_PARM_DESC(ring_size_max,
		 "Largest ring data area in bytes, a power of two (<= 1 GiB; default 16 MiB)");

unsigned int mbox_limit_ring_size(void)
{
	return READ_ONCE(ring_size_max);
}

unsigned int mbox_limit_msg_size(void)
{
	return READ_ONCE(msg_size_max);
}

unsigned int mbox_limit_objects(void)
{
	return READ_ONCE(objects_per_user);
}

unsigned long mbox_limit_bytes(void)
{
	return READ_ONCE(bytes_per_user);
}

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
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

static const struct mbox_ioctl_op mbox_dev_ops[] = {
	MBOX_IOCTL_OP(MBOX_CMD_VERSION, mbox_cmd_version, struct mbox_version,
		      features),
	MBOX_IOCTL_OP(MBOX_CMD_OPEN, mbox_mailbox_open, struct mbox_open,
		      max_bytes),
	MBOX_IOCTL_OP(MBOX_CMD_UNLINK, mbox_mailbox_unlink, struct mbox_unlink, id),
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

static const struct file_operations mbox_dev_fops = {
	.owner = THIS_MODULE,
	.open = mbox_dev_open,
	.unlocked_ioctl = mbox_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
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

	ret = mbox_proc_init();
	if (ret)
		return ret;
	ret = misc_register(&mbox_miscdev);
	if (ret) {
		mbox_proc_exit();
		return ret;
	}
	pr_info("mbox: api %d loaded\n", MBOX_API_VERSION);
	return 0;
}

static void __exit mbox_exit(void)
{
	misc_deregister(&mbox_miscdev);
	mbox_proc_exit();
	/* No descriptor is open: only named mailboxes nobody holds are left. */
	mbox_registry_exit();
}

module_init(mbox_init);
module_exit(mbox_exit);

MODULE_DESCRIPTION("mbox: mailbox IPC through /dev/mbox");
MODULE_AUTHOR("mbox developers");
MODULE_LICENSE("GPL");
