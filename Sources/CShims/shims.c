#define _GNU_SOURCE
#include <sys/socket.h>
#include "CShims.h"

int cshims_accept4_nonblock(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

#include <sched.h>

int cshims_available_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return (int)sysconf(_SC_NPROCESSORS_ONLN);
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

int cshims_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char *out) {
    unsigned int len = 32;
    return HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, msg_len, out, &len) ? 0 : -1;
}

int cshims_random_bytes(void *out, size_t n) {
    return RAND_bytes((unsigned char *)out, (int)n) == 1 ? 0 : -1;
}

int cshims_sha256(const void *msg, size_t msg_len, unsigned char *out) {
    unsigned int len = 32;
    return EVP_Digest(msg, msg_len, out, &len, EVP_sha256(), NULL) ? 0 : -1;
}
