/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mbox: /proc/mbox (proc.c). Reads the registry, the counters and the
 * accounting; nothing below calls it.
 */
#ifndef _MBOX_PROC_H
#define _MBOX_PROC_H

int mbox_proc_init(void);
void mbox_proc_exit(void);

#endif /* _MBOX_PROC_H */
