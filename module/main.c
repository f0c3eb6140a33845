// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: mailbox IPC through /dev/mbox.
 *
 * This file owns the module's lifetime and the misc device. Opening /dev/mbox
 * gives a control descriptor; objects (mailboxes, links, rings) are created
 * and opened through its ioctls and handed out as descriptors of their own.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "mbox_internal.h"

#define MBOX_FEATURES	(MBOX_FEAT_VERSION)

static int mbox_cmd_version(struct mbox_ucmd *ucmd)
{
	struct mbox_version *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	cmd->api_version = MBOX_API_VERSION;
	cmd->features = MBOX_FEATURES;
	return mbox_ucmd_respond(ucmd, sizeof(*cmd));
}

static const struct mbox_ioctl_op mbox_dev_ops[] = {
	MBOX_IOCTL_OP(MBOX_CMD_VERSION, mbox_cmd_version, struct mbox_version,
		      features),
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

	ret = misc_register(&mbox_miscdev);
	if (ret)
		return ret;
	pr_info("mbox: api %d loaded\n", MBOX_API_VERSION);
	return 0;
}

static void __exit mbox_exit(void)
{
	misc_deregister(&mbox_miscdev);
}

module_init(mbox_init);
module_exit(mbox_exit);

MODULE_DESCRIPTION("mbox: mailbox IPC through /dev/mbox");
MODULE_AUTHOR("mbox developers");
MODULE_LICENSE("GPL");
