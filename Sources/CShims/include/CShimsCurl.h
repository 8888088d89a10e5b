#ifndef CSHIMS_CURL_H
#define CSHIMS_CURL_H

// Typed, non-variadic doors into libcurl's variadic setopt/getinfo calls (Swift cannot
// call C variadics), the callback types Swift implements, and the few macro constants
// the importer does not bring across. No logic lives here.

#include <curl/curl.h>
#include <stdint.h>

// MARK: callback types (implemented in Swift as @convention(c) closures)

typedef size_t (*cshims_curl_data_callback)(char *data, size_t size, size_t nitems, void *userdata);
typedef int (*cshims_curl_socket_callback)(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
typedef int (*cshims_curl_timer_callback)(CURLM *multi, long timeout_ms, void *userp);
typedef curl_socket_t (*cshims_curl_opensocket_callback)(void *clientp, curlsocktype purpose, struct curl_sockaddr *address);
typedef int (*cshims_curl_closesocket_callback)(void *clientp, curl_socket_t item);

// MARK: curl_easy_setopt

static inline CURLcode cshims_curl_easy_setopt_long(CURL *h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode cshims_curl_easy_setopt_string(CURL *h, CURLoption o, const char *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode cshims_curl_easy_setopt_pointer(CURL *h, CURLoption o, void *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode cshims_curl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode cshims_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode cshims_curl_easy_setopt_opensocket_callback(CURL *h, CURLoption o, cshims_curl_opensocket_callback v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode cshims_curl_easy_setopt_closesocket_callback(CURL *h, CURLoption o, cshims_curl_closesocket_callback v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode cshims_curl_easy_setopt_curlu(CURL *h, CURLoption o, CURLU *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode cshims_curl_easy_setopt_data_callback(CURL *h, CURLoption o, cshims_curl_data_callback v) {
    return curl_easy_setopt(h, o, v);
}

// MARK: curl_multi_setopt

static inline CURLMcode cshims_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) {
    return curl_multi_setopt(m, o, v);
}
static inline CURLMcode cshims_curl_multi_setopt_pointer(CURLM *m, CURLMoption o, void *v) {
    return curl_multi_setopt(m, o, v);
}
static inline CURLMcode cshims_curl_multi_setopt_socket_callback(CURLM *m, CURLMoption o, cshims_curl_socket_callback v) {
    return curl_multi_setopt(m, o, v);
}
static inline CURLMcode cshims_curl_multi_setopt_timer_callback(CURLM *m, CURLMoption o, cshims_curl_timer_callback v) {
    return curl_multi_setopt(m, o, v);
}

// MARK: curl_easy_getinfo

static inline CURLcode cshims_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *out) {
    return curl_easy_getinfo(h, i, out);
}
static inline CURLcode cshims_curl_easy_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *out) {
    return curl_easy_getinfo(h, i, out);
}

// MARK: macro constants the Swift importer leaves out (compound or cast expressions)

static inline long cshims_curl_global_default(void) { return CURL_GLOBAL_DEFAULT; }
static inline curl_socket_t cshims_curl_socket_timeout(void) { return CURL_SOCKET_TIMEOUT; }
static inline long cshims_curlpipe_multiplex(void) { return CURLPIPE_MULTIPLEX; }
static inline int cshims_curl_error_size(void) { return CURL_ERROR_SIZE; }

#endif
