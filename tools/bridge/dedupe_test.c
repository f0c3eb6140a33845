// SPDX-License-Identifier: GPL-2.0
/*
 * bridge-dedupe-test: the inbound dedupe log (state.c) on the host, run by
 * make check-bridge: a window of 37 IDs over 10,000, eviction, no false
 * positives, persistence and the pending entry across a reopen; the keys
 * (dedupe_key()): no blank or newline in them, distinct pairs distinct,
 * a forged line in an ID stays one ID across a reopen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bridge.h"

static int keys(void)
{
	const char *path = "/tmp/bridge-dedupe-key.log";
	char a[BR_ID_MAX], b[BR_ID_MAX], err[512];
	const char *evil = "boot:1:7\nD mbox/boot:1:8 x";
	struct dedupe *d;
	char big[300];

	if (!dedupe_key(a, sizeof a, "mbox", 4, evil, strlen(evil)) ||
	    strcmp(a, "mbox/boot:1:7%0AD%20mbox/boot:1:8%20x")) {
		printf("key of a forged ID: %s\n", a);
		return 1;
	}
	/* ("a/b", "c") and ("a", "b/c") */
	if (!dedupe_key(a, sizeof a, "a/b", 3, "c", 1) || !dedupe_key(b, sizeof b, "a", 1, "b/c", 3) ||
	    !strcmp(a, b) || strcmp(a, "a%2Fb/c")) {
		printf("pairs share a key: %s %s\n", a, b);
		return 1;
	}
	if (!dedupe_key(a, sizeof a, "50%", 3, "x", 1) || strcmp(a, "50%25/x") ||
	    dedupe_key(a, sizeof a, "", 0, "x", 1) || a[0] || dedupe_key(a, sizeof a, "u", 1, "", 0) || a[0]) {
		printf("%% or an empty part: %s\n", a);
		return 1;
	}
	memset(big, 'z', sizeof big);
	if (dedupe_key(a, sizeof a, "u", 1, big, sizeof big) || a[0]) {
		puts("a key too long was made");
		return 1;
	}
	/* The forged line stays inside its ID across a reopen. */
	unlink(path);
	d = dedupe_open(path, 16, err, sizeof err);
	dedupe_key(a, sizeof a, "mbox", 4, evil, strlen(evil));
	dedupe_pending(d, a, 1, 1);
	dedupe_done(d, a);
	dedupe_close(d);
	d = dedupe_open(path, 16, err, sizeof err);
	if (!d || !dedupe_seen(d, a) || dedupe_seen(d, "mbox/boot:1:8")) {
		puts("a forged line became an ID");
		return 1;
	}
	dedupe_close(d);
	unlink(path);
	return 0;
}

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
	if (keys())
		return 1;
	puts("dedupe ok");
	return 0;
}
