// SPDX-License-Identifier: GPL-2.0
/*
 * mboxctl list and watch: read /proc/mbox (docs/operability.md). mboxctl
 * stats (text and --json) reads MBOX_IOC_STATS instead (main.c).
 *
 * /proc/mbox/objects has one line per object of our IPC namespace:
 * "TYPE ID NAME UID GID MODE key=value...", NAME "-" for none.
 * /proc/mbox/stats has "key value" lines and "user UID objects N bytes N".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mboxctl.h"

#define PROC_OBJECTS	"/proc/mbox/objects"
#define PROC_STATS	"/proc/mbox/stats"
#define MAX_KV		24

struct obj_line {
	char type[16];
	char name[MBOX_NAME_LONG_MAX];
	unsigned long long id;
	unsigned int uid, gid, mode;
	int nkv;
	struct {
		char key[32];
		unsigned long long val;
	} kv[MAX_KV];
};

static FILE *open_proc(const char *cmd, const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f)
		fprintf(stderr, "mboxctl: %s: %s: %s%s\n", cmd, path, strerror(errno),
			errno == ENOENT ? " (is the mbox module loaded?)" : "");
	return f;
}

static bool parse_obj(char *line, struct obj_line *o)
{
	char *save = NULL, *tok;
	int n = 0;

	memset(o, 0, sizeof(*o));
	if (sscanf(line, "%15s %llu %255s %u %u %o%n", o->type, &o->id, o->name,
		   &o->uid, &o->gid, &o->mode, &n) != 6)
		return false;
	if (!strcmp(o->name, "-"))
		o->name[0] = '\0';
	for (tok = strtok_r(line + n, " \n", &save); tok && o->nkv < MAX_KV;
	     tok = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq - tok >= (long)sizeof(o->kv[0].key))
			continue;
		memcpy(o->kv[o->nkv].key, tok, eq - tok);
		o->kv[o->nkv].key[eq - tok] = '\0';
		o->kv[o->nkv].val = strtoull(eq + 1, NULL, 0);
		o->nkv++;
	}
	return true;
}

/* The value of @key, or -1 when the object has none. */
static long long kv(const struct obj_line *o, const char *key)
{
	for (int i = 0; i < o->nkv; i++)
		if (!strcmp(o->kv[i].key, key))
			return (long long)o->kv[i].val;
	return -1;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void print_header(void)
{
	printf("%-9s %6s %-16s %5s %5s %4s %6s %9s %9s  %s\n", "TYPE", "ID", "NAME",
	       "UID", "GID", "MODE", "MSGS", "BYTES", "WAIT S/R", "DETAILS");
}

static void print_json(const struct obj_line *o, bool first)
{
	printf("%s\n  {\"type\": ", first ? "[" : ",");
	json_string(o->type);
	printf(", \"id\": %llu, \"name\": ", o->id);
	json_string(o->name);
	printf(", \"uid\": %u, \"gid\": %u, \"mode\": \"%04o\"", o->uid, o->gid, o->mode);
	for (int i = 0; i < o->nkv; i++)
		printf(", \"%s\": %llu", o->kv[i].key, o->kv[i].val);
	printf("}");
}

static void print_num(long long v, int width)
{
	if (v < 0)
		printf(" %*s", width, "-");
	else
		printf(" %*lld", width, v);
}

/* Queued messages, queued bytes and waiters, whatever the type calls them. */
static void print_row(const struct obj_line *o)
{
	long long msgs = kv(o, "msgs"), bytes = kv(o, "bytes");

	if (!strcmp(o->type, "ring")) {
		msgs = -1;
		bytes = (long long)((unsigned int)kv(o, "prod") - (unsigned int)kv(o, "cons"));
	}
	printf("%-9s %6llu %-16s %5u %5u %04o", o->type, o->id,
	       o->name[0] ? o->name : "-", o->uid, o->gid, o->mode);
	print_num(msgs, 6);
	print_num(bytes, 9);
	if (kv(o, "recv_waiters") >= 0)
		printf(" %4lld/%-4lld", kv(o, "send_waiters"), kv(o, "recv_waiters"));
	else
		printf(" %9s", "-");
	if (!strcmp(o->type, "mailbox"))
		printf("  capacity=%lld sent=%lld received=%lld", kv(o, "capacity"),
		       kv(o, "sent"), kv(o, "received"));
	else if (!strcmp(o->type, "endpoint"))
		printf("  pid=%lld links=%lld", kv(o, "pid"), kv(o, "links"));
	else if (!strcmp(o->type, "ring"))
		printf("  data_size=%lld sleeps=%lld/%lld", kv(o, "data_size"),
		       kv(o, "prod_sleeps"), kv(o, "cons_sleeps"));
	printf("\n");
}

static int list_usage(void)
{
	return usage_error("list", "usage: mboxctl list [--json] [-t mailbox|ring|endpoint] [NAME]");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *type = NULL, *name = NULL;
	bool json = false, first = true;
	struct obj_line o;
	char line[1024];
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "jt:", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 't')
			type = optarg;
		else
			return list_usage();
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc)
		return list_usage();
	if (type && strcmp(type, "mailbox") && strcmp(type, "ring") && strcmp(type, "endpoint"))
		return usage_error("list", "-t: the types are mailbox, ring and endpoint");
	f = open_proc("list", PROC_OBJECTS);
	if (!f)
		return EXIT_FAILURE;
	while (fgets(line, sizeof(line), f)) {
		if (!parse_obj(line, &o))
			continue;	/* the header */
		if ((type && strcmp(type, o.type)) || (name && strcmp(name, o.name)))
			continue;
		if (first && !json)
			print_header();
		if (json)
			print_json(&o, first);
		else
			print_row(&o);
		first = false;
	}
	fclose(f);
	if (name && first) {
		fprintf(stderr, "mboxctl: list: '%s': no such object\n", name);
		return EXIT_FAILURE;
	}
	if (json)
		printf("%s]\n", first ? "[" : "\n");
	else if (first)
		print_header();
	return 0;
}

/* /proc/mbox/stats as one line (mboxctl watch): text, or a JSON object. */
static int print_stats(const char *cmd, bool json)
{
	char key[64], line[256];
	unsigned long long val;
	bool first = true;
	FILE *f = open_proc(cmd, PROC_STATS);

	if (!f)
		return EXIT_FAILURE;
	if (json)
		fputs("{", stdout);
	while (fgets(line, sizeof(line), f)) {
		unsigned int uid;
		long long objs, bytes;

		if (sscanf(line, "user %u objects %lld bytes %lld", &uid, &objs, &bytes) == 3) {
			if (json)
				printf("%s\"user_%u\": {\"objects\": %lld, \"bytes\": %lld}",
				       first ? "" : ", ", uid, objs, bytes);
			else
				printf("%suser%u=%lld/%lld", first ? "" : " ", uid, objs, bytes);
		} else if (sscanf(line, "%63s %llu", key, &val) == 2) {
			if (json)
				printf("%s\"%s\": %llu", first ? "" : ", ", key, val);
			else if (strncmp(key, "limit_", 6) && strcmp(key, "api_version"))
				printf("%s%s=%llu", first ? "" : " ", key, val);
			else
				continue;
		} else {
			continue;
		}
		first = false;
	}
	fclose(f);
	fputs(json ? "}\n" : "\n", stdout);
	fflush(stdout);
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t ms = 1000, count = 0;
	bool json = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "ji:c:", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'i' && parse_u64(optarg, &ms) && ms && ms <= 3600000)
			continue;
		else if (c == 'c' && parse_u64(optarg, &count))
			continue;
		else
			return usage_error("watch", "usage: mboxctl watch [-i MS] [-c COUNT] [--json]");
	}
	if (optind < argc)
		return usage_error("watch", "no operands expected");
	for (uint64_t i = 0; !count || i < count; i++) {
		struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

		if (i)
			nanosleep(&ts, NULL);
		ret = print_stats("watch", json);
		if (ret)
			return ret;
	}
	return 0;
}
