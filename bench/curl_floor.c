/*
 * bench/curl_floor.c — the leanest libcurl-multi HTTP proxy we could write, as a floor
 * for crm-gateway's proxy path (issue 2): how close to nginx proxy_pass can anything built
 * on libcurl's multi interface get on this machine?
 *
 *   cc -O2 -o curl_floor bench/curl_floor.c -lcurl
 *   curl_floor --port P --upstream http://127.0.0.1:O [--no-park] [--no-noproxy]
 *              [--no-dns-hold] [--no-curlu] [--no-batch] [--no-mallopt] [--max-conns 64]
 *              [--timeouts] [--header-cb]
 *
 * One thread, one epoll loop, one curl multi handle driven by CURLMOPT_SOCKETFUNCTION /
 * CURLMOPT_TIMERFUNCTION and curl_multi_socket_action (no curl_multi_perform, no poll
 * loop). Clients speak HTTP/1.1 keep-alive GET; `GET /proxy/X` fetches upstream + "/X"
 * with a pooled easy handle (only the URL is set per request) and answers
 * `200` + Content-Type: application/json + Content-Length + body in one send(); a curl
 * error answers 502. `GET /healthz` answers "ok". Pipelined requests are kept and served
 * in order, one at a time.
 *
 * Cheapening tricks (each one usable from Swift too; --no-X turns one off to measure it):
 *   park      curl's sockets stay registered with epoll after CURL_POLL_REMOVE; a transfer
 *             on a pooled connection asks for the same interest again and costs no
 *             epoll_ctl. The CLOSESOCKETFUNCTION callback tells us when curl closes one, so
 *             a parked registration never outlives its socket; a parked socket that becomes
 *             readable (origin closed it) is removed from epoll.
 *   noproxy   CURLOPT_PROXY "" and CURLOPT_NOPROXY "": curl does not read proxy variables
 *             from the environment for every transfer.
 *   dns-hold  CURLOPT_DNS_CACHE_TIMEOUT -1: no DNS cache pruning pass per transfer (a real
 *             gateway would set it back to a finite value now and then, e.g. once a second).
 *   curlu     the upstream base URL is parsed once (CURLU); each request gets a copy with
 *             only the path set (CURLOPT_CURLU), so curl does not re-parse the whole URL.
 *   batch     transfers added while handling one epoll batch are started by one
 *             curl_multi_socket_action(CURL_SOCKET_TIMEOUT) after the batch, not one each.
 *   mallopt  M_TRIM_THRESHOLD 64 MiB, M_TOP_PAD 1 MiB: glibc stops trimming the heap (a brk
 *             pair every ~30 requests otherwise).
 *   Off unless asked, to measure what a real gateway adds on top of the floor:
 *   --timeouts   CURLOPT_CONNECTTIMEOUT_MS 5000, TIMEOUT_MS 30000, LOW_SPEED_LIMIT 1 / TIME 30
 *                (set once per handle; curl arms its timers for every transfer);
 *   --header-cb  a CURLOPT_HEADERFUNCTION that keeps the response's header lines.
 *   --h2c        HTTP/2 with prior knowledge (cleartext), transfers multiplexed on one
 *                connection (CURLOPT_PIPEWAIT): prices the upstream protocol.
 *   Always on: level-triggered client sockets registered once (no epoll_ctl per request);
 *   the response head is written into headroom in front of the body buffer, so head+body
 *   go out in one send(); per-transfer body buffers grow geometrically and are reused;
 *   no header callback; no snprintf on the hot path; accept4 with SOCK_NONBLOCK.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536
#define IN_CAP 8192
#define HEADROOM 128

enum { T_LISTEN = 1, T_CLIENT = 2, T_CURL = 3 };

struct transfer;

struct conn {
    int fd;
    size_t in_len;
    char in[IN_CAP];
    char *out;               /* unsent bytes of a response (partial send) */
    size_t out_len, out_off, out_cap;
    struct transfer *busy;   /* upstream transfer in flight for this connection */
    int reading_off;         /* EPOLLIN dropped because `in` is full while busy */
    int want_out;            /* EPOLLOUT registered */
};

struct transfer {
    CURL *easy;
    struct conn *conn;       /* NULL once the client went away */
    char *buf;               /* HEADROOM bytes, then the body */
    size_t len, cap;         /* body length; capacity after the headroom */
    struct transfer *next;   /* free list */
    CURLU *url;              /* curlu mode: this transfer's URL handle */
    char *hdr;               /* --header-cb: the response's header lines */
    size_t hdr_len, hdr_cap;
};

static int ep;
static CURLM *multi;
static struct conn *conns[MAX_FDS];
static uint32_t curl_reg[MAX_FDS];     /* events registered for a curl socket, 0 = none */
static unsigned char curl_parked[MAX_FDS];
static struct transfer *free_list;
static int64_t timer_deadline = -1;    /* ms, monotonic; -1 none; 0 due now */
static char upstream[1024];
static size_t upstream_len;
static CURLU *upstream_url;
static int opt_h2c = 0;
static int opt_park = 1, opt_noproxy = 1, opt_dns_hold = 1, opt_curlu = 1, opt_batch = 1;
static int opt_mallopt = 1;
static int opt_timeouts, opt_header_cb;   /* off: cost of what a real gateway adds (measured) */
static long opt_max_conns = 64;
static int adds_pending;               /* transfers added and not yet started */
static int curl_depth;                 /* inside socket_action + check_done */
static unsigned long n_epoll_ctl, n_transfers, n_new_easy;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ctl(int op, int fd, uint32_t events, uint64_t tag) {
    struct epoll_event ev = { .events = events, .data.u64 = tag };
    n_epoll_ctl++;
    return epoll_ctl(ep, op, fd, &ev);
}

static uint64_t tag(int type, int fd) { return ((uint64_t)type << 32) | (uint32_t)fd; }

/* ------------------------------------------------------------------ curl -> loop */

static int socket_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp) {
    (void)e; (void)userp; (void)socketp;
    if (fd < 0 || fd >= MAX_FDS) return -1;
    if (what == CURL_POLL_REMOVE) {
        if (!curl_reg[fd]) return 0;
        if (opt_park) { curl_parked[fd] = 1; return 0; }
        ctl(EPOLL_CTL_DEL, fd, 0, 0);
        curl_reg[fd] = 0;
        return 0;
    }
    uint32_t want = 0;
    if (what & CURL_POLL_IN) want |= EPOLLIN;
    if (what & CURL_POLL_OUT) want |= EPOLLOUT;
    curl_parked[fd] = 0;
    if (curl_reg[fd] == want) return 0;
    if (ctl(curl_reg[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, want, tag(T_CURL, fd)) != 0) {
        /* stale state (should not happen with the close callback): start over */
        if (ctl(EPOLL_CTL_ADD, fd, want, tag(T_CURL, fd)) != 0 &&
            ctl(EPOLL_CTL_MOD, fd, want, tag(T_CURL, fd)) != 0) return -1;
    }
    curl_reg[fd] = want;
    return 0;
}

/* curl closes one of its sockets: forget its registration (close removes it from epoll). */
static int closesocket_cb(void *clientp, curl_socket_t fd) {
    (void)clientp;
    if (fd >= 0 && fd < MAX_FDS) { curl_reg[fd] = 0; curl_parked[fd] = 0; }
    return close(fd);
}

static int timer_cb(CURLM *m, long ms, void *userp) {
    (void)m; (void)userp;
    if (ms < 0) timer_deadline = -1;
    else if (ms == 0) timer_deadline = 0;
    else timer_deadline = now_ms() + ms;
    return 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp) {
    struct transfer *t = userp;
    size_t n = size * nmemb;
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n) cap *= 2;
        char *b = realloc(t->buf, HEADROOM + cap);
        if (!b) return 0;
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + HEADROOM + t->len, data, n);
    t->len += n;
    return n;
}

/* --header-cb: keeps the header lines (a gateway forwarding headers needs them). */
static size_t header_cb(char *data, size_t size, size_t nmemb, void *userp) {
    struct transfer *t = userp;
    size_t n = size * nmemb;
    if (t->hdr_len + n > t->hdr_cap) {
        size_t cap = t->hdr_cap ? t->hdr_cap : 1024;
        while (cap < t->hdr_len + n) cap *= 2;
        char *b = realloc(t->hdr, cap);
        if (!b) return 0;
        t->hdr = b; t->hdr_cap = cap;
    }
    memcpy(t->hdr + t->hdr_len, data, n);
    t->hdr_len += n;
    return n;
}

/* ------------------------------------------------------------------ client side */

static void conn_close(struct conn *c) {
    if (c->busy) c->busy->conn = NULL;   /* the transfer finishes and is dropped */
    conns[c->fd] = NULL;
    close(c->fd);
    free(c->out);
    free(c);
}

/* Sends bytes; what the socket does not take now is kept and sent on EPOLLOUT. */
static int conn_send(struct conn *c, const char *p, size_t n) {
    if (c->out_len == c->out_off) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
            w = 0;
        }
        p += w; n -= (size_t)w;
        if (n == 0) return 0;
        c->out_len = c->out_off = 0;
    }
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n) cap *= 2;
        char *o = realloc(c->out, cap);
        if (!o) return -1;
        c->out = o; c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    if (!c->want_out) {
        c->want_out = 1;
        ctl(EPOLL_CTL_MOD, c->fd, EPOLLOUT | (c->reading_off ? 0 : EPOLLIN), tag(T_CLIENT, c->fd));
    }
    return 0;
}

static char *put_u(char *p, unsigned long v) {
    char tmp[24]; int i = 0;
    do { tmp[i++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (i) *p++ = tmp[--i];
    return p;
}

static int respond_simple(struct conn *c, int status, const char *reason, const char *ctype,
                          const char *body, size_t blen) {
    char head[256], *p = head;
    p += sprintf(p, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: ", status, reason, ctype);
    p = put_u(p, blen);
    memcpy(p, "\r\n\r\n", 4); p += 4;
    if (conn_send(c, head, (size_t)(p - head)) != 0) return -1;
    return blen ? conn_send(c, body, blen) : 0;
}

static struct transfer *transfer_get(void) {
    struct transfer *t = free_list;
    if (t) { free_list = t->next; return t; }
    t = calloc(1, sizeof *t);
    t->easy = curl_easy_init();
    n_new_easy++;
    t->cap = 4096;
    t->buf = malloc(HEADROOM + t->cap);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    if (opt_h2c) {
        /* HTTP/2 without TLS, and a transfer waits for the one connection to multiplex on. */
        curl_easy_setopt(t->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        curl_easy_setopt(t->easy, CURLOPT_PIPEWAIT, 1L);
    }
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->easy, CURLOPT_CLOSESOCKETFUNCTION, closesocket_cb);
    if (opt_noproxy) {
        curl_easy_setopt(t->easy, CURLOPT_PROXY, "");
        curl_easy_setopt(t->easy, CURLOPT_NOPROXY, "");
    }
    if (opt_dns_hold) curl_easy_setopt(t->easy, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
    if (opt_curlu) t->url = curl_url_dup(upstream_url);
    if (opt_timeouts) {
        curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(t->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(t->easy, CURLOPT_LOW_SPEED_TIME, 30L);
    }
    if (opt_header_cb) {
        curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
    }
    return t;
}

static int start_proxy(struct conn *c, const char *rest, size_t rlen) {
    struct transfer *t = transfer_get();
    if (opt_curlu) {
        char path[2048];
        if (rlen + 2 > sizeof path) return -1;
        path[0] = '/';
        memcpy(path + 1, rest, rlen);
        path[rlen + 1] = 0;
        /* the whole target: a query stays in the path (CURLU_PATH_AS_IS-like, no re-parse) */
        char *q = memchr(path, '?', rlen + 1);
        if (q) {
            *q = 0;
            curl_url_set(t->url, CURLUPART_QUERY, q + 1, 0);
        } else {
            curl_url_set(t->url, CURLUPART_QUERY, NULL, 0);
        }
        curl_url_set(t->url, CURLUPART_PATH, path, 0);
        curl_easy_setopt(t->easy, CURLOPT_CURLU, t->url);
    } else {
        char url[3072];
        if (upstream_len + rlen + 2 > sizeof url) return -1;
        memcpy(url, upstream, upstream_len);
        url[upstream_len] = '/';
        memcpy(url + upstream_len + 1, rest, rlen);
        url[upstream_len + 1 + rlen] = 0;
        curl_easy_setopt(t->easy, CURLOPT_URL, url);
    }
    t->conn = c;
    t->len = 0;
    t->hdr_len = 0;
    c->busy = t;
    n_transfers++;
    curl_multi_add_handle(multi, t->easy);
    /* Started by the caller's caller: never from in here, where a transfer finishing at once
     * would re-enter conn_process (or free the connection) under our feet, nor from inside
     * check_done, where completions starting transfers would recurse for as long as answers
     * keep coming. */
    adds_pending = 1;
    return 0;
}

/* Serves complete requests from the input buffer while no transfer is in flight. */
static int conn_process(struct conn *c) {
    while (!c->busy && c->in_len) {
        char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        if (!end) {
            if (c->in_len == IN_CAP) {
                respond_simple(c, 431, "Request Header Fields Too Large", "text/plain", "", 0);
                return -1;
            }
            return 0;
        }
        size_t used = (size_t)(end - c->in) + 4;
        char *sp1 = memchr(c->in, ' ', (size_t)(end - c->in));
        char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
        int rc;
        if (!sp1 || !sp2) {
            respond_simple(c, 400, "Bad Request", "text/plain", "", 0);
            return -1;
        }
        const char *path = sp1 + 1;
        size_t plen = (size_t)(sp2 - path);
        if (sp1 - c->in != 3 || memcmp(c->in, "GET", 3) != 0) {
            rc = respond_simple(c, 405, "Method Not Allowed", "text/plain", "", 0);
        } else if (plen >= 7 && memcmp(path, "/proxy/", 7) == 0) {
            rc = start_proxy(c, path + 7, plen - 7);
            if (rc != 0) rc = respond_simple(c, 414, "URI Too Long", "text/plain", "", 0);
        } else if (plen == 8 && memcmp(path, "/healthz", 8) == 0) {
            rc = respond_simple(c, 200, "OK", "text/plain", "ok\n", 3);
        } else {
            rc = respond_simple(c, 404, "Not Found", "text/plain", "", 0);
        }
        c->in_len -= used;
        if (c->in_len) memmove(c->in, c->in + used, c->in_len);
        if (rc != 0) return -1;
    }
    return 0;
}

static void client_event(struct conn *c, uint32_t events) {
    if (events & EPOLLOUT) {
        while (c->out_off < c->out_len) {
            ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                conn_close(c); return;
            }
            c->out_off += (size_t)w;
        }
        if (c->out_off == c->out_len) {
            c->out_off = c->out_len = 0;
            c->want_out = 0;
            ctl(EPOLL_CTL_MOD, c->fd, c->reading_off ? 0 : EPOLLIN, tag(T_CLIENT, c->fd));
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (c->in_len == IN_CAP) {
            /* full and waiting for the upstream: stop reading until it answers */
            if (!c->reading_off) {
                c->reading_off = 1;
                ctl(EPOLL_CTL_MOD, c->fd, c->want_out ? EPOLLOUT : 0, tag(T_CLIENT, c->fd));
            }
            return;
        }
        ssize_t r = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
        if (r <= 0) {
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
            conn_close(c); return;
        }
        c->in_len += (size_t)r;
        if (conn_process(c) != 0) conn_close(c);
    }
}

static void accept_all(int lfd) {
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        if (fd >= MAX_FDS) { close(fd); continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        c->fd = fd;
        conns[fd] = c;
        ctl(EPOLL_CTL_ADD, fd, EPOLLIN, tag(T_CLIENT, fd));
    }
}

/* ------------------------------------------------------------------ completions */

static void finish(struct transfer *t, CURLcode code) {
    struct conn *c = t->conn;
    t->conn = NULL;
    if (c) {
        c->busy = NULL;
        int rc;
        if (code == CURLE_OK) {
            long status = 0;
            curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
            /* head written backwards into the headroom, right before the body */
            char head[HEADROOM], *p = head;
            if (status == 200) {
                memcpy(p, "HTTP/1.1 200 OK\r\n", 17); p += 17;
            } else {
                memcpy(p, "HTTP/1.1 ", 9); p += 9;
                p = put_u(p, (unsigned long)(status > 0 && status < 1000 ? status : 502));
                memcpy(p, " Upstream\r\n", 11); p += 11;
            }
            static const char ct[] = "Content-Type: application/json\r\nContent-Length: ";
            memcpy(p, ct, sizeof ct - 1); p += sizeof ct - 1;
            p = put_u(p, t->len);
            memcpy(p, "\r\n\r\n", 4); p += 4;
            size_t hl = (size_t)(p - head);
            char *start = t->buf + HEADROOM - hl;
            memcpy(start, head, hl);
            rc = conn_send(c, start, hl + t->len);
        } else {
            static const char bad[] = "{\"error\":\"upstream\"}";
            rc = respond_simple(c, 502, "Bad Gateway", "application/json", bad, sizeof bad - 1);
        }
        if (rc == 0 && c->reading_off) {
            c->reading_off = 0;
            ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN | (c->want_out ? EPOLLOUT : 0), tag(T_CLIENT, c->fd));
        }
        if (rc != 0 || conn_process(c) != 0) conn_close(c);
    }
}

static void check_done(void) {
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL *e = m->easy_handle;
        CURLcode code = m->data.result;
        struct transfer *t;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(multi, e);
        finish(t, code);
        t->next = free_list;
        free_list = t;
    }
}

static void run_timeout(void);

static void socket_action(curl_socket_t fd, int mask) {
    int running;
    curl_depth++;
    curl_multi_socket_action(multi, fd, mask, &running);
    check_done();
    curl_depth--;
    /* without batching, transfers that completions started are started now, one call each */
    if (!opt_batch && curl_depth == 0) while (adds_pending) run_timeout();
}

static void run_timeout(void) {
    timer_deadline = -1;
    adds_pending = 0;
    socket_action(CURL_SOCKET_TIMEOUT, 0);
}

static void curl_event(int fd, uint32_t events) {
    if (curl_parked[fd]) {
        /* curl does not watch it now: the origin closed the idle connection or sent junk */
        ctl(EPOLL_CTL_DEL, fd, 0, 0);
        curl_reg[fd] = 0;
        curl_parked[fd] = 0;
        return;
    }
    int mask = 0;
    if (events & (EPOLLIN | EPOLLHUP)) mask |= CURL_CSELECT_IN;
    if (events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
    if (events & EPOLLERR) mask |= CURL_CSELECT_ERR;
    socket_action(fd, mask);
}

/* ------------------------------------------------------------------ main */

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

static void usage(void) {
    fprintf(stderr, "usage: curl_floor --port P --upstream http://HOST:PORT [--no-park] [--no-noproxy]"
                    " [--no-dns-hold] [--no-curlu] [--no-batch] [--no-mallopt] [--timeouts] [--header-cb] [--max-conns N]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--upstream") && i + 1 < argc) {
            const char *u = argv[++i];
            upstream_len = strlen(u);
            while (upstream_len && u[upstream_len - 1] == '/') upstream_len--;
            if (upstream_len >= sizeof upstream) usage();
            memcpy(upstream, u, upstream_len);
            upstream[upstream_len] = 0;
        }
        else if (!strcmp(argv[i], "--max-conns") && i + 1 < argc) opt_max_conns = atol(argv[++i]);
        else if (!strcmp(argv[i], "--h2c")) opt_h2c = 1;
        else if (!strcmp(argv[i], "--no-park")) opt_park = 0;
        else if (!strcmp(argv[i], "--no-noproxy")) opt_noproxy = 0;
        else if (!strcmp(argv[i], "--no-dns-hold")) opt_dns_hold = 0;
        else if (!strcmp(argv[i], "--no-curlu")) opt_curlu = 0;
        else if (!strcmp(argv[i], "--no-batch")) opt_batch = 0;
        else if (!strcmp(argv[i], "--no-mallopt")) opt_mallopt = 0;
        else if (!strcmp(argv[i], "--timeouts")) opt_timeouts = 1;
        else if (!strcmp(argv[i], "--header-cb")) opt_header_cb = 1;
        else usage();
    }
    if (!port || !upstream_len) usage();

    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_term };
    sigaction(SIGTERM, &sa, NULL);   /* no SA_RESTART: epoll_wait returns EINTR */
    sigaction(SIGINT, &sa, NULL);

    if (opt_mallopt) {
        /* glibc gives the heap top back (brk) whenever >128 KiB is free there: with curl's
         * ~34 malloc/free per transfer that is a brk pair every ~30 requests */
        mallopt(M_TRIM_THRESHOLD, 64 << 20);
        mallopt(M_TOP_PAD, 1 << 20);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) { fprintf(stderr, "curl_global_init failed\n"); return 1; }
    if (opt_curlu) {
        upstream_url = curl_url();
        if (curl_url_set(upstream_url, CURLUPART_URL, upstream, 0) != CURLUE_OK) {
            fprintf(stderr, "bad upstream URL %s\n", upstream); return 1;
        }
    }
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, opt_max_conns);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, opt_max_conns);

    ep = epoll_create1(EPOLL_CLOEXEC);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 4096) != 0) {
        perror("bind/listen"); return 1;
    }
    ctl(EPOLL_CTL_ADD, lfd, EPOLLIN, tag(T_LISTEN, lfd));
    fprintf(stderr, "curl_floor: 127.0.0.1:%d -> %s (park %d, noproxy %d, dns-hold %d, curlu %d, batch %d, timeouts %d, header-cb %d) %s\n",
            port, upstream, opt_park, opt_noproxy, opt_dns_hold, opt_curlu, opt_batch, opt_timeouts, opt_header_cb,
            curl_version());

    struct epoll_event evs[256];
    while (!stop) {
        int timeout = -1;
        if (timer_deadline == 0) timeout = 0;
        else if (timer_deadline > 0) {
            int64_t d = timer_deadline - now_ms();
            timeout = d < 0 ? 0 : (int)d;
        }
        int n = epoll_wait(ep, evs, 256, timeout);
        if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            int type = (int)(evs[i].data.u64 >> 32), fd = (int)(uint32_t)evs[i].data.u64;
            if (type == T_CLIENT) {
                if (conns[fd]) client_event(conns[fd], evs[i].events);
                if (!opt_batch && adds_pending) run_timeout();
            }
            else if (type == T_CURL) { if (curl_reg[fd]) curl_event(fd, evs[i].events); }
            else accept_all(lfd);
        }
        /* batch: every transfer added while handling these events (and by the completions
         * this call reports) starts in one call */
        while (adds_pending || timer_deadline == 0 || (timer_deadline > 0 && now_ms() >= timer_deadline))
            run_timeout();
    }
    fprintf(stderr, "curl_floor: %lu transfers, %lu easy handles, %lu epoll_ctl\n", n_transfers, n_new_easy, n_epoll_ctl);
    return 0;
}
