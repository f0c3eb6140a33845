// SPDX-License-Identifier: GPL-2.0
/*
 * mbox-bridge's configuration file: INI-style sections.
 *
 *   [broker]            host, port, user, password | password-file, vhost,
 *                       heartbeat, connect-timeout, confirm-timeout,
 *                       backoff-min, backoff-max (milliseconds)
 *   [bridge]            state-dir, status-file, host-name
 *   [out NAME]          mailbox, queue | exchange, max-length, overflow,
 *   [in NAME]           max-priority, prefetch, persistent, envelope,
 *                       dedupe-window; window (out only)
 *
 * A line whose first non-blank character is "#" or ";" is a comment; anywhere
 * else they are part of the value (a password may hold them). Values may not
 * be empty; a key may be given once per section, [broker] and [bridge] once
 * per file; a NUL byte is an error. Every error names the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

struct parse {
	const char *path;
	int line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int perr(struct parse *p, const char *fmt, ...)
{
	char msg[BR_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->path, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int set_str(struct parse *p, char *dst, size_t cap, const char *key, const char *val)
{
	if (strlen(val) >= cap)
		return perr(p, "%s: value too long (at most %zu characters)", key, cap - 1);
	strcpy(dst, val);
	return 0;
}

/*
 * Every number in the file is decimal digits only: no sign, no "0x", no
 * leading zero (is 010 eight or ten? neither: refused).
 */
static int set_int(struct parse *p, long long *dst, const char *key, const char *val,
		   long long min, long long max)
{
	long long v = 0;
	const char *c;

	for (c = val; *c >= '0' && *c <= '9'; c++)
		if (v <= max)
			v = v * 10 + (*c - '0');
	if (*c || c == val || (val[0] == '0' && val[1]) || v < min || v > max)
		return perr(p, "%s: '%s' is not a whole number from %lld to %lld (decimal "
			    "digits, no sign, no leading zero)", key, val, min, max);
	*dst = v;
	return 0;
}

/* Booleans are "yes" or "no", nothing else. */
static int set_bool(struct parse *p, bool *dst, const char *key, const char *val)
{
	if (!strcmp(val, "yes"))
		*dst = true;
	else if (!strcmp(val, "no"))
		*dst = false;
	else
		return perr(p, "%s: '%s' is not yes or no", key, val);
	return 0;
}

static int valid_mailbox_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= BR_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '/')
			return 0;
	return 1;
}

static int read_password_file(struct parse *p, struct br_broker *bk, const char *file)
{
	FILE *f = fopen(file, "r");
	char buf[sizeof(bk->password) + 2];

	if (!f)
		return perr(p, "password-file: cannot open %s: %s", file, strerror(errno));
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return perr(p, "password-file: %s is empty", file);
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return set_str(p, bk->password, sizeof(bk->password), "password-file", buf);
}

static int broker_key(struct parse *p, struct br_broker *bk, const char *key, const char *val)
{
	long long v;

	if (!strcmp(key, "host"))
		return set_str(p, bk->host, sizeof(bk->host), key, val);
	if (!strcmp(key, "user"))
		return set_str(p, bk->user, sizeof(bk->user), key, val);
	if (!strcmp(key, "password"))
		return set_str(p, bk->password, sizeof(bk->password), key, val);
	if (!strcmp(key, "password-file"))
		return read_password_file(p, bk, val);
	if (!strcmp(key, "vhost"))
		return set_str(p, bk->vhost, sizeof(bk->vhost), key, val);
	if (!strcmp(key, "port")) {
		if (set_int(p, &v, key, val, 1, 65535))
			return -1;
		bk->port = (int)v;
		return 0;
	}
	if (!strcmp(key, "heartbeat")) {
		if (set_int(p, &v, key, val, 0, 3600))
			return -1;
		bk->heartbeat = (int)v;
		return 0;
	}
	struct { const char *k; int *dst; } ms[] = {
		{ "connect-timeout", &bk->connect_timeout_ms },
		{ "confirm-timeout", &bk->confirm_timeout_ms },
		{ "backoff-min", &bk->backoff_min_ms },
		{ "backoff-max", &bk->backoff_max_ms },
	};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		if (strcmp(key, ms[i].k))
			continue;
		if (set_int(p, &v, key, val, 1, 3600000))
			return -1;
		*ms[i].dst = (int)v;
		return 0;
	}
	return perr(p, "unknown key '%s' in [broker]", key);
}

static int bridge_key(struct parse *p, struct bridge *br, const char *key, const char *val)
{
	if (!strcmp(key, "state-dir"))
		return set_str(p, br->state_dir, sizeof(br->state_dir), key, val);
	if (!strcmp(key, "status-file"))
		return set_str(p, br->status_file, sizeof(br->status_file), key, val);
	if (!strcmp(key, "host-name"))
		return set_str(p, br->hostname, sizeof(br->hostname), key, val);
	return perr(p, "unknown key '%s' in [bridge]", key);
}

static int binding_key(struct parse *p, struct binding *b, const char *key, const char *val)
{
	long long v;

	if (!strcmp(key, "mailbox")) {
		if (!valid_mailbox_name(val))
			return perr(p, "mailbox: '%s' is not a mailbox name (1-63 printable "
				    "characters, no '/' or spaces)", val);
		strcpy(b->mailbox, val);
		return 0;
	}
	if (!strcmp(key, "queue"))
		return set_str(p, b->queue, sizeof(b->queue), key, val);
	if (!strcmp(key, "exchange"))
		return set_str(p, b->exchange, sizeof(b->exchange), key, val);
	if (!strcmp(key, "max-length")) {
		/* 0: a queue that can never hold a message, every publish refused. */
		if (!strcmp(val, "0"))
			return perr(p, "max-length: 0 would make a queue that never holds a "
				    "message (every publish refused for ever): give 1 or more, "
				    "or leave it out for an unbounded queue");
		return set_int(p, &b->max_length, key, val, 1, 1LL << 40);
	}
	if (!strcmp(key, "overflow")) {
		if (strcmp(val, "reject-publish") && strcmp(val, "drop-head"))
			return perr(p, "overflow: '%s' is not reject-publish or drop-head", val);
		strcpy(b->overflow, val);
		return 0;
	}
	if (!strcmp(key, "max-priority")) {
		if (set_int(p, &v, key, val, 0, 31))
			return -1;
		b->max_priority = (int)v;
		return 0;
	}
	if (!strcmp(key, "prefetch")) {
		if (set_int(p, &v, key, val, 1, 65535))
			return -1;
		b->prefetch = (int)v;
		return 0;
	}
	if (!strcmp(key, "window")) {
		if (set_int(p, &v, key, val, 1, BR_WINDOW_MAX))
			return -1;
		b->window = (int)v;
		return 0;
	}
	if (!strcmp(key, "dedupe-window")) {
		if (set_int(p, &v, key, val, 16, 10000000))
			return -1;
		b->dedupe_window = (long)v;
		return 0;
	}
	if (!strcmp(key, "persistent"))
		return set_bool(p, &b->persistent, key, val);
	if (!strcmp(key, "envelope"))
		return set_bool(p, &b->envelope, key, val);
	return perr(p, "unknown key '%s' in [%s %s]", key, b->dir == BR_OUT ? "out" : "in",
		    b->name);
}

static int check_binding(struct parse *p, struct binding *b)
{
	const char *sect = b->dir == BR_OUT ? "out" : "in";

	p->line = b->line;
	if (!b->mailbox[0])
		return perr(p, "[%s %s]: no mailbox", sect, b->name);
	if (!b->queue[0] == !b->exchange[0])
		return perr(p, "[%s %s]: give exactly one of queue and exchange", sect, b->name);
	if (b->exchange[0] && (b->max_length >= 0 || b->overflow[0]))
		return perr(p, "[%s %s]: max-length and overflow apply to a queue, not to an "
			    "exchange", sect, b->name);
	if (b->overflow[0] && b->max_length < 0)
		return perr(p, "[%s %s]: overflow needs max-length", sect, b->name);
	if (b->window && b->dir != BR_OUT)
		return perr(p, "[%s %s]: window applies to out bindings (in: prefetch)", sect,
			    b->name);
	/*
	 * A full reject-publish queue nacks one message and may take the next:
	 * with several in flight the nacked one would be published again after
	 * it, out of order. One at a time keeps FIFO under backpressure.
	 */
	if (b->window > 1 && !strcmp(b->overflow, "reject-publish"))
		return perr(p, "[%s %s]: window > 1 with overflow = reject-publish would reorder "
			    "messages when the queue is full: leave window out (1)", sect,
			    b->name);
	if (!b->window && b->dir == BR_OUT)
		b->window = strcmp(b->overflow, "reject-publish") ? BR_WINDOW_DEFAULT : 1;
	if (b->max_length >= 0 && !b->overflow[0])
		strcpy(b->overflow, "reject-publish");
	if (b->envelope && b->dir == BR_OUT)
		return perr(p, "[out %s]: envelope applies to inbound bindings", b->name);
	return 0;
}

int br_config_load(struct bridge *br, const char *path, char *err, size_t errlen)
{
	struct parse p = { .path = path, .err = err, .errlen = errlen };
	enum { NONE, BROKER, BRIDGE, BINDING } sect = NONE;
	struct binding *cur = NULL;
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	char seen[32][32];	/* the keys of the current section */
	int nseen = 0;
	bool had_broker = false, had_bridge = false;
	FILE *f;
	int ret = -1;

	snprintf(br->config, sizeof(br->config), "%s", path);
	f = fopen(path, "r");
	if (!f)
		return perr(&p, "cannot open: %s", strerror(errno));
	while ((len = getline(&line, &linecap, f)) >= 0) {
		char *s, *eq, *key, *val;
		const char *k;

		p.line++;
		if (len > 1023) {
			perr(&p, "line too long");
			goto out;
		}
		if ((ssize_t)strlen(line) != len) {
			perr(&p, "a NUL byte in the line (is this a text file?)");
			goto out;
		}
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char kind[16], name[BR_NAME_MAX + 1], extra;
			int n;

			if (s[strlen(s) - 1] != ']') {
				perr(&p, "section header without ']'");
				goto out;
			}
			s[strlen(s) - 1] = '\0';
			s = trim(s + 1);
			nseen = 0;
			if (!strcmp(s, "broker")) {
				if (had_broker) {
					perr(&p, "a second [broker] section (give each key once, "
					     "in one [broker])");
					goto out;
				}
				had_broker = true;
				sect = BROKER;
				continue;
			}
			if (!strcmp(s, "bridge")) {
				if (had_bridge) {
					perr(&p, "a second [bridge] section");
					goto out;
				}
				had_bridge = true;
				sect = BRIDGE;
				continue;
			}
			n = sscanf(s, "%15s %64s %c", kind, name, &extra);
			if (n != 2 || (strcmp(kind, "out") && strcmp(kind, "in"))) {
				perr(&p, "unknown section [%s] (want [broker], [bridge], "
				     "[out NAME] or [in NAME])", s);
				goto out;
			}
			if (!valid_mailbox_name(name)) {
				perr(&p, "binding name '%s': 1-63 printable characters, no '/'", name);
				goto out;
			}
			for (int i = 0; i < br->nb; i++)
				if (!strcmp(br->b[i].name, name)) {
					perr(&p, "binding '%s' defined twice", name);
					goto out;
				}
			cur = realloc(br->b, (size_t)(br->nb + 1) * sizeof(*cur));
			if (!cur) {
				perr(&p, "out of memory");
				goto out;
			}
			br->b = cur;
			cur = &br->b[br->nb++];
			memset(cur, 0, sizeof(*cur));
			strcpy(cur->name, name);
			cur->dir = strcmp(kind, "out") ? BR_IN : BR_OUT;
			cur->max_length = -1;
			cur->max_priority = 31;
			cur->prefetch = 32;
			cur->persistent = true;
			cur->dedupe_window = 100000;
			cur->line = p.line;
			sect = BINDING;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			perr(&p, "expected 'key = value' or a [section]");
			goto out;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!*key || !*val) {
			perr(&p, "empty key or value");
			goto out;
		}
		/* password and password-file are one setting */
		k = strcmp(key, "password-file") ? key : "password";
		for (int i = 0; i < nseen; i++)
			if (!strcmp(seen[i], k)) {
				perr(&p, "'%s' given twice in this section%s", key,
				     strcmp(k, key) || !strcmp(key, "password") ?
				     " (password and password-file count as one)" : "");
				goto out;
			}
		if (nseen < (int)(sizeof(seen) / sizeof(seen[0])) && strlen(k) < sizeof(seen[0]))
			strcpy(seen[nseen++], k);
		switch (sect) {
		case NONE:
			perr(&p, "'%s' outside any section", key);
			goto out;
		case BROKER:
			if (broker_key(&p, &br->broker, key, val))
				goto out;
			break;
		case BRIDGE:
			if (bridge_key(&p, br, key, val))
				goto out;
			break;
		case BINDING:
			if (binding_key(&p, &br->b[br->nb - 1], key, val))
				goto out;
			break;
		}
	}
	if (ferror(f)) {
		perr(&p, "read error");
		goto out;
	}
	p.line = 0;
	if (!br->broker.host[0]) {
		perr(&p, "[broker] has no host");
		goto out;
	}
	if (!br->broker.user[0] || !br->broker.password[0]) {
		perr(&p, "[broker] needs user and password (or password-file)");
		goto out;
	}
	if (br->nb == 0) {
		perr(&p, "no [out NAME] or [in NAME] binding");
		goto out;
	}
	for (int i = 0; i < br->nb; i++)
		if (check_binding(&p, &br->b[i]))
			goto out;
	for (int i = 0; i < br->nb; i++) {
		struct binding *a = &br->b[i];

		for (int j = 0; j < i; j++) {
			struct binding *o = &br->b[j];

			if (strcmp(a->mailbox, o->mailbox))
				continue;
			p.line = a->line;
			if (a->dir == o->dir) {
				perr(&p, "[%s %s]: mailbox '%s' is already bound by [%s %s] (a mailbox "
				     "may have one %s binding: the bridge must be its only %s)",
				     a->dir == BR_OUT ? "out" : "in", a->name, a->mailbox,
				     o->dir == BR_OUT ? "out" : "in", o->name,
				     a->dir == BR_OUT ? "out" : "in",
				     a->dir == BR_OUT ? "receiver" : "sender");
				goto out;
			}
			if (!strcmp(a->queue, o->queue) && !strcmp(a->exchange, o->exchange)) {
				perr(&p, "[%s %s] and [%s %s]: the same mailbox '%s' and %s '%s' both "
				     "ways: a loop (every message would circulate forever)",
				     o->dir == BR_OUT ? "out" : "in", o->name,
				     a->dir == BR_OUT ? "out" : "in", a->name, a->mailbox,
				     a->queue[0] ? "queue" : "exchange",
				     a->queue[0] ? a->queue : a->exchange);
				goto out;
			}
		}
	}
	ret = 0;
out:
	free(line);
	fclose(f);
	return ret;
}
