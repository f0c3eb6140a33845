/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmbox internals shared by its source files; nothing here is exported.
 */
#ifndef MBOX_LIB_INTERNAL_H
#define MBOX_LIB_INTERNAL_H

#define MBOX_API __attribute__((visibility("default")))

/* ioctl(2), with the -1/errno convention turned into a negative errno. */
int mbox_ioctl(int fd, unsigned long cmd, void *arg);
/* An ioctl on @devfd, or on a /dev/mbox descriptor opened for this call. */
int mbox_dev_ioctl(int devfd, unsigned long cmd, void *arg);

#endif /* MBOX_LIB_INTERNAL_H */
