/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by mbox's selftests. The tests use the kernel's own
 * kselftest_harness.h (from linux-source-6.1).
 */
#ifndef MBOX_TEST_H
#define MBOX_TEST_H

#include <errno.h>
#include <sys/ioctl.h>

#include "mbox.h"

/* ioctl(2), returning a negative errno instead of -1. */
static inline int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

#endif /* MBOX_TEST_H */
