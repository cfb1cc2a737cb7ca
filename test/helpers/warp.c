/* SPDX-License-Identifier: MIT */
/*
 * warp CASE: the contract of each call libflaketrap-warp.so wraps, run
 * under FLAKETRAP_TIMERS=warp (t7000-warp.sh). Prints nothing and exits 0
 * when every check holds; names the failed check and exits 1 otherwise.
 * Threads meet through condition variables and pipes, never by sleeping;
 * nothing here depends on how fast the machine is.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define HOUR_NS (3600LL * 1000000000LL)
#define HOUR_MS 3600000

static const char *case_name;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "warp %s: line %d: %s failed"      \
					" (errno %d)\n",                   \
				case_name, __LINE__, #cond, errno);        \
			exit(1);                                           \
		}                                                          \
	} while (0)

static int64_t now(clockid_t clk)
{
	struct timespec ts;

	CHECK(clock_gettime(clk, &ts) == 0);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec ts_at(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	return ts;
}

/* A pipe nothing is ever written to, and one with a byte waiting. */
static int idle_fd(void)
{
	int fds[2];

	CHECK(pipe(fds) == 0);
	return fds[0];
}

static int ready_fd(void)
{
	int fds[2];

	CHECK(pipe(fds) == 0);
	CHECK(write(fds[1], "x", 1) == 1);
	return fds[0];
}

static int epoll_on(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(0);

	CHECK(ep >= 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	return ep;
}

/* Each wait of an hour on an idle descriptor times out an hour later. */
static void case_descriptors(void)
{
	int fd = idle_fd(), ep = epoll_on(fd);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec hour = { 3600, 0 };
	struct timeval tv;
	struct epoll_event ev;
	fd_set set;
	int64_t t;

#define HOUR_LATER(call)                                                   \
	do {                                                               \
		t = now(CLOCK_MONOTONIC);                                  \
		CHECK((call) == 0);                                        \
		CHECK(now(CLOCK_MONOTONIC) - t >= HOUR_NS);                \
	} while (0)
	HOUR_LATER(epoll_wait(ep, &ev, 1, HOUR_MS));
	HOUR_LATER(epoll_pwait(ep, &ev, 1, HOUR_MS, NULL));
	HOUR_LATER(epoll_pwait2(ep, &ev, 1, &hour, NULL));
	HOUR_LATER(poll(&p, 1, HOUR_MS));
	CHECK(p.revents == 0);
	HOUR_LATER(ppoll(&p, 1, &hour, NULL));
	FD_ZERO(&set);
	FD_SET(fd, &set);
	tv.tv_sec = 3600;
	tv.tv_usec = 0;
	HOUR_LATER(select(fd + 1, &set, NULL, NULL, &tv));
	/* Linux leaves the unslept time: none. */
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0);
	CHECK(!FD_ISSET(fd, &set));
	FD_SET(fd, &set);
	HOUR_LATER(pselect(fd + 1, &set, NULL, NULL, &hour, NULL));
	/* The realtime clock moved as much as the monotonic one. */
	t = now(CLOCK_REALTIME);
	HOUR_LATER(poll(&p, 1, HOUR_MS));
	CHECK(now(CLOCK_REALTIME) - t >= HOUR_NS);
	/* A zero timeout is left alone. */
	CHECK(poll(&p, 1, 0) == 0);
}

/* A ready descriptor is returned at once, and the clock does not jump. */
static void case_ready(void)
{
	int fd = ready_fd(), ep = epoll_on(fd);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec hour = { 3600, 0 };
	struct timeval tv = { 3600, 0 };
	struct epoll_event ev;
	fd_set set;

	CHECK(epoll_wait(ep, &ev, 1, HOUR_MS) == 1 && ev.events == EPOLLIN);
	CHECK(epoll_pwait2(ep, &ev, 1, &hour, NULL) == 1);
	CHECK(poll(&p, 1, HOUR_MS) == 1 && p.revents == POLLIN);
	CHECK(ppoll(&p, 1, &hour, NULL) == 1 && p.revents == POLLIN);
	FD_ZERO(&set);
	FD_SET(fd, &set);
	CHECK(select(fd + 1, &set, NULL, NULL, &tv) == 1 && FD_ISSET(fd, &set));
	/* What is left of the caller's hour, not of the grace. */
	CHECK(tv.tv_sec > 1800 && tv.tv_sec < 3600);
	CHECK(pselect(fd + 1, &set, NULL, NULL, &hour, NULL) == 1);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int flag;
static int wfd;

static void *writer(void *arg)
{
	(void)arg;
	/* Locked only once the main thread waits on the condition. */
	pthread_mutex_lock(&lock);
	flag = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	CHECK(write(wfd, "x", 1) == 1);
	return NULL;
}

/*
 * Run with a grace far longer than the hang guard: the other thread's
 * signal and byte come within it, however slow the machine, and end the
 * waits normally.
 */
static void case_within_grace(void)
{
	struct timespec dl;
	struct pollfd p;
	pthread_t t;
	int fds[2], r = 0;

	CHECK(pipe(fds) == 0);
	wfd = fds[1];
	pthread_mutex_lock(&lock);
	CHECK(pthread_create(&t, NULL, writer, NULL) == 0);
	dl = ts_at(now(CLOCK_REALTIME) + HOUR_NS);
	while (!flag && r == 0)
		r = pthread_cond_timedwait(&cond, &lock, &dl);
	CHECK(r == 0 && flag);
	pthread_mutex_unlock(&lock);
	p.fd = fds[0];
	p.events = POLLIN;
	CHECK(poll(&p, 1, HOUR_MS) == 1 && p.revents == POLLIN);
	CHECK(pthread_join(t, NULL) == 0);
}

int old_cond_timedwait(void *cond, pthread_mutex_t *m,
		       const struct timespec *abs);
__asm__(".symver old_cond_timedwait, pthread_cond_timedwait@GLIBC_2.2.5");

/*
 * A timed wait on a condition variable nobody signals, as programs write
 * it: waited again after a wakeup. The idle rule wakes it once before its
 * jump (a spurious wakeup, which POSIX allows), never twice.
 */
#define UNTIL_TIMEOUT(r, call)                                  \
	do {                                                    \
		int woken_ = 0;                                 \
		while (((r) = (call)) == 0)                     \
			CHECK(++woken_ <= 1);                   \
	} while (0)

/* Condition variables, semaphores and mutexes: absolute deadlines. */
static void case_deadlines(void)
{
	pthread_condattr_t attr;
	pthread_cond_t mono;
	struct timespec dl;
	void *old_cond = NULL;
	sem_t sem;
	int64_t d;
	int r;

	pthread_mutex_lock(&lock);
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	UNTIL_TIMEOUT(r, pthread_cond_timedwait(&cond, &lock, &dl));
	CHECK(r == ETIMEDOUT);
	CHECK(now(CLOCK_REALTIME) >= d);
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	UNTIL_TIMEOUT(r, old_cond_timedwait(&old_cond, &lock, &dl));
	CHECK(r == ETIMEDOUT);
	CHECK(now(CLOCK_REALTIME) >= d);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&mono, &attr);
	d = now(CLOCK_MONOTONIC) + HOUR_NS;
	dl = ts_at(d);
	UNTIL_TIMEOUT(r, pthread_cond_timedwait(&mono, &lock, &dl));
	CHECK(r == ETIMEDOUT);
	CHECK(now(CLOCK_MONOTONIC) >= d);
	d = now(CLOCK_MONOTONIC) + HOUR_NS;
	dl = ts_at(d);
	UNTIL_TIMEOUT(r, pthread_cond_clockwait(&cond, &lock, CLOCK_MONOTONIC, &dl));
	CHECK(r == ETIMEDOUT);
	CHECK(now(CLOCK_MONOTONIC) >= d);
	/* A deadline already past times out at once, as without warp. */
	CHECK(pthread_cond_timedwait(&cond, &lock, &dl) == ETIMEDOUT);
	/* Invalid ones fail as libc makes them fail. */
	dl.tv_nsec = 1000000000;
	CHECK(pthread_cond_timedwait(&cond, &lock, &dl) == EINVAL);
	CHECK(pthread_cond_clockwait(&cond, &lock, CLOCK_PROCESS_CPUTIME_ID,
				     &dl) == EINVAL);
	pthread_mutex_unlock(&lock);

	CHECK(sem_init(&sem, 0, 0) == 0);
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	CHECK(sem_timedwait(&sem, &dl) == -1 && errno == ETIMEDOUT);
	CHECK(now(CLOCK_REALTIME) >= d);
	d = now(CLOCK_MONOTONIC) + HOUR_NS;
	dl = ts_at(d);
	CHECK(sem_clockwait(&sem, CLOCK_MONOTONIC, &dl) == -1 &&
	      errno == ETIMEDOUT);
	CHECK(now(CLOCK_MONOTONIC) >= d);
	CHECK(sem_post(&sem) == 0);
	d = now(CLOCK_REALTIME);
	dl = ts_at(d + HOUR_NS);
	errno = 0;
	CHECK(sem_timedwait(&sem, &dl) == 0 && errno == 0);
	/* Taken at once: the clock did not jump (it would to d + an hour). */
	CHECK(now(CLOCK_REALTIME) < d + HOUR_NS);
}

static int held_pipe[2], release_pipe[2];
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *holder(void *arg)
{
	char c;

	(void)arg;
	pthread_mutex_lock(&held);
	CHECK(write(held_pipe[1], "x", 1) == 1);
	CHECK(read(release_pipe[0], &c, 1) == 1);
	pthread_mutex_unlock(&held);
	return NULL;
}

static void case_mutex(void)
{
	struct timespec dl;
	pthread_t t;
	int64_t d;
	char c;

	CHECK(pipe(held_pipe) == 0 && pipe(release_pipe) == 0);
	CHECK(pthread_create(&t, NULL, holder, NULL) == 0);
	CHECK(read(held_pipe[0], &c, 1) == 1);
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	CHECK(pthread_mutex_timedlock(&held, &dl) == ETIMEDOUT);
	CHECK(now(CLOCK_REALTIME) >= d);
	d = now(CLOCK_MONOTONIC) + HOUR_NS;
	dl = ts_at(d);
	CHECK(pthread_mutex_clocklock(&held, CLOCK_MONOTONIC, &dl) ==
	      ETIMEDOUT);
	CHECK(now(CLOCK_MONOTONIC) >= d);
	CHECK(write(release_pipe[1], "x", 1) == 1);
	CHECK(pthread_join(t, NULL) == 0);
	dl = ts_at(now(CLOCK_REALTIME) + HOUR_NS);
	CHECK(pthread_mutex_timedlock(&held, &dl) == 0);
}

static pthread_rwlock_t rwl = PTHREAD_RWLOCK_INITIALIZER;

static void *rw_holder(void *arg)
{
	char c;

	(void)arg;
	pthread_rwlock_wrlock(&rwl);
	CHECK(write(held_pipe[1], "x", 1) == 1);
	CHECK(read(release_pipe[0], &c, 1) == 1);
	pthread_rwlock_unlock(&rwl);
	return NULL;
}

/* C11 waits, rwlocks, timed joins, and timerfd's absolute expiry. */
static void case_more(void)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	struct timespec dl;
	uint64_t ticks;
	pthread_t t;
	mtx_t m;
	cnd_t c;
	int64_t d;
	int tfd, r;
	char ch;

	CHECK(mtx_init(&m, mtx_timed) == thrd_success);
	CHECK(cnd_init(&c) == thrd_success);
	CHECK(mtx_lock(&m) == thrd_success);
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	UNTIL_TIMEOUT(r, cnd_timedwait(&c, &m, &dl));
	CHECK(r == thrd_timedout);
	CHECK(now(CLOCK_REALTIME) >= d);
	CHECK(mtx_unlock(&m) == thrd_success);

	CHECK(pipe(held_pipe) == 0 && pipe(release_pipe) == 0);
	CHECK(pthread_create(&t, NULL, rw_holder, NULL) == 0);
	CHECK(read(held_pipe[0], &ch, 1) == 1);
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	CHECK(pthread_rwlock_timedrdlock(&rwl, &dl) == ETIMEDOUT);
	CHECK(now(CLOCK_REALTIME) >= d);
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	CHECK(pthread_rwlock_timedwrlock(&rwl, &dl) == ETIMEDOUT);
	CHECK(now(CLOCK_REALTIME) >= d);
	d = now(CLOCK_MONOTONIC) + HOUR_NS;
	dl = ts_at(d);
	CHECK(pthread_rwlock_clockrdlock(&rwl, CLOCK_MONOTONIC, &dl) ==
	      ETIMEDOUT);
	CHECK(now(CLOCK_MONOTONIC) >= d);
	/* The holder is blocked on the pipe: joins time out too. */
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	CHECK(pthread_timedjoin_np(t, NULL, &dl) == ETIMEDOUT);
	CHECK(now(CLOCK_REALTIME) >= d);
	d = now(CLOCK_MONOTONIC) + HOUR_NS;
	dl = ts_at(d);
	CHECK(pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &dl) ==
	      ETIMEDOUT);
	CHECK(now(CLOCK_MONOTONIC) >= d);
	/* Not a timed join: the holder may take longer than the grace. */
	CHECK(write(release_pipe[1], "x", 1) == 1);
	CHECK(pthread_join(t, NULL) == 0);

	/*
	 * An expiry 1 ms ahead of the warped clock fires 1 ms later, not
	 * hours later (the hang guard would tell).
	 */
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	CHECK(tfd >= 0);
	its.it_value = ts_at(now(CLOCK_MONOTONIC) + 1000000);
	CHECK(timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0);
	CHECK(read(tfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks));
}

/* Every sleep returns, and the clocks say it lasted what was asked. */
static void case_sleeps(void)
{
	struct timespec hour = { 3600, 0 }, rem, dl;
	struct timeval tv = { 3600, 0 };
	int64_t t, d;

	HOUR_LATER(nanosleep(&hour, &rem));
	HOUR_LATER(clock_nanosleep(CLOCK_MONOTONIC, 0, &hour, NULL));
	HOUR_LATER(clock_nanosleep(CLOCK_REALTIME, 0, &hour, NULL));
	HOUR_LATER(thrd_sleep(&hour, NULL));
	HOUR_LATER(sleep(3600));
	HOUR_LATER(poll(NULL, 0, HOUR_MS));
	HOUR_LATER(ppoll(NULL, 0, &hour, NULL));
	HOUR_LATER(select(0, NULL, NULL, NULL, &tv));
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0);
	HOUR_LATER(pselect(0, NULL, NULL, NULL, &hour, NULL));
	t = now(CLOCK_MONOTONIC);
	CHECK(usleep(999999) == 0);
	CHECK(now(CLOCK_MONOTONIC) - t >= 999999000);
	/* Absolute deadlines computed from the warped clocks. */
	d = now(CLOCK_MONOTONIC) + HOUR_NS;
	dl = ts_at(d);
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == 0);
	CHECK(now(CLOCK_MONOTONIC) >= d);
	d = now(CLOCK_REALTIME) + HOUR_NS;
	dl = ts_at(d);
	CHECK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &dl, NULL) == 0);
	CHECK(now(CLOCK_REALTIME) >= d);
	/* Errors stay libc's. */
	hour.tv_nsec = -1;
	CHECK(nanosleep(&hour, NULL) == -1 && errno == EINVAL);
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &hour, NULL) == EINVAL);
}

/* gettimeofday, time and timespec_get agree with clock_gettime. */
static void case_clocks(void)
{
	struct timeval tv;
	struct timespec ts;
	int64_t rt, boot = now(CLOCK_BOOTTIME), tai = now(CLOCK_TAI);

	CHECK(sleep(3600) == 0);
	rt = now(CLOCK_REALTIME);
	CHECK(gettimeofday(&tv, NULL) == 0);
	CHECK((int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000 >
	      rt - 1000);
	CHECK(time(NULL) >= rt / 1000000000);
	CHECK(timespec_get(&ts, TIME_UTC) == TIME_UTC);
	CHECK((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec >= rt);
	/* Not since boot (a machine up an hour passes that): since before. */
	CHECK(now(CLOCK_BOOTTIME) - boot >= HOUR_NS);
	CHECK(now(CLOCK_TAI) - tai >= HOUR_NS);
	/* CPU time is not warped. */
	CHECK(now(CLOCK_PROCESS_CPUTIME_ID) < HOUR_NS);
}

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
	(void)sig;
	signals++;
}

/* A signal pending when the wait starts ends it with EINTR. */
static void case_eintr(void)
{
	struct sigaction sa;
	sigset_t block, open;
	struct timespec hour = { 3600, 0 };
	struct epoll_event ev;
	int fd = idle_fd(), ep = epoll_on(fd);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	fd_set set;
	int64_t t = now(CLOCK_MONOTONIC);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &open);
	sigdelset(&open, SIGUSR1);
	raise(SIGUSR1);
	CHECK(ppoll(&p, 1, &hour, &open) == -1 && errno == EINTR);
	raise(SIGUSR1);
	CHECK(epoll_pwait(ep, &ev, 1, HOUR_MS, &open) == -1 &&
	      errno == EINTR);
	raise(SIGUSR1);
	CHECK(epoll_pwait2(ep, &ev, 1, &hour, &open) == -1 &&
	      errno == EINTR);
	raise(SIGUSR1);
	FD_ZERO(&set);
	FD_SET(fd, &set);
	CHECK(pselect(fd + 1, &set, NULL, NULL, &hour, &open) == -1 &&
	      errno == EINTR);
	CHECK(signals == 4);
	/* Interrupted waits do not move the clock. */
	CHECK(now(CLOCK_MONOTONIC) - t < HOUR_NS / 2);
}

static pthread_t sleeper;
static atomic_int woken;

static void *interrupter(void *arg)
{
	(void)arg;
	while (!atomic_load(&woken)) {
		pthread_kill(sleeper, SIGUSR1);
		sched_yield();
	}
	return NULL;
}

/*
 * Run with FLAKETRAP_SLEEP=off: nanosleep of an hour really sleeps, until
 * a signal cuts it; the clock moves by what was slept, rem says the rest.
 */
static void case_sleep_eintr(void)
{
	struct sigaction sa;
	struct timespec hour = { 3600, 0 }, rem;
	pthread_t t;
	int64_t before, slept;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sleeper = pthread_self();
	before = now(CLOCK_MONOTONIC);
	CHECK(pthread_create(&t, NULL, interrupter, NULL) == 0);
	r = nanosleep(&hour, &rem);
	atomic_store(&woken, 1);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(r == -1 && errno == EINTR);
	/* The kernel's rem counts the timer slack: it may pass the hour. */
	CHECK(rem.tv_sec <= 3600 && rem.tv_sec > 1800);
	slept = HOUR_NS - ((int64_t)rem.tv_sec * 1000000000 + rem.tv_nsec);
	CHECK(now(CLOCK_MONOTONIC) - before >= slept);
}

/*
 * Run with FLAKETRAP_SLEEP=x0.001: an hour sleeps 3.6 s for real, unless a
 * signal cuts it; rem is then the same fraction of the hour, and the clock
 * must have moved by the rest (much more than the real time slept).
 * Either outcome is checked: nothing depends on when the signal comes.
 */
static void case_sleep_eintr_scaled(void)
{
	struct sigaction sa;
	struct timespec hour = { 3600, 0 }, rem;
	pthread_t t;
	int64_t before, left;
	int i, r, cut;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sleeper = pthread_self();
	for (i = 0; i < 3; i++) {
		atomic_store(&woken, 0);
		rem.tv_sec = rem.tv_nsec = 0;
		before = now(CLOCK_MONOTONIC);
		CHECK(pthread_create(&t, NULL, interrupter, NULL) == 0);
		if (i == 0) {
			r = nanosleep(&hour, &rem);
			cut = r == -1 && errno == EINTR;
		} else if (i == 1) {
			r = clock_nanosleep(CLOCK_MONOTONIC, 0, &hour, &rem);
			cut = r == EINTR;
		} else {
			r = thrd_sleep(&hour, &rem);
			cut = r == -1;
		}
		atomic_store(&woken, 1);
		CHECK(pthread_join(t, NULL) == 0);
		CHECK(r == 0 || cut);
		left = cut ? (int64_t)rem.tv_sec * 1000000000 + rem.tv_nsec : 0;
		CHECK(left >= 0 && left <= HOUR_NS);
		CHECK(now(CLOCK_MONOTONIC) - before >= HOUR_NS - left);
	}
}

/* A fork child starts from its parent's clock; each then goes its way. */
static void case_fork(void)
{
	int fds[2], status;
	int64_t parent, child;
	pid_t pid;

	CHECK(sleep(3600) == 0);
	CHECK(pipe(fds) == 0);
	parent = now(CLOCK_MONOTONIC);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* child */
		child = now(CLOCK_MONOTONIC);
		if (child < parent)
			_exit(2);
		CHECK(sleep(7200) == 0);
		child = now(CLOCK_MONOTONIC);
		CHECK(write(fds[1], &child, sizeof(child)) ==
		      (ssize_t)sizeof(child));
		_exit(0);
	}
	/* parent */
	CHECK(read(fds[0], &child, sizeof(child)) == (ssize_t)sizeof(child));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(child >= parent + 2 * HOUR_NS);
	/* The child's jump is not the parent's. */
	CHECK(now(CLOCK_MONOTONIC) < child);
}

/* A new image (exec) starts from the real clock. */
static void case_exec(const char *self)
{
	int fds[2], status;
	int64_t parent, child;
	pid_t pid;

	CHECK(sleep(3600) == 0);
	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* child */
		dup2(fds[1], 1);
		execl(self, self, "now", (char *)NULL);
		_exit(127);
	}
	/* parent */
	close(fds[1]);
	CHECK(read(fds[0], &child, sizeof(child)) == (ssize_t)sizeof(child));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	parent = now(CLOCK_MONOTONIC);
	CHECK(child < parent - HOUR_NS / 2);
}

static void *signaller(void *arg)
{
	(void)arg;
	/* Locked only once the main thread waits on the condition. */
	pthread_mutex_lock(&lock);
	flag = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/*
 * Run with FLAKETRAP_TIMER_GRACE=0. A wait for ever (a deadline or a
 * timeout at TIME_T_MAX) is not warped: it ends by its event, and the
 * clocks, which a jump there would saturate at INT64_MAX ns and stop,
 * go on.
 */
static void case_forever(void)
{
	struct timespec far = { INT64_MAX, 0 };
	int64_t t, rt;
	pthread_t th;
	int r = 0;

	t = now(CLOCK_MONOTONIC);
	CHECK(nanosleep(&far, NULL) == 0);
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &far, NULL) == 0);
	CHECK(now(CLOCK_MONOTONIC) - t < 200 * 365 * 24 * HOUR_NS);
	pthread_mutex_lock(&lock);
	CHECK(pthread_create(&th, NULL, signaller, NULL) == 0);
	while (!flag && r == 0)
		r = pthread_cond_timedwait(&cond, &lock, &far);
	CHECK(r == 0 && flag);
	pthread_mutex_unlock(&lock);
	CHECK(pthread_join(th, NULL) == 0);
	rt = now(CLOCK_REALTIME);
	CHECK(sleep(3600) == 0);
	CHECK(now(CLOCK_REALTIME) - rt >= HOUR_NS);
}

static atomic_llong latest;
static atomic_int warping;

/* Checks each reading against the latest any thread saw before it. */
static void *reader(void *arg)
{
	long i;
	int64_t before, t, seen;

	(void)arg;
	for (i = 0; i < 20000 || atomic_load(&warping); i++) {
		before = atomic_load(&latest);
		t = now(CLOCK_MONOTONIC);
		CHECK(t >= before);
		seen = before;
		while (t > seen &&
		       !atomic_compare_exchange_weak(&latest, &seen, t))
			;
	}
	return NULL;
}

/* 1000 polls of an hour on an idle descriptor, each a jump. */
static void *warper(void *arg)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };
	int i;

	for (i = 0; i < 1000; i++)
		CHECK(poll(&p, 1, HOUR_MS) == 0);
	return NULL;
}

/*
 * Run with FLAKETRAP_TIMER_GRACE=0: each poll jumps the clock at once.
 * Two threads jump (their jumps race), two read.
 */
static void case_threads(void)
{
	int fd = idle_fd();
	pthread_t t[2], w;
	int i;

	atomic_store(&warping, 1);
	for (i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, reader, NULL) == 0);
	CHECK(pthread_create(&w, NULL, warper, &fd) == 0);
	/* An hour each: each jump moves the clock, however late it comes. */
	warper(&fd);
	CHECK(pthread_join(w, NULL) == 0);
	atomic_store(&warping, 0);
	for (i = 0; i < 2; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(atomic_load(&latest) <= now(CLOCK_MONOTONIC));
}

int main(int argc, char **argv)
{
	int64_t t;

	if (argc != 2) {
		fprintf(stderr, "usage: warp CASE\n");
		return 2;
	}
	case_name = argv[1];
	/* Before anything else of the warp object: its first calls. */
	if (!strcmp(case_name, "alarm-first")) {
		struct itimerval off = { { 0, 0 }, { 0, 0 } };

		CHECK(alarm(0) == 0);
		CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
		return 0;
	}
	if (!strcmp(case_name, "now")) {
		t = now(CLOCK_MONOTONIC);
		return write(1, &t, sizeof(t)) != (ssize_t)sizeof(t);
	}
	if (!strcmp(case_name, "descriptors"))
		case_descriptors();
	else if (!strcmp(case_name, "ready"))
		case_ready();
	else if (!strcmp(case_name, "within-grace"))
		case_within_grace();
	else if (!strcmp(case_name, "deadlines"))
		case_deadlines();
	else if (!strcmp(case_name, "more"))
		case_more();
	else if (!strcmp(case_name, "mutex"))
		case_mutex();
	else if (!strcmp(case_name, "sleeps"))
		case_sleeps();
	else if (!strcmp(case_name, "clocks"))
		case_clocks();
	else if (!strcmp(case_name, "eintr"))
		case_eintr();
	else if (!strcmp(case_name, "sleep-eintr"))
		case_sleep_eintr();
	else if (!strcmp(case_name, "sleep-eintr-scaled"))
		case_sleep_eintr_scaled();
	else if (!strcmp(case_name, "fork"))
		case_fork();
	else if (!strcmp(case_name, "exec"))
		case_exec(argv[0]);
	else if (!strcmp(case_name, "forever"))
		case_forever();
	else if (!strcmp(case_name, "threads"))
		case_threads();
	else {
		fprintf(stderr, "warp: unknown case %s\n", case_name);
		return 2;
	}
	return 0;
}
