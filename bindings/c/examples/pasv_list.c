/*
 * pasv_list: list a directory over FTP with plain POSIX sockets, driving libftpkit's sans-IO client.
 *
 *   pasv_list [--pasv | --active] [--trace] HOST PORT USER PASS [PATH]
 *
 * Logs in, opens a passive data connection (EPSV, falling back to PASV when the server refuses it; --pasv: PASV
 * only; --active: the server connects to a listener of ours, EPRT/PORT, for comparison), sends LIST [PATH], prints
 * the listing's lines on stdout (CRLF as LF), and QUITs. Exit 0 on success; on a
 * failure it prints the typed error (ftpkit_result_name, the reply code, the message) on stderr and exits 1 (2:
 * usage, 3: the control connection could not be made). --trace prints the control exchange on stderr, ftp -d style.
 *
 * Every protocol decision (what a login is, EPSV or PASV, which reply ends a call, where to connect, what a timeout
 * means) is the library's: this program only moves bytes between sockets and the ftpkit_client, and reads the
 * clock. The loop is the one in the header: start a call, drain ftpkit_client_poll_action until DONE, performing
 * each action; when there is none, wait on the control connection until ftpkit_client_poll_timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ftpkit.h"

static int trace = 0;

/* The monotonic clock in milliseconds: the `now_ms` of every timed call. */
static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* sockaddr <-> ftpkit_hostport (family 4/6, address bytes in network order, port in host order). */
static int to_hostport(const struct sockaddr_storage *ss, ftpkit_hostport *hp) {
    memset(hp, 0, sizeof *hp);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        hp->family = 4;
        memcpy(hp->addr, &s4->sin_addr, 4);
        hp->port = ntohs(s4->sin_port);
        return 0;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        hp->family = 6;
        memcpy(hp->addr, &s6->sin6_addr, 16);
        hp->port = ntohs(s6->sin6_port);
        return 0;
    }
    return -1;
}

static socklen_t from_hostport(const ftpkit_hostport *hp, struct sockaddr_storage *ss) {
    memset(ss, 0, sizeof *ss);
    if (hp->family == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, hp->addr, 4);
        s4->sin_port = htons(hp->port);
        return sizeof *s4;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    memcpy(&s6->sin6_addr, hp->addr, 16);
    s6->sin6_port = htons(hp->port);
    return sizeof *s6;
}

static void print_hostport(FILE *f, const ftpkit_hostport *hp) {
    char ip[INET6_ADDRSTRLEN] = "?";
    inet_ntop(hp->family == 4 ? AF_INET : AF_INET6, hp->addr, ip, sizeof ip);
    fprintf(f, hp->family == 6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)hp->port);
}

/* Connects to `addr` within `timeout_ms` (non-blocking connect + poll). Returns the socket or -1 (errno set). */
static int connect_within(const struct sockaddr_storage *addr, socklen_t len, uint64_t timeout_ms) {
    int fd = socket(addr->ss_family, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, (const struct sockaddr *)addr, len) != 0) {
        if (errno != EINPROGRESS) goto fail;
        struct pollfd p = {fd, POLLOUT, 0};
        int r = poll(&p, 1, timeout_ms > 600000 ? 600000 : (int)timeout_ms);
        if (r == 0) errno = ETIMEDOUT;
        if (r <= 0) goto fail;
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) goto fail;
        if (err != 0) {
            errno = err;
            goto fail;
        }
    }
    fcntl(fd, F_SETFL, flags);
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* The session: the control socket, the data socket and listener the library asked for, and the client. */
typedef struct {
    int ctrl;
    int data;
    int listener;
    ftpkit_client *client;
} session;

/* What a call ended with (copied from the DONE action, whose bytes are lent until the next poll). */
typedef struct {
    ftpkit_result result;
    uint32_t detail;
    uint16_t code;
    char text[512];
} outcome;

static void close_data(session *s, int reset) {
    if (s->data < 0) return;
    if (reset) {
        struct linger l = {1, 0};
        setsockopt(s->data, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(s->data);
    s->data = -1;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Active mode: binds a listener on the IP the library names (port 0) and reports its address. */
static void listen_on(session *s, const ftpkit_hostport *ip) {
    struct sockaddr_storage at;
    socklen_t len = from_hostport(ip, &at), al = sizeof at;
    ftpkit_hostport bound;
    int fd = socket(at.ss_family, SOCK_STREAM, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&at, len) == 0 && listen(fd, 4) == 0 &&
        getsockname(fd, (struct sockaddr *)&at, &al) == 0 && to_hostport(&at, &bound) == 0) {
        s->listener = fd;
        ftpkit_client_handle_listening(s->client, now_ms(), &bound);
        return;
    }
    const char *why = strerror(errno);
    if (fd >= 0) close(fd);
    ftpkit_client_handle_listen_failed(s->client, now_ms(), (const uint8_t *)why, strlen(why));
}

/* Active mode: accepts a connection on the listener; the library says whether it is the server's data connection. */
static void accept_data(session *s) {
    struct sockaddr_storage from, local;
    socklen_t fl = sizeof from, ll = sizeof local;
    int fd = accept(s->listener, (struct sockaddr *)&from, &fl);
    ftpkit_hostport from_hp, local_hp;
    if (fd < 0 || to_hostport(&from, &from_hp) != 0) {
        if (fd >= 0) close(fd);
        return;
    }
    int known = getsockname(fd, (struct sockaddr *)&local, &ll) == 0 && to_hostport(&local, &local_hp) == 0;
    bool use = false;
    ftpkit_client_handle_accepted(s->client, now_ms(), &from_hp, known ? &local_hp : NULL, &use);
    if (use) s->data = fd;
    else close(fd);
}

/* Waits on the control connection (and the listener while the library wants the server's connection) until the
 * client's deadline, and reports what came. */
static void wait_control(session *s) {
    bool has = false;
    uint64_t at = 0;
    ftpkit_client_poll_timeout(s->client, &has, &at);
    uint64_t now = now_ms();
    int wait = has ? (at > now ? (int)(at - now > 600000 ? 600000 : at - now) : 0) : 600000;
    struct pollfd p[2] = {{s->ctrl, POLLIN, 0}, {s->listener, POLLIN, 0}};
    int accepting = s->listener >= 0 && ftpkit_client_wants_accept(s->client);
    int r = poll(p, accepting ? 2 : 1, wait);
    if (r < 0 && errno == EINTR) return;
    if (r == 0) {
        ftpkit_client_handle_timeout(s->client, now_ms());
        return;
    }
    if (accepting && (p[1].revents & POLLIN)) {
        accept_data(s);
        return;
    }
    uint8_t buf[4096];
    ssize_t n = r > 0 ? read(s->ctrl, buf, sizeof buf) : -1;
    if (n > 0) ftpkit_client_handle_control(s->client, now_ms(), buf, (size_t)n);
    else if (n < 0 && errno == EINTR) return;
    else ftpkit_client_handle_control_closed(s->client, now_ms()); /* EOF or a read error: the connection is over */
}

/* Runs the call in progress to its DONE, performing every action. */
static void run_call(session *s, outcome *out) {
    for (;;) {
        ftpkit_action a;
        ftpkit_result r = ftpkit_client_poll_action(s->client, &a);
        if (r != FTPKIT_OK) {
            out->result = r;
            out->detail = 0;
            out->code = 0;
            snprintf(out->text, sizeof out->text, "ftpkit_client_poll_action failed");
            return;
        }
        switch (a.kind) {
        case FTPKIT_ACTION_NONE: wait_control(s); break;
        case FTPKIT_ACTION_SEND:
            if (write_all(s->ctrl, a.bytes, a.len) != 0) ftpkit_client_close(s->client, now_ms());
            break;
        case FTPKIT_ACTION_CONNECT: {
            struct sockaddr_storage to;
            socklen_t len = from_hostport(&a.addr, &to);
            s->data = connect_within(&to, len, a.timeout_ms);
            if (s->data < 0) {
                const char *why = strerror(errno);
                ftpkit_client_handle_connect_failed(s->client, now_ms(), (const uint8_t *)why, strlen(why));
                break;
            }
            struct sockaddr_storage l, p;
            socklen_t ll = sizeof l, pl = sizeof p;
            ftpkit_hostport local, remote;
            int known = getsockname(s->data, (struct sockaddr *)&l, &ll) == 0 && to_hostport(&l, &local) == 0 &&
                        getpeername(s->data, (struct sockaddr *)&p, &pl) == 0 && to_hostport(&p, &remote) == 0;
            ftpkit_client_handle_connected(s->client, now_ms(), known ? &local : NULL, known ? &remote : NULL);
            break;
        }
        case FTPKIT_ACTION_LISTEN: listen_on(s, &a.addr); break;
        case FTPKIT_ACTION_STOP_LISTENING:
            if (s->listener >= 0) close(s->listener);
            s->listener = -1;
            break;
        case FTPKIT_ACTION_CLOSE_DATA: close_data(s, a.reset); break;
        case FTPKIT_ACTION_TRACE:
            if (!trace) break;
            if (a.detail == FTPKIT_TRACE_SENT) fprintf(stderr, "---> %.*s\n", (int)a.len, (const char *)a.bytes);
            else if (a.detail == FTPKIT_TRACE_RECEIVED) fprintf(stderr, "%.*s\n", (int)a.len, (const char *)a.bytes);
            else if (a.detail == FTPKIT_TRACE_DATA) {
                fprintf(stderr, "data connection: ");
                print_hostport(stderr, &a.addr);
                fprintf(stderr, " -> ");
                print_hostport(stderr, &a.peer);
                fprintf(stderr, "\n");
            } else fprintf(stderr, "%.*s\n", (int)a.len, (const char *)a.bytes);
            break;
        case FTPKIT_ACTION_LOG: /* debug-level lines (an event of another request passed over) only with --trace */
            if (a.detail == FTPKIT_LOG_INFO || trace)
                fprintf(stderr, "pasv_list: %.*s\n", (int)a.len, (const char *)a.bytes);
            break;
        case FTPKIT_ACTION_DONE:
            out->result = a.result;
            out->detail = a.detail;
            out->code = a.code;
            snprintf(out->text, sizeof out->text, "%.*s", (int)(a.len > 400 ? 400 : a.len), (const char *)a.bytes);
            return;
        default: break;
        }
    }
}

/* Reports a failed call (the typed error) and returns 0, or returns 1 when the call ended as `want`. */
static int ended(const char *what, const outcome *o, uint32_t want) {
    if (o->result == FTPKIT_OK && o->detail == want) return 1;
    if (o->result == FTPKIT_OK)
        fprintf(stderr, "pasv_list: %s: unexpected outcome %u: %s\n", what, (unsigned)o->detail, o->text);
    else
        fprintf(stderr, "pasv_list: %s failed: %s (reply %u): %s\n", what, ftpkit_result_name(o->result),
                (unsigned)o->code, o->text);
    return 0;
}

/* Copies the data connection to stdout until the server closes it, CRLF line ends as LF. */
static int copy_listing(session *s) {
    uint8_t buf[65536];
    int cr = 0;
    for (;;) {
        struct pollfd p = {s->data, POLLIN, 0};
        int r = poll(&p, 1, 30000);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) {
            fprintf(stderr, "pasv_list: no data for 30 s\n");
            return -1;
        }
        ssize_t n = read(s->data, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            fprintf(stderr, "pasv_list: reading the data connection: %s\n", strerror(errno));
            return -1;
        }
        if (n == 0) break;
        for (ssize_t i = 0; i < n; i++) {
            if (cr && buf[i] != '\n') putchar('\r');
            cr = buf[i] == '\r';
            if (!cr) putchar(buf[i]);
        }
    }
    if (cr) putchar('\r');
    return fflush(stdout) == 0 ? 0 : -1;
}

static int usage(void) {
    fprintf(stderr, "usage: pasv_list [--pasv | --active] [--trace] HOST PORT USER PASS [PATH]\n");
    return 2;
}

int main(int argc, char **argv) {
    int pasv_only = 0, active = 0, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--pasv") == 0) pasv_only = 1;
        else if (strcmp(argv[i], "--active") == 0) active = 1;
        else if (strcmp(argv[i], "--trace") == 0) trace = 1;
        else return usage();
    }
    if ((argc - i != 4 && argc - i != 5) || (pasv_only && active)) return usage();
    const char *host = argv[i], *port = argv[i + 1], *user = argv[i + 2], *pass = argv[i + 3];
    const char *path = argc - i == 5 ? argv[i + 4] : NULL;

    /* The control connection: the only socket the program opens by itself. */
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "pasv_list: %s: %s\n", host, gai_strerror(gai));
        return 3;
    }
    session s = {-1, -1, -1, NULL};
    struct sockaddr_storage peer;
    for (struct addrinfo *ai = res; ai != NULL && s.ctrl < 0; ai = ai->ai_next) {
        memset(&peer, 0, sizeof peer);
        memcpy(&peer, ai->ai_addr, ai->ai_addrlen);
        s.ctrl = connect_within(&peer, ai->ai_addrlen, 10000);
    }
    freeaddrinfo(res);
    if (s.ctrl < 0) {
        fprintf(stderr, "pasv_list: connecting to %s port %s: %s\n", host, port, strerror(errno));
        return 3;
    }
    int one = 1;
    setsockopt(s.ctrl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_storage local;
    socklen_t ll = sizeof local;
    ftpkit_hostport server_hp, local_hp;
    if (getsockname(s.ctrl, (struct sockaddr *)&local, &ll) != 0 || to_hostport(&local, &local_hp) != 0 ||
        to_hostport(&peer, &server_hp) != 0) {
        fprintf(stderr, "pasv_list: the control connection's addresses: %s\n", strerror(errno));
        close(s.ctrl);
        return 3;
    }

    ftpkit_client_config *cfg = NULL;
    ftpkit_result r = ftpkit_client_config_new(&server_hp, &local_hp, &cfg);
    uint32_t flags = FTPKIT_CLIENT_DEFAULT_FLAGS | (trace ? FTPKIT_CLIENT_TRACE : 0);
    if (pasv_only) flags &= ~(uint32_t)FTPKIT_CLIENT_EXTENDED_PASSIVE;
    if (r == FTPKIT_OK) r = ftpkit_client_config_set_flags(cfg, flags);
    if (r == FTPKIT_OK) r = ftpkit_client_config_set_timeouts(cfg, 30000, 30000);
    if (r == FTPKIT_OK && active) r = ftpkit_client_config_set_mode(cfg, FTPKIT_CLIENT_ACTIVE);
    if (r == FTPKIT_OK) r = ftpkit_client_new(cfg, now_ms(), &s.client);
    ftpkit_client_config_free(cfg);
    if (r != FTPKIT_OK) {
        fprintf(stderr, "pasv_list: %s\n", ftpkit_result_name(r));
        close(s.ctrl);
        return 1;
    }

    int ok = 0;
    outcome o;
    run_call(&s, &o); /* the greeting */
    if (!ended("greeting", &o, FTPKIT_DONE_GREETING)) goto out;
    r = ftpkit_client_login(s.client, now_ms(), (const uint8_t *)user, strlen(user), (const uint8_t *)pass,
                            strlen(pass), NULL, 0);
    if (r != FTPKIT_OK) goto api_error;
    run_call(&s, &o);
    if (!ended("login", &o, FTPKIT_DONE_LOGGED_IN)) goto out;
    r = ftpkit_client_open(s.client, now_ms(), FTPKIT_TRANSFER_LIST, (const uint8_t *)path, path ? strlen(path) : 0,
                           0);
    if (r != FTPKIT_OK) goto api_error;
    run_call(&s, &o);
    if (!ended("LIST", &o, FTPKIT_DONE_DATA_READY)) goto out;
    int copied = copy_listing(&s);
    close_data(&s, copied != 0);
    r = copied == 0 ? ftpkit_client_finish(s.client, now_ms(), FTPKIT_DATA_EOF) : ftpkit_client_abort(s.client, now_ms());
    if (r != FTPKIT_OK) goto api_error;
    run_call(&s, &o);
    if (!ended("LIST", &o, copied == 0 ? FTPKIT_DONE_TRANSFERRED : FTPKIT_DONE_ABORTED) || copied != 0) goto out;
    r = ftpkit_client_start(s.client, now_ms(), FTPKIT_CALL_QUIT, NULL, 0);
    if (r != FTPKIT_OK) goto api_error;
    run_call(&s, &o);
    ok = ended("QUIT", &o, FTPKIT_DONE_QUIT);
    goto out;
api_error:
    fprintf(stderr, "pasv_list: %s\n", ftpkit_result_name(r));
out:
    close_data(&s, 0);
    if (s.listener >= 0) close(s.listener);
    close(s.ctrl);
    ftpkit_client_free(s.client);
    return ok ? 0 : 1;
}
