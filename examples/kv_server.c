// SPDX-License-Identifier: GPL-2.0
/*
 * kv_server: a key-value store served over mbox direct links (RPC).
 *
 * Clients call it by its pid (see kv_client.c): each request is one call,
 * each answer one reply, matched by the call ID the kernel gives the call, so
 * concurrent clients can never get each other's answers. Requests are text:
 *
 *	set KEY VALUE		-> "ok"
 *	get KEY			-> the value, or "error: no such key"
 *	del KEY			-> "ok", or "error: no such key"
 *	keys			-> the keys, space-separated
 *
 * Usage: kv_server [-v]   (runs until killed; -v logs each request)
 * Build: cc -o kv_server kv_server.c -lmbox
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mbox.h>

#define SLOTS		64
#define KEY_MAX		32
#define VALUE_MAX	200
#define REQ_MAX		(KEY_MAX + VALUE_MAX + 16)

struct slot {
	char key[KEY_MAX + 1];
	char value[VALUE_MAX + 1];
	bool used;
};

static struct slot *find(struct slot *table, const char *key)
{
	for (int i = 0; i < SLOTS; i++)
		if (table[i].used && !strcmp(table[i].key, key))
			return &table[i];
	return NULL;
}

/* Carry out one request; the answer goes into @out (NUL-terminated). */
static void serve(struct slot *table, char *req, char *out, size_t outlen)
{
	char *save, *op = strtok_r(req, " ", &save);
	char *key = strtok_r(NULL, " ", &save);
	char *value = strtok_r(NULL, "", &save);	/* the rest, spaces and all */
	struct slot *s;

	if (op && !strcmp(op, "keys") && !key) {
		size_t n = 0;

		out[0] = '\0';
		for (int i = 0; i < SLOTS; i++)
			if (table[i].used && n + KEY_MAX + 2 < outlen)
				n += (size_t)snprintf(out + n, outlen - n, "%s%s",
						      n ? " " : "", table[i].key);
		return;
	}
	if (!op || !key || strlen(key) > KEY_MAX) {
		snprintf(out, outlen, "error: bad request (set KEY VALUE | get KEY | del KEY | keys)");
		return;
	}
	s = find(table, key);
	if (!strcmp(op, "get") && !value) {
		snprintf(out, outlen, "%s", s ? s->value : "error: no such key");
	} else if (!strcmp(op, "del") && !value) {
		if (s)
			s->used = false;
		snprintf(out, outlen, "%s", s ? "ok" : "error: no such key");
	} else if (!strcmp(op, "set") && value && strlen(value) <= VALUE_MAX) {
		for (int i = 0; !s && i < SLOTS; i++)
			if (!table[i].used)
				s = &table[i];
		if (!s) {
			snprintf(out, outlen, "error: store full");
			return;
		}
		snprintf(s->key, sizeof(s->key), "%s", key);
		snprintf(s->value, sizeof(s->value), "%s", value);
		s->used = true;
		snprintf(out, outlen, "ok");
	} else {
		snprintf(out, outlen, "error: bad request (set KEY VALUE | get KEY | del KEY | keys)");
	}
}

int main(int argc, char **argv)
{
	static struct slot table[SLOTS];
	bool verbose = argc > 1 && !strcmp(argv[1], "-v");
	char req[REQ_MAX + 1], out[SLOTS * (KEY_MAX + 1) + 1];
	int ep;

	/* Our endpoint: from now on, processes of our user can call us by pid. */
	ep = mbox_endpoint(-1, 0, 0, NULL);
	if (ep < 0) {
		fprintf(stderr, "kv_server: endpoint: %s\n", mbox_strerror(ep));
		return 1;
	}
	fprintf(stderr, "kv_server: serving as pid %d\n", (int)getpid());

	for (;;) {
		struct mbox_link_recv meta;
		int len, ret;

		/* Wait for the next request from any client. */
		len = mbox_link_recv(ep, 0, req, REQ_MAX, 0, 0, &meta);
		if (len == -EMSGSIZE) {
			/* Too long for us: take it off the queue and say so. */
			mbox_link_recv(ep, 0, req, REQ_MAX, MBOX_RECV_TRUNC, 0, &meta);
			snprintf(out, sizeof(out), "error: request too long");
		} else if (len < 0) {
			fprintf(stderr, "kv_server: receive: %s\n", mbox_strerror(len));
			return 1;
		} else {
			req[len] = '\0';
			if (verbose)
				fprintf(stderr, "kv_server: pid %d: %s\n", meta.pid, req);
			serve(table, req, out, sizeof(out));
		}
		if (!meta.call_id)
			continue;	/* a plain message: nobody waits for an answer */

		/* The reply goes to exactly this call, whoever else is calling. */
		ret = mbox_reply(ep, meta.call_id, out, strlen(out));
		if (ret < 0 && ret != -ENOENT && ret != -EPIPE)
			fprintf(stderr, "kv_server: reply: %s\n", mbox_strerror(ret));
		/* -ENOENT/-EPIPE: the client gave up or died; nothing to do. */
	}
}
