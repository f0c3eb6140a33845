/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: shared ring segments (ring.c). Built on the registry; shares no
 * code with the message queue.
 *
 * Locking: mbox_ring.lock (spinlock) protects a ring's attached roles, its
 * waiter counts and every kernel write to its control page; waits and wakes
 * are serialised by it. Taken with no other lock of ours held.
 */
#ifndef _MBOX_RING_H
#define _MBOX_RING_H

struct mbox_ucmd;

int mbox_ring_open(struct mbox_ucmd *ucmd);

#endif /* _MBOX_RING_H */
