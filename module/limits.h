/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: the limits user space can not exceed (limits.c, module parameters;
 * docs/limits.md). The lowest layer.
 */
#ifndef _MBOX_LIMITS_H
#define _MBOX_LIMITS_H

#include <linux/bits.h>

#define MBOX_MSG_SIZE_LIMIT	(16U << 20)	/* msg_size_max can not exceed this */
#define MBOX_RING_SIZE_LIMIT	BIT(30)		/* nor ring_size_max this */

unsigned int mbox_limit_msg_size(void);
unsigned int mbox_limit_objects(void);
unsigned long mbox_limit_bytes(void);
unsigned int mbox_limit_ring_size(void);

#endif /* _MBOX_LIMITS_H */
