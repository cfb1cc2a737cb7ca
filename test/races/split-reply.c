/*
 * A reply split over two writes: the server writes a header, then a body,
 * on a socket; the client, after a little work of its own (some
 * computing), reads once and expects both. Window: between the two write
 * calls. Opened by a hold after the first write.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static int sv[2];

static void *server(void *unused)
{
	(void)unused;
	if (write(sv[0], "HEAD", 4) != 4 || write(sv[0], "BODY", 4) != 4)
		return NULL;
	return NULL;
}

int main(void)
{
	volatile int spin;
	pthread_t t;
	char buf[8];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 2;
	pthread_create(&t, NULL, server, NULL);
	for (spin = 0; spin < 200000; spin++)
		;
	n = read(sv[1], buf, sizeof(buf));
	pthread_join(t, NULL);
	if (n != 8) {
		fprintf(stderr, "race: split reply: one read got %zd of 8"
				" bytes\n", n);
		return 1;
	}
	return 0;
}
