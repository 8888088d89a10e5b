#ifndef CSHIMS_H
#define CSHIMS_H

// System headers the Swift side needs but Glibc's module map does not export
// (epoll, eventfd, signalfd, timerfd), plus small wrappers where the C API is
// variadic or a macro. No logic lives here.

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

// epoll_event is packed on x86_64; build and read it here so Swift never
// depends on the layout.
static inline int cshims_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

typedef struct {
    uint32_t events;
    uint64_t data;
} cshims_event;

// Waits and unpacks the kernel's packed array into an aligned one.
static inline int cshims_epoll_wait(int epfd, cshims_event *out, int maxevents, int timeout_ms) {
    struct epoll_event evs[256];
    if (maxevents > 256) maxevents = 256;
    int n = epoll_wait(epfd, evs, maxevents, timeout_ms);
    for (int i = 0; i < n; i++) {
        out[i].events = evs[i].events;
        out[i].data = evs[i].data.u64;
    }
    return n;
}

// accept4 needs _GNU_SOURCE, which a module header should not set: shims.c does.
int cshims_accept4_nonblock(int fd);
// socket(2) with SOCK_CLOEXEC added to the type (the flag is a macro Swift sees as an enum case).
static inline int cshims_socket_cloexec(int family, int type, int protocol) {
    return socket(family, type | SOCK_CLOEXEC, protocol);
}
// CPUs this process may run on (sched_getaffinity: honours taskset and cpusets).
int cshims_available_cpus(void);

static inline int cshims_errno(void) { return errno; }

// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread (threads created
// after inherit it) and returns a signalfd for the first two; -1 on error.
static inline int cshims_signalfd_term_int(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    sigdelset(&mask, SIGPIPE);
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

// Reads one signalfd record; returns the signal number, 0 if none, -1 on error.
static inline int cshims_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof(info));
    if (n == (ssize_t)sizeof(info)) return (int)info.ssi_signo;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    return -1;
}

static inline void cshims_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

// HMAC-SHA256 through OpenSSL's libcrypto (webhook signatures). Writes 32 bytes to `out`;
// returns 0 on success.
int cshims_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char *out);
// SHA-256 through libcrypto (client API key hashes). Writes 32 bytes to `out`; 0 on success.
int cshims_sha256(const void *msg, size_t msg_len, unsigned char *out);
// Cryptographically strong random bytes (libcrypto RAND_bytes); 0 on success.
int cshims_random_bytes(void *out, size_t n);

// libcurl wrappers; this header is the module's umbrella, so it must pull them in.
#include "CShimsCurl.h"

#endif
