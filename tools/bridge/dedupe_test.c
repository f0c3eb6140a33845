// SPDX-License-Identifier: GPL-2.0
/*
 * bridge-dedupe-test: the inbound dedupe log (state.c) on the host, run by
 * make check-bridge: a window of 37 IDs over 10,000, eviction, no false
 * positives, persistence and the pending entry across a reopen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "bridge.h"
int main(void)
{
	char err[512], id[64];
	const char *path = "/tmp/bridge-dedupe-test.log";

	unlink(path);
	for (int round = 0; round < 2; round++) {
		struct dedupe *d = dedupe_open(path, 37, err, sizeof err);
		if (!d) { puts(err); return 1; }
		int base = round * 5000;
		for (int i = 0; i < 5000; i++) {
			snprintf(id, sizeof id, "x:%d", base + i);
			if (dedupe_seen(d, id)) { printf("false positive %d\n", i); return 1; }
			dedupe_pending(d, id, 1, (uint64_t)i);
			dedupe_done(d, id);
			for (int j = (i > 36 ? i - 36 : 0); j <= i; j += 7) {
				snprintf(id, sizeof id, "x:%d", base + j);
				if (!dedupe_seen(d, id)) { printf("lost %d at %d\n", j, i); return 1; }
			}
			if (i >= 37) { snprintf(id, sizeof id, "x:%d", base + i - 37);
				if (dedupe_seen(d, id)) { printf("not evicted %d\n", i - 37); return 1; } }
		}
		dedupe_pending(d, "pend", 7, 99);
		dedupe_close(d);
		d = dedupe_open(path, 37, err, sizeof err);
		char pid[BR_ID_MAX]; uint64_t mb, s;
		if (dedupe_get_pending(d, pid, &mb, &s) != 1 || mb != 7 || s != 99) { puts("pending lost"); return 1; }
		dedupe_settle(d, true);
		for (int j = base + 5000 - 36; j < base + 5000; j++) { snprintf(id, sizeof id, "x:%d", j);
			if (!dedupe_seen(d, id)) { printf("lost after reopen %d\n", j); return 1; } }
		if (!dedupe_seen(d, "pend")) { puts("settled not seen"); return 1; }
		dedupe_close(d);
	}
	unlink(path);
	puts("dedupe ok");
	return 0;
}
