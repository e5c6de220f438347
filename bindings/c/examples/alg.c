/*
 * alg: a small userspace FTP application-level gateway (the "FTP helper" of a NAT box, in userspace).
 *
 *   alg LISTEN_PORT SERVER_HOST SERVER_PORT
 *
 * It listens on 127.0.0.1:LISTEN_PORT (or ::1 when SERVER_HOST is IPv6), relays each control connection to the
 * server, and makes both FTP modes work through it, as a NAT helper must:
 *   - passive: a 227 or 229 reply announces the server's data port. alg opens a port of its own, rewrites the
 *     tuple in the reply in place (by the span ftpkit found; every other byte kept), and relays the client's data
 *     connection to the port the server announced.
 *   - active: a PORT or EPRT command announces the client's data port. alg opens a port of its own on the server
 *     side, rewrites the argument in place, and relays the server's data connection to the client's port.
 * Replies are framed by ftpkit's reply decoder, commands are classified by its command decoder, and every tuple is
 * parsed, formatted and rewritten by ftpkit: alg only moves bytes. Sessions are served one at a time; each rewrite
 * is logged on stderr ("alg: 227 ... -> ..."). Plain POSIX sockets and poll(2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ftpkit.h"

#define MAX_RELAYS 8
#define BUF 65536
#define MAX_LINE 8192

/* A data connection being relayed: two sockets, and which directions are still open. */
struct relay {
    int a, b;
    int a_open, b_open; /* a->b and b->a still flowing */
};

/* An announced data port alg listens on, and where to connect once something arrives. */
struct pending {
    int listener;
    struct sockaddr_storage target;
    socklen_t target_len;
};

struct session {
    int client, server;
    ftpkit_reply_decoder *replies;
    ftpkit_command_decoder *commands;
    uint8_t cline[MAX_LINE + 2];
    size_t cline_len;
    int cline_overflow;
    struct pending pend;
    struct relay relays[MAX_RELAYS];
};

static void die(const char *what) {
    perror(what);
    exit(2);
}

static void log_detail(const char *what, ftpkit_result r) {
    char d[256];
    size_t n;
    if (ftpkit_error_detail((uint8_t *)d, sizeof d, &n) != FTPKIT_OK) d[0] = 0;
    fprintf(stderr, "alg: %s: %s (%s)\n", what, ftpkit_result_name(r), d);
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The ftpkit_hostport for a socket address (span unused). */
static void to_hostport(const struct sockaddr_storage *ss, ftpkit_hostport *hp) {
    memset(hp, 0, sizeof *hp);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        hp->family = 4;
        memcpy(hp->addr, &in->sin_addr, 4);
        hp->port = ntohs(in->sin_port);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        hp->family = 6;
        memcpy(hp->addr, &in6->sin6_addr, 16);
        hp->port = ntohs(in6->sin6_port);
    }
}

/* The socket address for an ftpkit_hostport; family 0 (a 229's port only) takes the address of `peer`. */
static socklen_t from_hostport(const ftpkit_hostport *hp, const struct sockaddr_storage *peer,
                               struct sockaddr_storage *out) {
    memset(out, 0, sizeof *out);
    if (hp->family == 0) {
        *out = *peer;
        if (out->ss_family == AF_INET) ((struct sockaddr_in *)out)->sin_port = htons(hp->port);
        else ((struct sockaddr_in6 *)out)->sin6_port = htons(hp->port);
        return out->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    }
    if (hp->family == 4) {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, hp->addr, 4);
        in->sin_port = htons(hp->port);
        return sizeof *in;
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, hp->addr, 16);
    in6->sin6_port = htons(hp->port);
    return sizeof *in6;
}

/* Opens a listener on the local address of `sock` (the side the peer reaches alg on), port chosen by the kernel;
 * its address goes to *where. */
static int open_listener(int sock, ftpkit_hostport *where) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(sock, (struct sockaddr *)&ss, &len) < 0) return -1;
    if (ss.ss_family == AF_INET) ((struct sockaddr_in *)&ss)->sin_port = 0;
    else ((struct sockaddr_in6 *)&ss)->sin6_port = 0;
    int l = socket(ss.ss_family, SOCK_STREAM, 0);
    if (l < 0) return -1;
    if (bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, 4) < 0) {
        close(l);
        return -1;
    }
    len = sizeof ss;
    if (getsockname(l, (struct sockaddr *)&ss, &len) < 0) {
        close(l);
        return -1;
    }
    to_hostport(&ss, where);
    return l;
}

static void set_pending(struct session *s, int listener, const struct sockaddr_storage *target, socklen_t len) {
    if (s->pend.listener >= 0) close(s->pend.listener);
    s->pend.listener = listener;
    s->pend.target = *target;
    s->pend.target_len = len;
}

/* A data connection arrived on the announced port: connect to the real target and start relaying. */
static void accept_data(struct session *s) {
    int a = accept(s->pend.listener, NULL, NULL);
    close(s->pend.listener);
    s->pend.listener = -1;
    if (a < 0) return;
    int b = socket(s->pend.target.ss_family, SOCK_STREAM, 0);
    if (b < 0 || connect(b, (struct sockaddr *)&s->pend.target, s->pend.target_len) < 0) {
        perror("alg: data connect");
        close(a);
        if (b >= 0) close(b);
        return;
    }
    for (int i = 0; i < MAX_RELAYS; i++) {
        if (s->relays[i].a < 0) {
            s->relays[i] = (struct relay){a, b, 1, 1};
            return;
        }
    }
    fprintf(stderr, "alg: too many data connections\n");
    close(a);
    close(b);
}

/* Moves bytes one way on a relay; on EOF half-closes the other side. */
static void pump(struct relay *r, int from_a) {
    uint8_t buf[BUF];
    int from = from_a ? r->a : r->b, to = from_a ? r->b : r->a;
    ssize_t n = read(from, buf, sizeof buf);
    if (n > 0 && write_all(to, buf, (size_t)n) == 0) return;
    shutdown(to, SHUT_WR);
    if (from_a) r->a_open = 0; else r->b_open = 0;
    if (!r->a_open && !r->b_open) {
        close(r->a);
        close(r->b);
        r->a = r->b = -1;
    }
}

/* A complete reply from the server: rewrite 227/229, forward. Returns -1 when the client is gone. */
static int on_reply(struct session *s, const ftpkit_reply *reply) {
    const uint8_t *raw;
    size_t len;
    if (ftpkit_reply_raw(reply, &raw, &len) != FTPKIT_OK) return -1;
    uint16_t code = ftpkit_reply_code(reply);
    if (code != 227 && code != 229) return write_all(s->client, raw, len);
    uint32_t form = code == 227 ? FTPKIT_FORM_PASV : FTPKIT_FORM_EPSV;
    ftpkit_hostport mine, old;
    int l = open_listener(s->client, &mine);
    if (l < 0) return write_all(s->client, raw, len);
    uint8_t out[MAX_LINE];
    size_t n = 0;
    ftpkit_result r =
        ftpkit_hostport_rewrite(form, FTPKIT_MODE_TOLERANT, raw, len, &mine, &old, out, sizeof out, &n);
    if (r != FTPKIT_OK) {
        log_detail("reply left as is", r);
        close(l);
        return write_all(s->client, raw, len);
    }
    struct sockaddr_storage server_peer, target;
    socklen_t plen = sizeof server_peer;
    getpeername(s->server, (struct sockaddr *)&server_peer, &plen);
    socklen_t tlen = from_hostport(&old, &server_peer, &target);
    set_pending(s, l, &target, tlen);
    fprintf(stderr, "alg: %u %.*s -> %.*s\n", (unsigned)code, (int)(old.span_end - old.span_start),
            raw + old.span_start, (int)(n - (len - (old.span_end - old.span_start)) ), out + old.span_start);
    return write_all(s->client, out, n);
}

/* A complete command line from the client (line end included): rewrite PORT/EPRT, forward. */
static int on_command_line(struct session *s, const uint8_t *line, size_t len) {
    const ftpkit_command *cmd = NULL;
    ftpkit_result r = ftpkit_command_decoder_feed(s->commands, line, len);
    if (r == FTPKIT_OK) r = ftpkit_command_decoder_next(s->commands, &cmd);
    const uint8_t *verb = NULL;
    size_t vlen = 0;
    if (r != FTPKIT_OK || cmd == NULL || ftpkit_command_verb(cmd, &verb, &vlen) != FTPKIT_OK ||
        !(vlen == 4 && (memcmp(verb, "PORT", 4) == 0 || memcmp(verb, "EPRT", 4) == 0))) {
        return write_all(s->server, line, len); /* not ours to judge: the server answers it */
    }
    uint32_t form = memcmp(verb, "PORT", 4) == 0 ? FTPKIT_FORM_PORT : FTPKIT_FORM_EPRT;
    /* The argument starts after "VERB "; drop the line end (EPRT takes the argument exactly). */
    size_t end = len;
    while (end > 0 && (line[end - 1] == '\n' || line[end - 1] == '\r')) end--;
    if (end < 5) return write_all(s->server, line, len);
    ftpkit_hostport mine, old;
    int l = open_listener(s->server, &mine);
    if (l < 0) return write_all(s->server, line, len);
    uint8_t out[MAX_LINE + 8];
    size_t n = 0;
    memcpy(out, line, 5);
    r = ftpkit_hostport_rewrite(form, FTPKIT_MODE_TOLERANT, line + 5, end - 5, &mine, &old, out + 5,
                                sizeof out - 7, &n);
    if (r != FTPKIT_OK) {
        log_detail("command left as is", r);
        close(l);
        return write_all(s->server, line, len);
    }
    memcpy(out + 5 + n, "\r\n", 2);
    struct sockaddr_storage target;
    socklen_t tlen = from_hostport(&old, NULL, &target);
    set_pending(s, l, &target, tlen);
    fprintf(stderr, "alg: %.4s %.*s -> %.*s\n", (const char *)verb, (int)(end - 5), line + 5, (int)n, out + 5);
    return write_all(s->server, out, 5 + n + 2);
}

/* Bytes from the client's control connection: cut into lines (an over-long line is passed through unjudged). */
static int on_client_bytes(struct session *s, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s->cline_len < sizeof s->cline) s->cline[s->cline_len++] = p[i];
        else s->cline_overflow = 1;
        if (p[i] != '\n') continue;
        int rc = s->cline_overflow ? write_all(s->server, s->cline, s->cline_len)
                                   : on_command_line(s, s->cline, s->cline_len);
        s->cline_len = 0;
        s->cline_overflow = 0;
        if (rc < 0) return -1;
    }
    if (s->cline_overflow) { /* flush what we hold: never buffer without bound */
        if (write_all(s->server, s->cline, s->cline_len) < 0) return -1;
        s->cline_len = 0;
    }
    return 0;
}

static int on_server_bytes(struct session *s, const uint8_t *p, size_t n) {
    if (ftpkit_reply_decoder_feed(s->replies, p, n) != FTPKIT_OK) return -1;
    for (;;) {
        const ftpkit_reply *reply = NULL;
        ftpkit_result r = ftpkit_reply_decoder_next(s->replies, &reply);
        if (r != FTPKIT_OK) {
            log_detail("bad reply dropped", r);
            continue;
        }
        if (reply == NULL) return 0;
        if (on_reply(s, reply) < 0) return -1;
    }
}

static void serve(int client, const struct sockaddr_storage *server_addr, socklen_t server_len) {
    struct session s;
    memset(&s, 0, sizeof s);
    s.client = client;
    s.pend.listener = -1;
    for (int i = 0; i < MAX_RELAYS; i++) s.relays[i].a = s.relays[i].b = -1;
    s.server = socket(server_addr->ss_family, SOCK_STREAM, 0);
    if (s.server < 0 || connect(s.server, (const struct sockaddr *)server_addr, server_len) < 0) {
        perror("alg: connect to server");
        close(client);
        if (s.server >= 0) close(s.server);
        return;
    }
    if (ftpkit_reply_decoder_new(FTPKIT_FRAMING_STRICT, 0, 0, 0, &s.replies) != FTPKIT_OK ||
        ftpkit_command_decoder_new(0, &s.commands) != FTPKIT_OK) {
        die("ftpkit decoders");
    }
    int control_open = 1;
    for (;;) {
        struct pollfd fds[3 + 2 * MAX_RELAYS];
        int nfds = 0, relays_open = 0;
        if (control_open) {
            fds[nfds++] = (struct pollfd){.fd = s.client, .events = POLLIN};
            fds[nfds++] = (struct pollfd){.fd = s.server, .events = POLLIN};
        }
        fds[nfds++] = (struct pollfd){.fd = s.pend.listener, .events = POLLIN}; /* -1 is ignored by poll */
        for (int i = 0; i < MAX_RELAYS; i++) {
            struct relay *r = &s.relays[i];
            fds[nfds++] = (struct pollfd){.fd = (r->a >= 0 && r->a_open) ? r->a : -1, .events = POLLIN};
            fds[nfds++] = (struct pollfd){.fd = (r->a >= 0 && r->b_open) ? r->b : -1, .events = POLLIN};
            relays_open += r->a >= 0;
        }
        if (!control_open && relays_open == 0) break;
        if (poll(fds, (nfds_t)nfds, 30000) <= 0) break; /* idle 30 s: give up on the session */
        int k = 0;
        if (control_open) {
            uint8_t buf[BUF];
            for (int side = 0; side < 2; side++, k++) {
                if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                ssize_t n = read(fds[k].fd, buf, sizeof buf);
                int rc = n <= 0 ? -1
                         : side == 0 ? on_client_bytes(&s, buf, (size_t)n)
                                     : on_server_bytes(&s, buf, (size_t)n);
                if (rc < 0) {
                    control_open = 0;
                    break;
                }
            }
            if (!control_open) {
                k = 2;
                shutdown(s.client, SHUT_RDWR);
                shutdown(s.server, SHUT_RDWR);
            }
        }
        if (fds[k].revents & POLLIN) accept_data(&s);
        k++;
        for (int i = 0; i < MAX_RELAYS; i++, k += 2) {
            if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) pump(&s.relays[i], 1);
            if (s.relays[i].a >= 0 && (fds[k + 1].revents & (POLLIN | POLLHUP | POLLERR))) pump(&s.relays[i], 0);
        }
    }
    for (int i = 0; i < MAX_RELAYS; i++) {
        if (s.relays[i].a >= 0) {
            close(s.relays[i].a);
            close(s.relays[i].b);
        }
    }
    if (s.pend.listener >= 0) close(s.pend.listener);
    close(s.client);
    close(s.server);
    ftpkit_reply_decoder_free(s.replies);
    ftpkit_command_decoder_free(s.commands);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: alg LISTEN_PORT SERVER_HOST SERVER_PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(argv[2], argv[3], &hints, &res) != 0) {
        fprintf(stderr, "alg: bad server address %s %s\n", argv[2], argv[3]);
        return 2;
    }
    struct sockaddr_storage server_addr;
    socklen_t server_len = (socklen_t)res->ai_addrlen;
    memcpy(&server_addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);

    int l = socket(server_addr.ss_family, SOCK_STREAM, 0);
    if (l < 0) die("socket");
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage me;
    memset(&me, 0, sizeof me);
    socklen_t me_len;
    int port = atoi(argv[1]);
    if (server_addr.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&me;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in->sin_port = htons((uint16_t)port);
        me_len = sizeof *in;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&me;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        in6->sin6_port = htons((uint16_t)port);
        me_len = sizeof *in6;
    }
    if (bind(l, (struct sockaddr *)&me, me_len) < 0 || listen(l, 16) < 0) die("alg: listen");
    fprintf(stderr, "alg: libftpkit %s, relaying 127.0.0.1:%d -> %s:%s\n", ftpkit_version(), port, argv[2], argv[3]);
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR) continue;
            die("accept");
        }
        serve(c, &server_addr, server_len);
    }
}
