/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: module-wide live counters (stats.c), read by MBOX_IOC_STATS and
 * /proc/mbox/stats. The lowest layer: every object type counts itself here.
 */
#ifndef _MBOX_STATS_H
#define _MBOX_STATS_H

#include <linux/atomic.h>

extern atomic_long_t mbox_nr_mailboxes;
extern atomic_long_t mbox_nr_endpoints;
extern atomic_long_t mbox_nr_links;
extern atomic_long_t mbox_nr_rings;
extern atomic_long_t mbox_nr_msgs;
extern atomic_long_t mbox_nr_bytes;
extern atomic_long_t mbox_nr_uring_waits;

#endif /* _MBOX_STATS_H */
