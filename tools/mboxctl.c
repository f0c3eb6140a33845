// SPDX-License-Identifier: GPL-2.0
/*
 * mboxctl: see and use mbox from the shell.
 *
 *   mboxctl version      the module's API version and features
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mbox.h"

static const struct {
	unsigned long long bit;
	const char *name;
} features[] = {
	{ MBOX_FEAT_VERSION, "version" },
};

static int cmd_version(void)
{
	struct mbox_version ver;
	int fd, ret;

	fd = mbox_dev_open(0);
	if (fd < 0) {
		fprintf(stderr, "mboxctl: version: cannot open %s: %s\n",
			MBOX_DEVICE_PATH, mbox_strerror(fd));
		return 1;
	}
	ret = mbox_version(fd, &ver);
	close(fd);
	if (ret < 0) {
		fprintf(stderr, "mboxctl: version: %s\n", mbox_strerror(ret));
		return 1;
	}
	printf("api version: %u\nfeatures:", ver.api_version);
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (ver.features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\n");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mboxctl version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "version"))
		return cmd_version();
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "mboxctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
