// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: limits, as module parameters (see docs/limits.md).
 *
 * Root may change them at run time through /sys/module/mbox/parameters/; a
 * change applies to what is created or sent afterwards. Readers use
 * READ_ONCE(): a limit is one word, and nothing needs two limits to agree.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>

#include "limits.h"

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
		 "Objects one user may have at once; beyond: -ENOSPC (default 256)");
module_param(bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(bytes_per_user,
		 "Bytes of queued messages and rings, headers included, one user may have; beyond: -EDQUOT (default 64 MiB)");

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
