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

/* Commands on the /dev/mbox descriptor. */
enum {
	MBOX_CMD_VERSION = 0x00,
};

#define MBOX_IOC_VERSION	_IO(MBOX_TYPE, MBOX_CMD_VERSION)

#endif /* _UAPI_LINUX_MBOX_H */
