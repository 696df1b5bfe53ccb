// LD_PRELOAD shim: the wall clock of a process jumps by the seconds written in a file, like
// NTP correcting a drifted clock or a user running `date -s`. The monotonic clock is untouched.
//
//   cc -shared -fPIC -O2 -o clock-step.so clock-step.c -ldl
//   echo 0 > /tmp/offset; AV1D_CLOCK_OFFSET_FILE=/tmp/offset LD_PRELOAD=./clock-step.so av1d run
//   echo 7200 > /tmp/offset   # every process started with it is now two hours ahead
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

// The offset in seconds, read from the file on every call (tests only: simple beats fast).
static long offset(void) {
    const char *path = getenv("AV1D_CLOCK_OFFSET_FILE");
    if (!path) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[32] = {0};
    ssize_t count = read(fd, text, sizeof text - 1);
    close(fd);
    return count > 0 ? atol(text) : 0;
}

static int is_wall(clockid_t clock) {
    return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI;
}

int clock_gettime(clockid_t clock, struct timespec *now) {
    static int (*real)(clockid_t, struct timespec *);
    if (!real) real = dlsym(RTLD_NEXT, "clock_gettime");
    int result = real(clock, now);
    if (result == 0 && is_wall(clock)) now->tv_sec += offset();
    return result;
}

int gettimeofday(struct timeval *now, void *zone) {
    static int (*real)(struct timeval *, void *);
    if (!real) real = dlsym(RTLD_NEXT, "gettimeofday");
    int result = real(now, zone);
    if (result == 0) now->tv_sec += offset();
    return result;
}

time_t time(time_t *out) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (out) *out = now.tv_sec;
    return now.tv_sec;
}
