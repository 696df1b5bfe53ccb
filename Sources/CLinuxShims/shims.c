#include "CLinuxShims.h"
#include <sched.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/vfs.h>

// A dynamically sized set: machines with more than CPU_SETSIZE (1024) CPUs exist.
enum { AV1D_MAX_CPUS = 8192 };

int av1d_set_thread_affinity(pid_t tid, const int *cpus, int count) {
    cpu_set_t *set = CPU_ALLOC(AV1D_MAX_CPUS);
    if (set == NULL) { errno = ENOMEM; return -1; }
    size_t size = CPU_ALLOC_SIZE(AV1D_MAX_CPUS);
    CPU_ZERO_S(size, set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= AV1D_MAX_CPUS) { CPU_FREE(set); errno = EINVAL; return -1; }
        CPU_SET_S(cpus[i], size, set);
    }
    int rc = sched_setaffinity(tid, size, set);
    int saved = errno;
    CPU_FREE(set);
    errno = saved;
    return rc;
}

int av1d_get_thread_affinity(pid_t tid, int *out, int capacity) {
    cpu_set_t *set = CPU_ALLOC(AV1D_MAX_CPUS);
    if (set == NULL) { errno = ENOMEM; return -1; }
    size_t size = CPU_ALLOC_SIZE(AV1D_MAX_CPUS);
    CPU_ZERO_S(size, set);
    if (sched_getaffinity(tid, size, set) != 0) { int saved = errno; CPU_FREE(set); errno = saved; return -1; }
    int n = 0;
    for (int cpu = 0; cpu < AV1D_MAX_CPUS && n < capacity; cpu++) {
        if (CPU_ISSET_S(cpu, size, set)) out[n++] = cpu;
    }
    CPU_FREE(set);
    return n;
}

int av1d_accept_cloexec(int fd) {
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}

long av1d_filesystem_magic(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}
