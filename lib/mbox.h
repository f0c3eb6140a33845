/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmbox: a thin C library over the /dev/mbox ioctls.
 *
 * Conventions, for every function in this header:
 *  - On success a function returns 0 or a non-negative value (a descriptor,
 *    a count, a size); on failure it returns a negative errno value
 *    (-EINVAL, -EAGAIN, ...). errno itself is unspecified after any call:
 *    callers use the return value, never errno.
 *  - The library keeps no global state: every call acts only on the
 *    descriptors and buffers passed to it, so all functions are thread-safe
 *    to the extent the kernel objects they act on are (they all are).
 *  - Descriptors are opened close-on-exec unless the caller asks otherwise.
 *
 * The kernel's argument structs are in <linux/mbox.h>, included here.
 */
#ifndef LIBMBOX_H
#define LIBMBOX_H

#include <stddef.h>
#include <stdint.h>
#include <linux/mbox.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags for mbox_dev_open(). */
#define MBOX_DEV_NOCLOEXEC	(1u << 0)	/* do not set O_CLOEXEC */

/**
 * mbox_dev_open() - open the control device /dev/mbox
 * @flags: 0 or MBOX_DEV_NOCLOEXEC
 *
 * Return: a descriptor, or -ENOENT (module not loaded), -EACCES, -EINVAL
 * (unknown flags), or another open(2) error, negated.
 */
int mbox_dev_open(unsigned int flags);

/**
 * mbox_version() - query the module's API version and features
 * @devfd: a descriptor of /dev/mbox
 * @ver: filled in on success
 *
 * Return: 0, or -EBADF, -ENOTTY (not an mbox descriptor), -EFAULT.
 */
int mbox_version(int devfd, struct mbox_version *ver);

/**
 * mbox_has_feature() - whether the module supports all bits in @features
 *
 * Return: 1 if supported, 0 if not, or a negative errno from mbox_version().
 */
int mbox_has_feature(int devfd, uint64_t features);

/**
 * mbox_strerror() - a short description of an mbox error, for messages
 * @err: a negative errno returned by this library (or a positive errno)
 *
 * Return: a static string; the mbox-specific meanings are used where the
 * module gives an errno one (e.g. quota exhaustion), strerror() otherwise.
 */
const char *mbox_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* LIBMBOX_H */
