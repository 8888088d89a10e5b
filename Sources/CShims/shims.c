#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/random.h>
#include "CShims.h"

int cshims_accept4_nonblock(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

long cshims_getrandom(void *buf, unsigned long len) {
    return (long)getrandom(buf, len, 0);
}
