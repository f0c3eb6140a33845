// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmbox: a thin C library over the /dev/mbox ioctls. See mbox.h for the
 * conventions (negative errno returns, no global state).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mbox.h"

#define MBOX_API __attribute__((visibility("default")))

/* Issue an ioctl and turn the -1/errno convention into a negative errno. */
static int mbox_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

MBOX_API int mbox_dev_open(unsigned int flags)
{
	int oflags = O_RDWR;
	int fd;

	if (flags & ~MBOX_DEV_NOCLOEXEC)
		return -EINVAL;
	if (!(flags & MBOX_DEV_NOCLOEXEC))
		oflags |= O_CLOEXEC;
	fd = open(MBOX_DEVICE_PATH, oflags);
	return fd < 0 ? -errno : fd;
}

MBOX_API int mbox_version(int devfd, struct mbox_version *ver)
{
	memset(ver, 0, sizeof(*ver));
	ver->size = sizeof(*ver);
	return mbox_ioctl(devfd, MBOX_IOC_VERSION, ver);
}

MBOX_API int mbox_has_feature(int devfd, uint64_t features)
{
	struct mbox_version ver;
	int ret = mbox_version(devfd, &ver);

	if (ret < 0)
		return ret;
	return (ver.features & features) == features;
}

MBOX_API const char *mbox_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case ENOTTY:
		return "not an mbox descriptor, or the module is too old";
	default:
		return strerror(err);
	}
}
