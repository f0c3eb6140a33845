// SPDX-License-Identifier: GPL-2.0
/*
 * kv_client: one call to kv_server.
 *
 * Usage: kv_client SERVER_PID set KEY VALUE | get KEY | del KEY | keys
 * Prints the reply; exit status 0 for an answer, 1 for an error answer or a
 * failed call (the server is gone, not there, or took more than 5 s).
 * Build: cc -o kv_client kv_client.c -lmbox
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbox.h>

int main(int argc, char **argv)
{
	char req[512], reply[4096];
	size_t n = 0;
	long pid;
	int ep, len;

	if (argc < 3 || (pid = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: kv_client SERVER_PID set KEY VALUE | get KEY | del KEY | keys\n");
		return 2;
	}
	/* The request is the rest of the command line, space-separated. */
	for (int i = 2; i < argc && n < sizeof(req); i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "%s%s", n ? " " : "", argv[i]);
	if (n >= sizeof(req)) {
		fprintf(stderr, "kv_client: request too long\n");
		return 2;
	}

	/* A process needs an endpoint to take part in links, even as a client. */
	ep = mbox_endpoint(-1, 0, 0, NULL);
	if (ep < 0) {
		fprintf(stderr, "kv_client: endpoint: %s\n", mbox_strerror(ep));
		return 1;
	}
	/*
	 * Send the request and wait for the reply to this very call, for at
	 * most 5 s. If the server dies meanwhile, this fails at once with
	 * -ECONNRESET instead of waiting.
	 */
	len = mbox_call(ep, (pid_t)pid, req, n, reply, sizeof(reply), MBOX_WAIT_TIMEOUT,
			5000000000LL, NULL);
	if (len < 0) {
		fprintf(stderr, "kv_client: call to pid %ld: %s\n", pid, mbox_strerror(len));
		return 1;
	}
	printf("%.*s\n", len, reply);
	return strncmp(reply, "error", 5) ? 0 : 1;
}
