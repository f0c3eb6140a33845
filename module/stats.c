// SPDX-License-Identifier: GPL-2.0
/*
 * mbox: module-wide live counters. Each is incremented when an object (or
 * message) is made and decremented when it is freed, so after rmmod-ready
 * teardown they are all zero; the tests check that.
 */
#include "stats.h"

atomic_long_t mbox_nr_mailboxes = ATOMIC_LONG_INIT(0);
atomic_long_t mbox_nr_endpoints = ATOMIC_LONG_INIT(0);
atomic_long_t mbox_nr_links = ATOMIC_LONG_INIT(0);
atomic_long_t mbox_nr_rings = ATOMIC_LONG_INIT(0);
atomic_long_t mbox_nr_msgs = ATOMIC_LONG_INIT(0);
atomic_long_t mbox_nr_bytes = ATOMIC_LONG_INIT(0);
atomic_long_t mbox_nr_uring_waits = ATOMIC_LONG_INIT(0);
