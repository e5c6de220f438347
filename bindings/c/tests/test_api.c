/*
 * test_api: calls every function of ftpkit.h with good input and with bad input (NULL, empty, too-small buffers,
 * invalid UTF-8, oversize lines, wrong handle state), checking results and outputs. Runs under valgrind and ASan.
 * Some cases port the core's own unit tests (reply framing, host-port spans, injection) so the binding is held
 * to the same bar.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftpkit.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                                                \
    do {                                                                                                           \
        checks++;                                                                                                  \
        if (!(cond)) {                                                                                             \
            failures++;                                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                               \
        }                                                                                                          \
    } while (0)
#define CHECK_RESULT(expr, want)                                                                                   \
    do {                                                                                                           \
        ftpkit_result got_ = (expr);                                                                               \
        checks++;                                                                                                  \
        if (got_ != (ftpkit_result)(want)) {                                                                       \
            failures++;                                                                                            \
            fprintf(stderr, "%s:%d: %s returned %s (%u), want %s\n", __FILE__, __LINE__, #expr,                    \
                    ftpkit_result_name(got_), (unsigned)got_, ftpkit_result_name(want));                           \
        }                                                                                                          \
    } while (0)

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static int eq(const uint8_t *p, size_t n, const char *want) { return n == strlen(want) && memcmp(p, want, n) == 0; }

static void test_results(void) {
    CHECK(strcmp(ftpkit_version(), "0.1.0") == 0);
    CHECK(strcmp(ftpkit_result_name(FTPKIT_OK), "ok") == 0);
    CHECK(strcmp(ftpkit_result_name(FTPKIT_SYNTAX), "syntax") == 0);
    CHECK(strcmp(ftpkit_result_name(FTPKIT_TOO_LONG), "too_long") == 0);
    CHECK(strcmp(ftpkit_result_name(FTPKIT_CLOSED), "closed") == 0);
    CHECK(strcmp(ftpkit_result_name(FTPKIT_NULL_PARAMETER), "null_parameter") == 0);
    CHECK(strcmp(ftpkit_result_name(FTPKIT_PANIC), "panic") == 0);
    CHECK(strcmp(ftpkit_result_name(12345), "unknown") == 0);
    CHECK(FTPKIT_BOUNDARY_BASE == 4096 && FTPKIT_NULL_PARAMETER > FTPKIT_BOUNDARY_BASE);

    char buf[128];
    size_t needed = 0;
    CHECK_RESULT(ftpkit_result_message(FTPKIT_INJECTION, (uint8_t *)buf, sizeof buf, &needed), FTPKIT_OK);
    CHECK(needed == strlen(buf) && strstr(buf, "injection") != NULL);
    /* Size query: NULL buffer, capacity 0. */
    size_t n2 = 0;
    CHECK_RESULT(ftpkit_result_message(FTPKIT_INJECTION, NULL, 0, &n2), FTPKIT_BUFFER_TOO_SMALL);
    CHECK(n2 == needed);
    /* Exactly too small by one (no room for the NUL): nothing written. */
    memset(buf, 'x', sizeof buf);
    CHECK_RESULT(ftpkit_result_message(FTPKIT_INJECTION, (uint8_t *)buf, needed, &n2), FTPKIT_BUFFER_TOO_SMALL);
    CHECK(buf[0] == 'x');
    CHECK_RESULT(ftpkit_result_message(FTPKIT_OK, (uint8_t *)buf, sizeof buf, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_result_message(99999, (uint8_t *)buf, sizeof buf, &needed), FTPKIT_OK);
    CHECK(strstr(buf, "unknown") != NULL);

    /* The detail of the last failure on this thread. */
    CHECK_RESULT(ftpkit_result_message(FTPKIT_OK, (uint8_t *)buf, sizeof buf, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_error_detail((uint8_t *)buf, sizeof buf, &needed), FTPKIT_OK);
    CHECK(strstr(buf, "needed") != NULL);
    CHECK_RESULT(ftpkit_error_detail(NULL, 0, &needed), FTPKIT_BUFFER_TOO_SMALL);
    /* Asking the size does not replace the detail. */
    CHECK_RESULT(ftpkit_error_detail((uint8_t *)buf, sizeof buf, &n2), FTPKIT_OK);
    CHECK(n2 == needed);
    CHECK_RESULT(ftpkit_error_detail((uint8_t *)buf, sizeof buf, NULL), FTPKIT_NULL_PARAMETER);
}

static void test_reply_decoder(void) {
    ftpkit_reply_decoder *d = NULL;
    CHECK_RESULT(ftpkit_reply_decoder_new(7, 0, 0, 0, &d), FTPKIT_INVALID_PARAMETER);
    CHECK(d == NULL);
    CHECK_RESULT(ftpkit_reply_decoder_new(FTPKIT_FRAMING_STRICT, 0, 0, 0, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_reply_decoder_new(FTPKIT_FRAMING_STRICT, 64, 0, 0, &d), FTPKIT_OK);
    CHECK(d != NULL);

    const ftpkit_reply *r = NULL;
    /* Nothing fed: no reply yet. */
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_OK);
    CHECK(r == NULL);
    /* A multi-line reply in pieces, with a NUL in the text. */
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, S("211-Features:\r\n EPSV\r\n a\0b\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_OK);
    CHECK(r == NULL);
    size_t buffered = 0;
    CHECK_RESULT(ftpkit_reply_decoder_buffered(d, &buffered), FTPKIT_OK);
    CHECK(buffered > 0);
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, S("211 End\r\n220 ready\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_OK);
    CHECK(r != NULL);
    CHECK(ftpkit_reply_code(r) == 211);
    CHECK(ftpkit_reply_line_count(r) == 4);
    const uint8_t *p;
    size_t n;
    CHECK_RESULT(ftpkit_reply_line(r, 0, &p, &n), FTPKIT_OK);
    CHECK(eq(p, n, "Features:"));
    CHECK_RESULT(ftpkit_reply_line(r, 2, &p, &n), FTPKIT_OK);
    CHECK(n == 4 && memcmp(p, " a\0b", 4) == 0);
    CHECK_RESULT(ftpkit_reply_line(r, 3, &p, &n), FTPKIT_OK);
    CHECK(eq(p, n, "End"));
    CHECK_RESULT(ftpkit_reply_line(r, 4, &p, &n), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_reply_line(r, 0, NULL, &n), FTPKIT_NULL_PARAMETER);
    ftpkit_bytes lines[4];
    size_t count = 0;
    CHECK_RESULT(ftpkit_reply_lines(r, lines, 3, &count), FTPKIT_BUFFER_TOO_SMALL);
    CHECK(count == 4);
    CHECK_RESULT(ftpkit_reply_lines(r, NULL, 0, &count), FTPKIT_BUFFER_TOO_SMALL);
    CHECK_RESULT(ftpkit_reply_lines(r, lines, 4, &count), FTPKIT_OK);
    CHECK(count == 4 && eq(lines[0].ptr, lines[0].len, "Features:") && eq(lines[3].ptr, lines[3].len, "End"));
    CHECK(lines[2].len == 4 && memcmp(lines[2].ptr, " a\0b", 4) == 0);
    CHECK_RESULT(ftpkit_reply_lines(r, lines, 4, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_reply_lines(NULL, lines, 4, &count), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_reply_raw(r, &p, &n), FTPKIT_OK);
    CHECK(n == 37 && memcmp(p, "211-Features:\r\n", 15) == 0);
    /* The same values in the lent struct's fields. */
    CHECK(r->code == 211 && r->raw.ptr == p && r->raw.len == n && r->line_count == 4);
    for (size_t i = 0; i < 4; i++) CHECK(r->lines[i].ptr == lines[i].ptr && r->lines[i].len == lines[i].len);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_OK);
    CHECK(r != NULL && ftpkit_reply_code(r) == 220);
    /* An over-long line (limit 64) is an error, then the stream goes on. */
    char long_line[200];
    memset(long_line, 'x', sizeof long_line);
    memcpy(long_line, "220 ", 4);
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, (const uint8_t *)long_line, sizeof long_line), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, S("\r\n230 ok\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_TOO_LONG);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_OK);
    CHECK(r != NULL && ftpkit_reply_code(r) == 230);
    /* A bad code. */
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, S("999 what\r\n")), FTPKIT_OK);
    ftpkit_result bad = ftpkit_reply_decoder_next(d, &r);
    CHECK(bad == FTPKIT_RANGE || bad == FTPKIT_SYNTAX);
    /* Bad parameters. */
    CHECK_RESULT(ftpkit_reply_decoder_feed(NULL, S("x")), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, NULL, 3), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, NULL, 0), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_reply_decoder_next(NULL, &r), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_reply_decoder_buffered(NULL, &buffered), FTPKIT_NULL_PARAMETER);
    CHECK(ftpkit_reply_code(NULL) == 0);
    CHECK(ftpkit_reply_line_count(NULL) == 0);
    CHECK_RESULT(ftpkit_reply_raw(NULL, &p, &n), FTPKIT_NULL_PARAMETER);
    ftpkit_reply_decoder_free(d);
    ftpkit_reply_decoder_free(NULL);

    /* Tolerant framing: another code closes the block and names the reply (curl's rule). */
    CHECK_RESULT(ftpkit_reply_decoder_new(FTPKIT_FRAMING_TOLERANT, 0, 0, 0, &d), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, S("200-a\r\n230 b\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_OK);
    CHECK(r != NULL && ftpkit_reply_code(r) == 230);
    ftpkit_reply_decoder_free(d);
    /* Reply limits: at most 2 lines. */
    CHECK_RESULT(ftpkit_reply_decoder_new(FTPKIT_FRAMING_STRICT, 0, 0, 2, &d), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_feed(d, S("211-a\r\n b\r\n c\r\n211 d\r\n220 x\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_TOO_LONG);
    CHECK_RESULT(ftpkit_reply_decoder_next(d, &r), FTPKIT_OK);
    CHECK(r != NULL && ftpkit_reply_code(r) == 220);
    ftpkit_reply_decoder_free(d);
}

static void test_command_decoder(void) {
    ftpkit_command_decoder *d = NULL;
    CHECK_RESULT(ftpkit_command_decoder_new(0, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_command_decoder_new(32, &d), FTPKIT_OK);
    const ftpkit_command *c = NULL;
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK(c == NULL);
    CHECK_RESULT(ftpkit_command_decoder_feed(d, S("user alice\r\nPORT 10,0,0,1,4,1\r\nNOOP\r\n\r\nPORT 1,2\r\n")),
                 FTPKIT_OK);
    const uint8_t *p;
    size_t n;
    bool has;
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK(c != NULL);
    CHECK_RESULT(ftpkit_command_verb(c, &p, &n), FTPKIT_OK);
    CHECK(eq(p, n, "USER"));
    CHECK_RESULT(ftpkit_command_arg(c, &p, &n, &has), FTPKIT_OK);
    CHECK(has && eq(p, n, "alice"));
    CHECK(ftpkit_command_decoder_reply_hint(d) == 0);
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK_RESULT(ftpkit_command_arg(c, &p, &n, &has), FTPKIT_OK);
    CHECK(has && eq(p, n, "10,0,0,1,4,1"));
    CHECK(c->has_arg && c->arg.ptr == p && c->arg.len == n && eq(c->verb.ptr, c->verb.len, "PORT"));
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK_RESULT(ftpkit_command_arg(c, &p, &n, &has), FTPKIT_OK);
    CHECK(!has && n == 0);
    CHECK(!c->has_arg && c->arg.len == 0 && c->arg.ptr != NULL && eq(c->verb.ptr, c->verb.len, "NOOP"));
    /* An empty line: 500; a malformed PORT: 501. */
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_SYNTAX);
    CHECK(ftpkit_command_decoder_reply_hint(d) == 500);
    ftpkit_result r = ftpkit_command_decoder_next(d, &c);
    CHECK(r != FTPKIT_OK);
    CHECK(ftpkit_command_decoder_reply_hint(d) == 501);
    /* An over-long line (limit 32) and invalid UTF-8. */
    CHECK_RESULT(ftpkit_command_decoder_feed(d, S("STOR aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_TOO_LONG);
    CHECK(ftpkit_command_decoder_reply_hint(d) == 500);
    CHECK_RESULT(ftpkit_command_decoder_feed(d, S("STOR \xff\xfe\r\n")), FTPKIT_OK);
    r = ftpkit_command_decoder_next(d, &c);
    CHECK(r != FTPKIT_OK && ftpkit_command_decoder_reply_hint(d) == 501);
    /* An unknown verb and a text argument are lent from the decoder's own buffer; a line split across feeds, and
     * feeding while a command is lent (valgrind and ASan watch the lent bytes). */
    CHECK_RESULT(ftpkit_command_decoder_feed(d, S("XFOO bar baz\r\nRETR a")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK(c != NULL && eq(c->verb.ptr, c->verb.len, "XFOO") && c->has_arg && eq(c->arg.ptr, c->arg.len, "bar baz"));
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK(c == NULL);
    for (int i = 0; i < 40; i++) CHECK_RESULT(ftpkit_command_decoder_feed(d, S("")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_command_decoder_feed(d, S(".txt\r\nTYPE a\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK(c != NULL && eq(c->verb.ptr, c->verb.len, "RETR") && eq(c->arg.ptr, c->arg.len, "a.txt"));
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK(c != NULL && eq(c->verb.ptr, c->verb.len, "TYPE") && eq(c->arg.ptr, c->arg.len, "A"));
    /* Bad parameters. */
    CHECK_RESULT(ftpkit_command_decoder_feed(NULL, S("x")), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_command_decoder_feed(d, NULL, 1), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_command_decoder_next(d, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_command_verb(NULL, &p, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_command_arg(NULL, &p, &n, &has), FTPKIT_NULL_PARAMETER);
    CHECK(ftpkit_command_decoder_reply_hint(NULL) == 0);
    ftpkit_command_decoder_free(d);
    ftpkit_command_decoder_free(NULL);
}

static void test_format(void) {
    char buf[128];
    size_t n = 0;
    CHECK_RESULT(ftpkit_format_command(S("RETR"), S("a b.txt"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(eq((const uint8_t *)buf, n, "RETR a b.txt\r\n"));
    CHECK_RESULT(ftpkit_format_command(S("PASV"), NULL, 0, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(eq((const uint8_t *)buf, n, "PASV\r\n"));
    /* Injection refused, nothing written. */
    memset(buf, 'x', sizeof buf);
    CHECK_RESULT(ftpkit_format_command(S("RETR"), S("a\r\nDELE b"), (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_INJECTION);
    CHECK(buf[0] == 'x');
    CHECK_RESULT(ftpkit_format_command(S("RE TR"), NULL, 0, (uint8_t *)buf, sizeof buf, &n), FTPKIT_SYNTAX);
    CHECK_RESULT(ftpkit_format_command(S("RETR"), S("a\0b"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_INJECTION);
    CHECK_RESULT(ftpkit_format_command(S("RETR"), S("\xc3\x28"), (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_INVALID_UTF8);
    CHECK_RESULT(ftpkit_format_command(NULL, 4, NULL, 0, (uint8_t *)buf, sizeof buf, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_format_command(S("RETR"), S("x"), (uint8_t *)buf, 4, &n), FTPKIT_BUFFER_TOO_SMALL);
    CHECK(n == 8);

    CHECK_RESULT(ftpkit_format_reply(211, S("Features:\n EPSV\nEnd"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(eq((const uint8_t *)buf, n, "211-Features:\r\n211- EPSV\r\n211 End\r\n"));
    CHECK_RESULT(ftpkit_format_reply(200, S("ok"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(eq((const uint8_t *)buf, n, "200 ok\r\n"));
    CHECK_RESULT(ftpkit_format_reply(200, S("a\rb"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_INJECTION);
    CHECK_RESULT(ftpkit_format_reply(700, S("x"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_RANGE);
    CHECK_RESULT(ftpkit_format_reply(200, NULL, 0, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK_RESULT(ftpkit_format_reply(200, S("ok"), NULL, 0, &n), FTPKIT_BUFFER_TOO_SMALL);
    CHECK(n == 8);
}

static void test_hostport(void) {
    ftpkit_hostport hp;
    char buf[256];
    size_t n = 0;
    const char *pasv = "227 Entering Passive Mode (192,168,150,90,195,149).\r\n";
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PASV, FTPKIT_MODE_TOLERANT, (const uint8_t *)pasv, strlen(pasv),
                                       &hp),
                 FTPKIT_OK);
    CHECK(hp.family == 4 && hp.addr[0] == 192 && hp.addr[3] == 90 && hp.port == 50069);
    CHECK(hp.span_end - hp.span_start == 22 && memcmp(pasv + hp.span_start, "192,168,150,90,195,149", 22) == 0);
    CHECK_RESULT(ftpkit_hostport_ip_text(&hp, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "192.168.150.90") == 0);
    /* The in-place rewrite by span. */
    CHECK_RESULT(ftpkit_rewrite((const uint8_t *)pasv, strlen(pasv), hp.span_start, hp.span_end, S("203,0,113,9,4,1"),
                                (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_OK);
    CHECK(strcmp(buf, "227 Entering Passive Mode (203,0,113,9,4,1).\r\n") == 0);
    CHECK_RESULT(ftpkit_rewrite(S("abc"), 10, 20, S("x"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "abcx") == 0);
    CHECK_RESULT(ftpkit_rewrite(NULL, 3, 0, 0, NULL, 0, (uint8_t *)buf, sizeof buf, &n), FTPKIT_NULL_PARAMETER);
    /* The NAT helper's one call. */
    ftpkit_hostport pub = hp, old;
    pub.addr[0] = 203; pub.addr[1] = 0; pub.addr[2] = 113; pub.addr[3] = 9; pub.port = 1025;
    CHECK_RESULT(ftpkit_hostport_rewrite(FTPKIT_FORM_PASV, FTPKIT_MODE_TOLERANT, (const uint8_t *)pasv, strlen(pasv),
                                         &pub, &old, (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_OK);
    CHECK(strcmp(buf, "227 Entering Passive Mode (203,0,113,9,4,1).\r\n") == 0 && old.port == 50069);
    CHECK_RESULT(ftpkit_hostport_rewrite(FTPKIT_FORM_EPSV, 0, S("229 Extended (!!!6446!)\r\n"), &pub, NULL,
                                         (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_OK);
    CHECK(strcmp(buf, "229 Extended (!!!1025!)\r\n") == 0);
    CHECK_RESULT(ftpkit_hostport_rewrite(FTPKIT_FORM_EPRT, 0, S("|1|10.0.0.1|6000|"), &pub, &old, (uint8_t *)buf,
                                         sizeof buf, &n),
                 FTPKIT_OK);
    CHECK(strcmp(buf, "|1|203.0.113.9|1025|") == 0 && old.port == 6000 && old.delimiter == '|');
    CHECK_RESULT(ftpkit_hostport_rewrite(FTPKIT_FORM_PORT, 0, S("10,0,0,1,23,112"), &pub, NULL, (uint8_t *)buf, 4, &n),
                 FTPKIT_BUFFER_TOO_SMALL);
    CHECK_RESULT(ftpkit_hostport_rewrite(FTPKIT_FORM_PORT, 0, S("10,0,0,1,23"), &pub, NULL, (uint8_t *)buf,
                                         sizeof buf, &n),
                 FTPKIT_SYNTAX);
    CHECK_RESULT(ftpkit_hostport_rewrite(FTPKIT_FORM_PORT, 0, S("x"), NULL, NULL, (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_NULL_PARAMETER);
    /* Every form parses. */
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PORT, FTPKIT_MODE_STRICT, S("192,168,150,80,14,178"), &hp),
                 FTPKIT_OK);
    CHECK(hp.port == 3762 && hp.span_start == 0 && hp.span_end == 21);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PORT, FTPKIT_MODE_TOLERANT, S(" 1,2,3,4,0,21 \r\n"), &hp), FTPKIT_OK);
    CHECK(hp.span_start == 1 && hp.port == 21);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PORT, FTPKIT_MODE_STRICT, S("1,2,3,256,0,21"), &hp), FTPKIT_RANGE);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PORT, FTPKIT_MODE_STRICT, S("1,2,3,\xff,0,21"), &hp),
                 FTPKIT_INVALID_UTF8);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PORT, 9, S("1,2,3,4,0,21"), &hp), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_hostport_parse(99, 0, S("1,2,3,4,0,21"), &hp), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PASV, 0, S("229 Entering Extended Passive Mode (|||6446|)\r\n"), &hp),
                 FTPKIT_WRONG_REPLY);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_EPSV, 0, S("229 Entering Extended Passive Mode (|||6446|)\r\n"), &hp),
                 FTPKIT_OK);
    CHECK(hp.family == 0 && hp.port == 6446 && hp.delimiter == '|' && hp.span_start == 36 && hp.span_end == 44);
    CHECK_RESULT(ftpkit_hostport_ip_text(&hp, (uint8_t *)buf, sizeof buf, &n), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_EPRT, 0, S("|2|2001:db8::1|5282|"), &hp), FTPKIT_OK);
    CHECK(hp.family == 6 && hp.port == 5282 && hp.addr[0] == 0x20 && hp.addr[15] == 1);
    CHECK_RESULT(ftpkit_hostport_ip_text(&hp, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "2001:db8::1") == 0);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_EPRT, 0, S("|3|x|1|"), &hp), FTPKIT_UNSUPPORTED);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_LPRT, 0, S("4,4,10,0,0,1,2,4,1"), &hp), FTPKIT_OK);
    CHECK(hp.family == 4 && hp.port == 1025 && hp.span_end == 18);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_LPSV, 0, S("228 Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)"),
                                       &hp),
                 FTPKIT_OK);
    CHECK(hp.port == 1025);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PASV, 0, NULL, 0, &hp), FTPKIT_SYNTAX);
    CHECK_RESULT(ftpkit_hostport_parse(FTPKIT_FORM_PASV, 0, S("227 (1,2,3,4,5,6)"), NULL), FTPKIT_NULL_PARAMETER);
    /* Formatting, every form. */
    ftpkit_hostport a;
    memset(&a, 0, sizeof a);
    a.family = 4; a.addr[0] = 10; a.addr[3] = 1; a.port = 1025;
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_PORT, &a, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "10,0,0,1,4,1") == 0);
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_PASV, &a, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "Entering Passive Mode (10,0,0,1,4,1).") == 0);
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_EPRT, &a, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "|1|10.0.0.1|1025|") == 0);
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_EPSV, &a, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "Entering Extended Passive Mode (|||1025|)") == 0);
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_LPRT, &a, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "4,4,10,0,0,1,2,4,1") == 0);
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_LPSV, &a, (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)") == 0);
    a.family = 6;
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_PORT, &a, (uint8_t *)buf, sizeof buf, &n), FTPKIT_UNSUPPORTED);
    a.family = 5;
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_EPRT, &a, (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_INVALID_PARAMETER);
    a.family = 4; a.port = 0;
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_EPSV, &a, (uint8_t *)buf, sizeof buf, &n), FTPKIT_RANGE);
    CHECK_RESULT(ftpkit_hostport_format(FTPKIT_FORM_PORT, NULL, (uint8_t *)buf, sizeof buf, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_hostport_ip_text(NULL, (uint8_t *)buf, sizeof buf, &n), FTPKIT_NULL_PARAMETER);
}

static void test_text(void) {
    char buf[128];
    size_t n = 0;
    CHECK_RESULT(ftpkit_parse_257(S("257 \"/usr/dm/foo\"\"bar\" directory created."), (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_OK);
    CHECK(strcmp(buf, "/usr/dm/foo\"bar") == 0);
    CHECK_RESULT(ftpkit_parse_257(S("257 no quotes"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_SYNTAX);
    CHECK(ftpkit_parse_257(S("250 \"/x\""), (uint8_t *)buf, sizeof buf, &n) != FTPKIT_OK);
    CHECK_RESULT(ftpkit_parse_257(S("257 \"\xff\""), (uint8_t *)buf, sizeof buf, &n), FTPKIT_INVALID_UTF8);
    CHECK_RESULT(ftpkit_format_257(S("/a\"b"), S("created"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_OK);
    CHECK(strcmp(buf, "257 \"/a\"\"b\" created") == 0);
    CHECK_RESULT(ftpkit_format_257(S("/a\r\nDELE x"), S("created"), (uint8_t *)buf, sizeof buf, &n), FTPKIT_INJECTION);

    ftpkit_features *f = NULL;
    CHECK_RESULT(ftpkit_features_parse(S("211-Features:\r\n EPSV\r\n REST STREAM\r\n UTF8\r\n211 End\r\n"), &f), FTPKIT_OK);
    CHECK(ftpkit_features_len(f) == 3);
    const uint8_t *name, *params;
    size_t nl, pl;
    CHECK_RESULT(ftpkit_features_get(f, 1, &name, &nl, &params, &pl), FTPKIT_OK);
    CHECK(eq(name, nl, "REST") && eq(params, pl, "STREAM"));
    CHECK_RESULT(ftpkit_features_get(f, 3, &name, &nl, &params, &pl), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_features_get(f, 0, NULL, &nl, &params, &pl), FTPKIT_NULL_PARAMETER);
    CHECK(ftpkit_features_has(f, S("epsv")));
    CHECK(!ftpkit_features_has(f, S("MLST")));
    CHECK(!ftpkit_features_has(NULL, S("EPSV")));
    ftpkit_features_free(f);
    ftpkit_features_free(NULL);
    f = NULL;
    CHECK_RESULT(ftpkit_features_parse(S("500 what\r\n"), &f), FTPKIT_WRONG_REPLY);
    CHECK(f == NULL);
    CHECK(ftpkit_features_len(NULL) == 0);
    CHECK_RESULT(ftpkit_features_parse(S("211 x"), NULL), FTPKIT_NULL_PARAMETER);
}

static void test_listing(void) {
    ftpkit_entry *e = NULL;
    const uint8_t *p, *k;
    size_t n, kn;
    bool has;
    uint64_t size;
    int64_t secs;
    CHECK_RESULT(ftpkit_entry_parse_list(S("drwx------   3 slacker    users         104 Jul 27 01:45 public_html"), 2026,
                                         11, 24, &e),
                 FTPKIT_OK);
    CHECK(e != NULL);
    CHECK_RESULT(ftpkit_entry_name(e, &p, &n, &k, &kn), FTPKIT_OK);
    CHECK(eq(p, n, "public_html") && eq(k, kn, "dir"));
    CHECK_RESULT(ftpkit_entry_size(e, &has, &size), FTPKIT_OK);
    CHECK(has && size == 104);
    CHECK_RESULT(ftpkit_entry_modified(e, &has, &secs), FTPKIT_OK);
    CHECK(has && secs == 1785116700); /* 2026-07-27T01:45:00Z */
    ftpkit_entry_free(e);
    e = (ftpkit_entry *)1;
    CHECK_RESULT(ftpkit_entry_parse_list(S("total 20"), 2026, 11, 24, &e), FTPKIT_OK);
    CHECK(e == NULL);
    CHECK(ftpkit_entry_parse_list(S("total 20"), 2026, 13, 40, &e) != FTPKIT_OK);
    CHECK_RESULT(ftpkit_entry_parse_mlsd(S("type=file;size=3;modify=20261124101112; a b.txt"), &e), FTPKIT_OK);
    CHECK_RESULT(ftpkit_entry_name(e, &p, &n, &k, &kn), FTPKIT_OK);
    CHECK(eq(p, n, "a b.txt") && eq(k, kn, "file"));
    CHECK_RESULT(ftpkit_entry_fact(e, S("SIZE"), &p, &n, &has), FTPKIT_OK);
    CHECK(has && eq(p, n, "3"));
    CHECK_RESULT(ftpkit_entry_fact(e, S("perm"), &p, &n, &has), FTPKIT_OK);
    CHECK(!has);
    CHECK_RESULT(ftpkit_entry_fact(e, S("\xff"), &p, &n, &has), FTPKIT_INVALID_UTF8);
    CHECK_RESULT(ftpkit_entry_name(e, &p, &n, NULL, &kn), FTPKIT_NULL_PARAMETER);
    ftpkit_entry_free(e);
    ftpkit_entry_free(NULL);
    CHECK(ftpkit_entry_parse_mlsd(S("type=file no-semicolon"), &e) != FTPKIT_OK);
    CHECK_RESULT(ftpkit_entry_parse_mlsd(S("x"), NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_entry_size(NULL, &has, &size), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_entry_modified(NULL, &has, &secs), FTPKIT_NULL_PARAMETER);
}

static void test_transcript(void) {
    const char *text = "ftp> passive\n"
                       "---> PORT 192,168,150,80,14,178\n"
                       "200 PORT command successful.\n"
                       "---> PWD\n"
                       "257 \"/home/x\" is cwd\n"
                       "---> PASV\n"
                       "227 Entering Passive Mode (192,168,150,90,195,149).\n"
                       "---> LIST\n"
                       "150 Opening ASCII mode data connection\n"
                       "226 Transfer complete.\n"
                       "777 bogus\n";
    ftpkit_transcript *t = NULL;
    CHECK_RESULT(ftpkit_transcript_decode((const uint8_t *)text, strlen(text), &t), FTPKIT_OK);
    size_t len = ftpkit_transcript_len(t);
    CHECK(len >= 9);
    const ftpkit_item *port = ftpkit_transcript_item(t, 0);
    CHECK(ftpkit_item_kind(port) == FTPKIT_ITEM_COMMAND && ftpkit_item_line(port) == 2);
    const uint8_t *p;
    size_t n;
    bool has;
    ftpkit_hostport hp;
    CHECK_RESULT(ftpkit_item_verb(port, &p, &n), FTPKIT_OK);
    CHECK(eq(p, n, "PORT"));
    CHECK_RESULT(ftpkit_item_arg(port, &p, &n, &has), FTPKIT_OK);
    CHECK(has && eq(p, n, "192,168,150,80,14,178"));
    CHECK_RESULT(ftpkit_item_input(port, &p, &n), FTPKIT_OK);
    CHECK(eq(p, n, "PORT 192,168,150,80,14,178"));
    CHECK_RESULT(ftpkit_item_endpoint(port, &has, &hp), FTPKIT_OK);
    CHECK(has && hp.port == 3762 && hp.family == 4);
    CHECK_RESULT(ftpkit_item_explain(port, &p, &n), FTPKIT_OK);
    CHECK(n > 10);
    /* Wrong kind: a command has no code, text or error. */
    CHECK(ftpkit_item_code(port) == 0 && ftpkit_item_text_count(port) == 0);
    CHECK_RESULT(ftpkit_item_text_line(port, 0, &p, &n), FTPKIT_INVALID_STATE);
    CHECK_RESULT(ftpkit_item_error(port, &p, &n), FTPKIT_INVALID_STATE);
    CHECK(ftpkit_item_error_kind(port) == FTPKIT_OK);
    const ftpkit_item *pwd = ftpkit_transcript_item(t, 3);
    CHECK(ftpkit_item_kind(pwd) == FTPKIT_ITEM_REPLY && ftpkit_item_code(pwd) == 257);
    CHECK_RESULT(ftpkit_item_path(pwd, &p, &n, &has), FTPKIT_OK);
    CHECK(has && eq(p, n, "/home/x"));
    CHECK_RESULT(ftpkit_item_text_line(pwd, 0, &p, &n), FTPKIT_OK);
    CHECK_RESULT(ftpkit_item_text_line(pwd, 5, &p, &n), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_item_verb(pwd, &p, &n), FTPKIT_INVALID_STATE);
    CHECK_RESULT(ftpkit_item_arg(pwd, &p, &n, &has), FTPKIT_INVALID_STATE);
    CHECK_RESULT(ftpkit_item_path(port, &p, &n, &has), FTPKIT_OK);
    CHECK(!has);
    const ftpkit_item *last = ftpkit_transcript_item(t, len - 1);
    CHECK(ftpkit_item_kind(last) == FTPKIT_ITEM_ERROR);
    CHECK_RESULT(ftpkit_item_error(last, &p, &n), FTPKIT_OK);
    CHECK(ftpkit_item_error_kind(last) != FTPKIT_OK);
    CHECK(ftpkit_transcript_item(t, len) == NULL);
    /* The timeline, with and without the control connection's addresses. */
    char small[8];
    size_t needed = 0;
    CHECK_RESULT(ftpkit_transcript_timeline(t, NULL, NULL, 0, (uint8_t *)small, sizeof small, &needed),
                 FTPKIT_BUFFER_TOO_SMALL);
    char *tl = malloc(needed + 1);
    CHECK_RESULT(ftpkit_transcript_timeline(t, NULL, NULL, 0, (uint8_t *)tl, needed + 1, &needed), FTPKIT_OK);
    CHECK(strlen(tl) == needed);
    /* The PORT was replaced by PASV before LIST: the timeline shows the passive connection and notes the PORT. */
    CHECK(strstr(tl, "50069") != NULL && strstr(tl, "PORT on line 2") != NULL);
    free(tl);
    ftpkit_hostport client;
    memset(&client, 0, sizeof client);
    client.family = 4; client.addr[0] = 192; client.addr[1] = 168; client.addr[2] = 150; client.addr[3] = 80;
    CHECK_RESULT(ftpkit_transcript_timeline(t, &client, NULL, 21, NULL, 0, &needed), FTPKIT_BUFFER_TOO_SMALL);
    client.family = 9;
    CHECK_RESULT(ftpkit_transcript_timeline(t, &client, NULL, 21, NULL, 0, &needed), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_transcript_timeline(NULL, NULL, NULL, 0, NULL, 0, &needed), FTPKIT_NULL_PARAMETER);
    ftpkit_transcript_free(t);
    /* NULL handles and invalid UTF-8. */
    CHECK(ftpkit_transcript_len(NULL) == 0 && ftpkit_transcript_item(NULL, 0) == NULL);
    CHECK(ftpkit_item_kind(NULL) == 0 && ftpkit_item_line(NULL) == 0 && ftpkit_item_code(NULL) == 0);
    CHECK(ftpkit_item_text_count(NULL) == 0 && ftpkit_item_error_kind(NULL) == FTPKIT_OK);
    CHECK_RESULT(ftpkit_item_input(NULL, &p, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_item_explain(NULL, &p, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_item_endpoint(NULL, &has, &hp), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_transcript_decode(S("---> USER \xff\n"), &t), FTPKIT_INVALID_UTF8);
    CHECK_RESULT(ftpkit_transcript_decode(NULL, 0, &t), FTPKIT_OK);
    CHECK(ftpkit_transcript_len(t) == 0);
    ftpkit_transcript_free(t);
    ftpkit_transcript_free(NULL);
    CHECK_RESULT(ftpkit_transcript_decode(S("x"), NULL), FTPKIT_NULL_PARAMETER);
}

static void test_firewall(void) {
    char buf[4096];
    size_t n = 0;
    CHECK_RESULT(ftpkit_firewall_rules(FTPKIT_FW_PASSIVE, FTPKIT_FW_SERVER, 21, 30000, 30009, FTPKIT_FW_NFT,
                                       (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_OK);
    CHECK(strstr(buf, "30000-30009") != NULL);
    CHECK_RESULT(ftpkit_firewall_rules(FTPKIT_FW_ACTIVE, FTPKIT_FW_CLIENT, 0, 0, 0, FTPKIT_FW_IPTABLES, (uint8_t *)buf,
                                       sizeof buf, &n),
                 FTPKIT_OK);
    CHECK(strstr(buf, "-A") != NULL);
    CHECK_RESULT(ftpkit_firewall_rules(FTPKIT_FW_ACTIVE, FTPKIT_FW_SERVER, 0, 0, 0, FTPKIT_FW_TEXT, (uint8_t *)buf,
                                       sizeof buf, &n),
                 FTPKIT_OK);
    CHECK_RESULT(ftpkit_firewall_rules(FTPKIT_FW_ACTIVE, FTPKIT_FW_SERVER, 0, 0, 0, FTPKIT_FW_JSON, (uint8_t *)buf,
                                       sizeof buf, &n),
                 FTPKIT_OK);
    CHECK(buf[0] == '[' || buf[0] == '{');
    CHECK_RESULT(ftpkit_firewall_rules(FTPKIT_FW_ACTIVE, FTPKIT_FW_SERVER, 0, 40000, 30000, FTPKIT_FW_TEXT,
                                       (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_RANGE);
    CHECK_RESULT(ftpkit_firewall_rules(3, FTPKIT_FW_SERVER, 0, 0, 0, FTPKIT_FW_TEXT, (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_firewall_rules(1, 3, 0, 0, 0, FTPKIT_FW_TEXT, (uint8_t *)buf, sizeof buf, &n),
                 FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_firewall_rules(1, 1, 0, 0, 0, 9, (uint8_t *)buf, sizeof buf, &n), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_firewall_rules(1, 1, 0, 0, 0, 1, (uint8_t *)buf, 4, &n), FTPKIT_BUFFER_TOO_SMALL);
}

/* Collects everything the session wants written, as one NUL-terminated string. */
static void drain(ftpkit_server_session *s, char *out, size_t cap) {
    size_t at = 0;
    out[0] = 0;
    for (;;) {
        const uint8_t *p = NULL;
        size_t n = 0;
        CHECK_RESULT(ftpkit_server_session_poll_transmit(s, &p, &n), FTPKIT_OK);
        if (n == 0) break;
        if (at + n + 1 <= cap) {
            memcpy(out + at, p, n);
            at += n;
            out[at] = 0;
        }
    }
}

/* A client at 127.0.0.1:40000 and a server at 127.0.0.1:21. */
static void loopback_pair(ftpkit_hostport *client, ftpkit_hostport *server) {
    memset(client, 0, sizeof *client);
    client->family = 4; client->addr[0] = 127; client->addr[3] = 1; client->port = 40000;
    *server = *client;
    server->port = 21;
}

/* Polls the session's next request and checks its name, text and (when not NULL) second text; its id, 0 if not. */
static uint64_t expect_request(ftpkit_server_session *s, const char *want_name, const char *want_text,
                               const char *want_text2) {
    const ftpkit_request *r = NULL;
    const uint8_t *name, *text, *text2;
    size_t nl, tl, t2l;
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r != NULL);
    if (r == NULL) return 0;
    CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, &text, &tl, &text2, &t2l), FTPKIT_OK);
    CHECK(eq(name, nl, want_name) && eq(text, tl, want_text));
    CHECK(want_text2 == NULL || eq(text2, t2l, want_text2));
    return ftpkit_request_id(r);
}

static void test_server_session(void) {
    ftpkit_hostport client, server;
    loopback_pair(&client, &server);
    ftpkit_server_session *s = NULL;
    CHECK_RESULT(ftpkit_server_session_new(&client, &server, true, 1000, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_new(NULL, &server, true, 1000, &s), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_new(&client, &server, true, 1000, &s), FTPKIT_OK);
    char out[4096];
    drain(s, out, sizeof out);
    CHECK(strncmp(out, "220 ", 4) == 0);
    /* Anonymous: logged in by the session itself, with an event. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 1000, S("USER anonymous\r\nPASS x@y\r\nPWD\r\n")), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strstr(out, "331") != NULL && strstr(out, "230") != NULL && strstr(out, "257 \"/\"") != NULL);
    const uint8_t *p;
    size_t n;
    CHECK_RESULT(ftpkit_server_session_poll_event(s, &p, &n), FTPKIT_OK);
    CHECK(eq(p, n, "logged_in"));
    CHECK_RESULT(ftpkit_server_session_poll_event(s, &p, &n), FTPKIT_OK);
    CHECK(n == 0);
    /* SIZE asks the caller; the answer becomes 213. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 1000, S("SIZE /a b.txt\r\n")), FTPKIT_OK);
    const ftpkit_request *r = NULL;
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r != NULL);
    const uint8_t *name, *text, *text2;
    size_t nl, tl, t2l;
    CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, &text, &tl, &text2, &t2l), FTPKIT_OK);
    CHECK(eq(name, nl, "size") && eq(text, tl, "/a b.txt") && t2l == 0);
    CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, NULL, &tl, &text2, &t2l), FTPKIT_NULL_PARAMETER);
    uint64_t id = ftpkit_request_id(r);
    CHECK(ftpkit_request_id(NULL) == 0);
    CHECK_RESULT(ftpkit_server_session_complete(s, 1000, id + 1000, FTPKIT_OUTCOME_SIZE, 123), FTPKIT_INVALID_STATE);
    CHECK_RESULT(ftpkit_server_session_complete(s, 1000, id, 999, 0), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_complete(s, 1000, id, FTPKIT_OUTCOME_SIZE, 123), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strcmp(out, "213 123\r\n") == 0);
    /* Completed once: a second answer is a caller error. */
    CHECK_RESULT(ftpkit_server_session_complete(s, 1000, id, FTPKIT_OUTCOME_SIZE, 1), FTPKIT_INVALID_STATE);
    /* Injection in a path argument never reaches the caller. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 1000, S("QUIT\r\n")), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strncmp(out, "221", 3) == 0);
    CHECK(ftpkit_server_session_is_closed(s));
    CHECK(ftpkit_server_session_handle_input(s, 1000, S("NOOP\r\n")) != FTPKIT_OK);
    ftpkit_server_session_free(s);

    /* A named user: the caller checks the password. */
    CHECK_RESULT(ftpkit_server_session_new(&client, &server, false, 1000, &s), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 1000, S("USER alice\r\nPASS secret\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r != NULL);
    CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, &text, &tl, &text2, &t2l), FTPKIT_OK);
    CHECK(eq(name, nl, "authenticate") && eq(text, tl, "alice") && eq(text2, t2l, "secret"));
    CHECK_RESULT(ftpkit_server_session_complete(s, 1000, ftpkit_request_id(r), FTPKIT_OUTCOME_LOGGED_IN_READ_WRITE, 0),
                 FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strstr(out, "230") != NULL);
    /* PASV: the caller binds a listener and says where. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 1000, S("PASV\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r != NULL);
    CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, &text, &tl, &text2, &t2l), FTPKIT_OK);
    CHECK(eq(name, nl, "listen_passive"));
    ftpkit_hostport bound = server;
    bound.port = 50000;
    CHECK_RESULT(ftpkit_server_session_complete_bound(s, 2000, ftpkit_request_id(r), NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_complete_bound(s, 2000, ftpkit_request_id(r), &bound), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strstr(out, "227 Entering Passive Mode (127,0,0,1,195,80)") != NULL);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r == NULL);
    /* MDTM: the caller answers with the time; a time that does not read leaves the request open. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 2000, S("MDTM a.txt\r\n")), FTPKIT_OK);
    uint64_t id_mtime = expect_request(s, "mtime", "/a.txt", NULL);
    CHECK_RESULT(ftpkit_server_session_complete_time(s, 2000, id_mtime, S("2024-01-02")), FTPKIT_SYNTAX);
    CHECK_RESULT(ftpkit_server_session_complete_time(s, 2000, id_mtime, S("20240102030405")), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strcmp(out, "213 20240102030405\r\n") == 0);
    /* MFMT and SITE CHMOD: the second text carries the time and the octal mode. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 2000, S("MFMT 20200304050607 a.txt\r\n")), FTPKIT_OK);
    uint64_t id_set_mtime = expect_request(s, "set_mtime", "/a.txt", "20200304050607");
    CHECK_RESULT(ftpkit_server_session_complete(s, 2000, id_set_mtime, FTPKIT_OUTCOME_OK, 0), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strncmp(out, "213 Modify=20200304050607; ", 27) == 0);
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 2000, S("SITE CHMOD 640 a.txt\r\n")), FTPKIT_OK);
    uint64_t id_chmod = expect_request(s, "chmod", "/a.txt", "640");
    CHECK_RESULT(ftpkit_server_session_complete(s, 2000, id_chmod, FTPKIT_OUTCOME_OK, 0), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strncmp(out, "200 ", 4) == 0);
    /* HASH: the caller hashes, the session writes the digest in hex. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 2000, S("HASH a.txt\r\n")), FTPKIT_OK);
    uint64_t id_hash = expect_request(s, "hash", "/a.txt", "SHA-256");
    uint8_t digest[32];
    for (int i = 0; i < 32; i++) digest[i] = (uint8_t)i;
    CHECK_RESULT(ftpkit_server_session_complete_hash(s, 2000, id_hash, 3, NULL, 32), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_complete_hash(s, 2000, id_hash, 3, digest, sizeof digest), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strcmp(out, "213 SHA-256 0-3 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f a.txt\r\n") == 0);
    /* STAT with a path: the caller's lines on the control connection, a digit-led one indented. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 2000, S("STAT .\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r != NULL);
    CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, &text, &tl, &text2, &t2l), FTPKIT_OK);
    CHECK(eq(name, nl, "list_lines") && eq(text, tl, "/") && t2l > 0);
    CHECK_RESULT(ftpkit_server_session_complete_lines(s, 2000, ftpkit_request_id(r), S("a\rb\n")),
                 FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_complete_lines(
                     s, 2000, ftpkit_request_id(r), S("-rw-r--r-- 1 ftp ftp 3 Jan  1  2024 a.txt\r\n226 trick\n")),
                 FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strncmp(out, "213-", 4) == 0);
    CHECK(strstr(out, "\r\n-rw-r--r-- 1 ftp ftp 3 Jan  1  2024 a.txt\r\n 226 trick\r\n213 ") != NULL);
    /* Bad parameters. */
    CHECK_RESULT(ftpkit_server_session_handle_input(NULL, 1000, S("x")), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 1000, NULL, 1), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_poll_transmit(s, NULL, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_poll_event(NULL, &p, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_complete(NULL, 1000, 1, FTPKIT_OUTCOME_OK, 0), FTPKIT_NULL_PARAMETER);
    CHECK(!ftpkit_server_session_is_closed(NULL));
    ftpkit_server_session_free(s);
    ftpkit_server_session_free(NULL);
}

/* The server session's one timer on the caller's clock: idle (300 s), then data connect (30 s). */
static void test_server_timers(void) {
    ftpkit_hostport client, server;
    loopback_pair(&client, &server);
    ftpkit_server_session *s = NULL;
    char out[4096];
    bool has = false;
    uint64_t at = 0;
    CHECK_RESULT(ftpkit_server_session_new(&client, &server, true, 5000, &s), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK_RESULT(ftpkit_server_session_poll_timeout(s, &has, &at), FTPKIT_OK);
    CHECK(has && at == 5000 + 300000);
    /* Early and spurious calls change nothing; input re-arms the idle timer from its own now_ms. */
    CHECK_RESULT(ftpkit_server_session_handle_timeout(s, at - 1), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(out[0] == 0 && !ftpkit_server_session_is_closed(s));
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 100000, S("USER anonymous\r\nPASS x@y\r\n")), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK_RESULT(ftpkit_server_session_poll_timeout(s, &has, &at), FTPKIT_OK);
    CHECK(has && at == 100000 + 300000);
    /* A reading earlier than the session's first counts as that first one (the clock is monotonic). */
    CHECK_RESULT(ftpkit_server_session_handle_timeout(s, 0), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(out[0] == 0);
    /* PASV: once the listener is bound, the timer waits for the client's data connection. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, 110000, S("PASV\r\nLIST\r\n")), FTPKIT_OK);
    const ftpkit_request *r = NULL;
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r != NULL);
    ftpkit_hostport bound = server;
    bound.port = 50000;
    CHECK_RESULT(ftpkit_server_session_complete_bound(s, 120000, ftpkit_request_id(r), &bound), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strstr(out, "227 ") != NULL);
    /* LIST asks whether the path exists, then waits for the data connection. */
    for (int i = 0; i < 4; i++) {
        CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
        if (r == NULL) break;
        const uint8_t *name, *text, *text2;
        size_t nl, tl, t2l;
        CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, &text, &tl, &text2, &t2l), FTPKIT_OK);
        uint32_t o = eq(name, nl, "stat") ? FTPKIT_OUTCOME_DIR : FTPKIT_OUTCOME_OK;
        if (eq(name, nl, "list") || eq(name, nl, "stat"))
            CHECK_RESULT(ftpkit_server_session_complete(s, 120000, ftpkit_request_id(r), o, 0), FTPKIT_OK);
    }
    drain(s, out, sizeof out);
    CHECK_RESULT(ftpkit_server_session_poll_timeout(s, &has, &at), FTPKIT_OK);
    CHECK(has && at > 120000 && at <= 120000 + 30000);
    CHECK_RESULT(ftpkit_server_session_handle_timeout(s, at), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strstr(out, "425 ") != NULL);
    CHECK(!ftpkit_server_session_is_closed(s));
    /* Back to idle; when it runs out: 421 and the close event. */
    CHECK_RESULT(ftpkit_server_session_poll_timeout(s, &has, &at), FTPKIT_OK);
    CHECK(has && at >= 120000 + 300000);
    CHECK_RESULT(ftpkit_server_session_handle_timeout(s, at), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strncmp(out, "421 ", 4) == 0);
    CHECK(ftpkit_server_session_is_closed(s));
    const uint8_t *p;
    size_t n;
    int closed = 0;
    for (int i = 0; i < 8; i++) {
        CHECK_RESULT(ftpkit_server_session_poll_event(s, &p, &n), FTPKIT_OK);
        if (n == 0) break;
        if (eq(p, n, "close")) closed = 1;
    }
    CHECK(closed);
    CHECK_RESULT(ftpkit_server_session_poll_timeout(s, &has, &at), FTPKIT_OK);
    CHECK(!has && at == 0);
    /* After the close a timeout is harmless. */
    CHECK_RESULT(ftpkit_server_session_handle_timeout(s, UINT64_MAX), FTPKIT_OK);
    /* Bad parameters. */
    CHECK_RESULT(ftpkit_server_session_poll_timeout(NULL, &has, &at), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_poll_timeout(s, NULL, &at), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_poll_timeout(s, &has, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_handle_timeout(NULL, 1), FTPKIT_NULL_PARAMETER);
    ftpkit_server_session_free(s);
}

/* ---- the client driver ---- */

/* What a drain of the client's actions saw. */
typedef struct {
    char wire[2048];  /* SEND bytes, concatenated */
    char trace[2048]; /* TRACE lines: "> sent", "< received", "= data", one per line */
    char log[1024];   /* LOG messages, one per line */
    char text[1024];  /* the DONE's bytes */
    ftpkit_action last; /* the last action: DONE, or CONNECT/LISTEN (which stop the drain), or NONE */
    int closes, resets, stops;
} seen;

static void append(char *dst, size_t cap, const char *prefix, const uint8_t *p, size_t n) {
    size_t at = strlen(dst);
    size_t pl = strlen(prefix);
    if (at + pl + n + 2 > cap) return;
    memcpy(dst + at, prefix, pl);
    memcpy(dst + at + pl, p, n);
    at += pl + n;
    if (prefix[0]) dst[at++] = '\n';
    dst[at] = 0;
}

/* Drains actions until NONE, DONE, CONNECT or LISTEN (those need the caller's answer). */
static void run(ftpkit_client *c, seen *w) {
    memset(w, 0, sizeof *w);
    for (int i = 0; i < 64; i++) {
        ftpkit_action a;
        CHECK_RESULT(ftpkit_client_poll_action(c, &a), FTPKIT_OK);
        w->last = a;
        switch (a.kind) {
        case FTPKIT_ACTION_SEND: append(w->wire, sizeof w->wire, "", a.bytes, a.len); break;
        case FTPKIT_ACTION_TRACE:
            if (a.detail == FTPKIT_TRACE_SENT) append(w->trace, sizeof w->trace, "> ", a.bytes, a.len);
            else if (a.detail == FTPKIT_TRACE_RECEIVED) append(w->trace, sizeof w->trace, "< ", a.bytes, a.len);
            else if (a.detail == FTPKIT_TRACE_DATA) {
                CHECK(a.addr.family == 4 && a.peer.family == 4 && a.len == 0);
                append(w->trace, sizeof w->trace, "= ", (const uint8_t *)"data", 4);
            }
            break;
        case FTPKIT_ACTION_LOG:
            CHECK(a.detail == FTPKIT_LOG_INFO || a.detail == FTPKIT_LOG_DEBUG);
            append(w->log, sizeof w->log, "- ", a.bytes, a.len);
            break;
        case FTPKIT_ACTION_CLOSE_DATA: w->closes++; w->resets += a.reset; break;
        case FTPKIT_ACTION_STOP_LISTENING: w->stops++; break;
        case FTPKIT_ACTION_DONE:
            append(w->text, sizeof w->text, "", a.bytes, a.len);
            return;
        default: return; /* NONE, CONNECT, LISTEN */
        }
    }
    CHECK(0 && "more than 64 actions");
}

/* Feeds a reply and drains. */
static void feed(ftpkit_client *c, uint64_t now, const char *bytes, seen *w) {
    CHECK_RESULT(ftpkit_client_handle_control(c, now, (const uint8_t *)bytes, strlen(bytes)), FTPKIT_OK);
    run(c, w);
}

static int done(const seen *w, uint32_t detail, uint16_t code) {
    return w->last.kind == FTPKIT_ACTION_DONE && w->last.result == FTPKIT_OK && w->last.detail == detail &&
           w->last.code == code;
}

static int failed(const seen *w, ftpkit_result result) {
    return w->last.kind == FTPKIT_ACTION_DONE && w->last.result == result && w->last.detail == 0;
}

static ftpkit_hostport v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    ftpkit_hostport hp;
    memset(&hp, 0, sizeof hp);
    hp.family = 4; hp.addr[0] = a; hp.addr[1] = b; hp.addr[2] = c; hp.addr[3] = d; hp.port = port;
    return hp;
}

/* A client logged in to a scripted server at 127.0.0.1:21 (FEAT lists MLSD), at now 1000. */
static ftpkit_client *logged_in(uint32_t flags) {
    ftpkit_hostport server = v4(127, 0, 0, 1, 21), local = v4(127, 0, 0, 1, 50000);
    ftpkit_client_config *cfg = NULL;
    CHECK_RESULT(ftpkit_client_config_new(&server, &local, &cfg), FTPKIT_OK);
    CHECK_RESULT(ftpkit_client_config_set_flags(cfg, flags), FTPKIT_OK);
    CHECK_RESULT(ftpkit_client_config_set_timeouts(cfg, 5000, 4000), FTPKIT_OK);
    ftpkit_client *c = NULL;
    CHECK_RESULT(ftpkit_client_new(cfg, 1000, &c), FTPKIT_OK);
    ftpkit_client_config_free(cfg);
    seen w;
    feed(c, 1000, "220 ready\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_GREETING, 220));
    CHECK_RESULT(ftpkit_client_login(c, 1000, S("alice"), S("secret"), NULL, 0), FTPKIT_OK);
    run(c, &w);
    feed(c, 1000, "331 Password please.\r\n", &w);
    feed(c, 1000, "230 Welcome.\r\n", &w);
    if (flags & FTPKIT_CLIENT_FEAT_AFTER_LOGIN) feed(c, 1000, "211-Features:\r\n MLSD\r\n SIZE\r\n211 End\r\n", &w);
    if (flags & FTPKIT_CLIENT_BINARY_AFTER_LOGIN) feed(c, 1000, "200 Binary.\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_LOGGED_IN, 230));
    return c;
}

static void test_client_config(void) {
    ftpkit_hostport server = v4(127, 0, 0, 1, 21), local = v4(127, 0, 0, 1, 50000), bad = server;
    bad.family = 5;
    ftpkit_client_config *cfg = NULL;
    CHECK_RESULT(ftpkit_client_config_new(NULL, &local, &cfg), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_new(&server, NULL, &cfg), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_new(&server, &local, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_new(&bad, &local, &cfg), FTPKIT_INVALID_PARAMETER);
    CHECK(cfg == NULL);
    CHECK_RESULT(ftpkit_client_config_new(&server, &local, &cfg), FTPKIT_OK);
    CHECK_RESULT(ftpkit_client_config_set_mode(cfg, 7), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_set_mode(NULL, FTPKIT_CLIENT_ACTIVE), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_set_flags(cfg, 0x100), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_set_flags(NULL, 0), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_set_timeouts(cfg, 0, 1000), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_set_timeouts(cfg, 1000, 0), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_config_set_timeouts(NULL, 1000, 1000), FTPKIT_NULL_PARAMETER);
    /* Active mode, PASV only, no FEAT/TYPE after login: the config is copied by _new. */
    CHECK_RESULT(ftpkit_client_config_set_mode(cfg, FTPKIT_CLIENT_ACTIVE), FTPKIT_OK);
    CHECK_RESULT(ftpkit_client_config_set_flags(cfg, 0), FTPKIT_OK);
    ftpkit_client *c = NULL;
    CHECK_RESULT(ftpkit_client_new(NULL, 0, &c), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_new(cfg, 0, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_new(cfg, 7, &c), FTPKIT_OK);
    ftpkit_client_config_free(cfg);
    ftpkit_client_config_free(NULL);
    seen w;
    /* The greeting in two pieces; no trace without the flag. */
    feed(c, 7, "220 hel", &w);
    CHECK(w.last.kind == FTPKIT_ACTION_NONE && ftpkit_client_is_busy(c));
    feed(c, 7, "lo\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_GREETING, 220) && strcmp(w.text, "hello") == 0 && w.trace[0] == 0);
    CHECK(!ftpkit_client_is_busy(c));
    CHECK_RESULT(ftpkit_client_login(c, 7, S("bob"), S("pw"), S("acct")), FTPKIT_OK);
    feed(c, 7, "", &w);
    feed(c, 7, "331 pw\r\n", &w);
    feed(c, 7, "332 account?\r\n", &w);
    CHECK(strcmp(w.wire, "ACCT acct\r\n") == 0);
    feed(c, 7, "230 in\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_LOGGED_IN, 230));
    /* Active: LISTEN on the local IP; the port comes from the caller's listener. */
    CHECK_RESULT(ftpkit_client_open(c, 7, FTPKIT_TRANSFER_NLST, NULL, 0, 0), FTPKIT_OK);
    run(c, &w);
    CHECK(w.last.kind == FTPKIT_ACTION_LISTEN && w.last.addr.family == 4 && w.last.addr.addr[0] == 127 &&
          w.last.addr.port == 0 && !w.last.secure);
    CHECK_RESULT(ftpkit_client_handle_listen_failed(c, 7, S("EADDRINUSE")), FTPKIT_OK);
    run(c, &w);
    CHECK(failed(&w, FTPKIT_INCOMPLETE) && strstr(w.text, "EADDRINUSE") != NULL);
    CHECK_RESULT(ftpkit_client_handle_listen_failed(NULL, 7, S("x")), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_listen_failed(c, 7, NULL, 3), FTPKIT_NULL_PARAMETER);
    /* Again: listening, PORT, the server's connection (first from a foreign host: refused), ABOR. */
    CHECK_RESULT(ftpkit_client_open(c, 7, FTPKIT_TRANSFER_RETR, S("f.bin"), 0), FTPKIT_OK);
    run(c, &w);
    CHECK(w.last.kind == FTPKIT_ACTION_LISTEN);
    ftpkit_hostport l = v4(127, 0, 0, 1, 50001);
    CHECK_RESULT(ftpkit_client_handle_listening(c, 7, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_listening(c, 7, &bad), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_listening(c, 7, &l), FTPKIT_OK);
    run(c, &w);
    CHECK(strcmp(w.wire, "PORT 127,0,0,1,195,81\r\n") == 0);
    feed(c, 7, "200 PORT ok\r\n", &w);
    CHECK(strcmp(w.wire, "RETR f.bin\r\n") == 0);
    CHECK(ftpkit_client_wants_accept(c));
    feed(c, 7, "150 Opening.\r\n", &w);
    bool use = true;
    ftpkit_hostport foreign = v4(10, 9, 9, 9, 20), from = v4(127, 0, 0, 1, 20);
    CHECK_RESULT(ftpkit_client_handle_accepted(c, 7, &foreign, NULL, &use), FTPKIT_OK);
    CHECK(!use);
    run(c, &w);
    CHECK(strstr(w.log, "10.9.9.9") != NULL);
    CHECK(ftpkit_client_wants_accept(c));
    CHECK_RESULT(ftpkit_client_handle_accepted(c, 7, &from, NULL, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_accepted(c, 7, NULL, NULL, &use), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_accepted(c, 7, &bad, NULL, &use), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_accepted(c, 7, &from, &l, &use), FTPKIT_OK);
    CHECK(use && !ftpkit_client_wants_accept(c));
    run(c, &w);
    CHECK(done(&w, FTPKIT_DONE_DATA_READY, 0) && w.stops == 1);
    CHECK_RESULT(ftpkit_client_abort(c, 7), FTPKIT_OK);
    run(c, &w);
    CHECK(strcmp(w.wire, "ABOR\r\n") == 0 && w.closes == 1 && w.resets == 1);
    feed(c, 7, "426 Aborted.\r\n226 ABOR done.\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_ABORTED, 226));
    /* Nothing wants a connection now. */
    CHECK_RESULT(ftpkit_client_handle_accepted(c, 7, &from, NULL, &use), FTPKIT_OK);
    CHECK(!use);
    /* Passive again for the next transfers, PASV only (the flag is off). */
    CHECK_RESULT(ftpkit_client_set_mode(c, 9), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_set_mode(NULL, FTPKIT_CLIENT_PASSIVE), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_set_mode(c, FTPKIT_CLIENT_PASSIVE), FTPKIT_OK);
    CHECK_RESULT(ftpkit_client_open(c, 7, FTPKIT_TRANSFER_STOR, S("up.bin"), 100), FTPKIT_OK);
    run(c, &w);
    CHECK(strcmp(w.wire, "PASV\r\n") == 0);
    feed(c, 7, "227 Entering Passive Mode (10,0,0,5,156,65).\r\n", &w);
    /* The 227 names a private address: the control connection's peer is used instead (and logged). */
    CHECK(w.last.kind == FTPKIT_ACTION_CONNECT && w.last.addr.addr[0] == 127 && w.last.addr.port == 40001 &&
          w.last.timeout_ms == 30000);
    CHECK_RESULT(ftpkit_client_handle_connect_failed(c, 7, S("Connection refused")), FTPKIT_OK);
    run(c, &w);
    CHECK(w.last.kind == FTPKIT_ACTION_DONE && w.last.result != FTPKIT_OK);
    CHECK_RESULT(ftpkit_client_handle_connect_failed(NULL, 7, S("x")), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_connect_failed(c, 7, NULL, 1), FTPKIT_NULL_PARAMETER);
    ftpkit_client_free(c);
}

static void test_client(void) {
    test_client_config();
    ftpkit_client *c = logged_in(FTPKIT_CLIENT_DEFAULT_FLAGS | FTPKIT_CLIENT_TRACE);
    seen w;
    ftpkit_action a;
    bool has = false;
    uint64_t at = 0;
    /* Bad calls change nothing. */
    CHECK_RESULT(ftpkit_client_start(c, 1000, FTPKIT_CALL_PWD, S("x")), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_start(c, 1000, FTPKIT_CALL_CWD, NULL, 0), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_start(c, 1000, 99, NULL, 0), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_start(c, 1000, FTPKIT_CALL_CWD, (const uint8_t *)"\xff", 1), FTPKIT_INVALID_UTF8);
    CHECK_RESULT(ftpkit_client_start(NULL, 1000, FTPKIT_CALL_PWD, NULL, 0), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_login(c, 1000, (const uint8_t *)"\xc3", 1, S("x"), NULL, 0), FTPKIT_INVALID_UTF8);
    CHECK_RESULT(ftpkit_client_login(c, 1000, S("x"), NULL, 3, NULL, 0), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_login(NULL, 1000, S("x"), S("y"), NULL, 0), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_poll_action(c, &a), FTPKIT_OK);
    CHECK(a.kind == FTPKIT_ACTION_NONE && a.bytes != NULL && a.len == 0 && !ftpkit_client_is_busy(c));
    CHECK_RESULT(ftpkit_client_poll_timeout(c, &has, &at), FTPKIT_OK);
    CHECK(!has);
    /* PWD, with the trace: the command sent, the reply received. */
    CHECK_RESULT(ftpkit_client_start(c, 1000, FTPKIT_CALL_PWD, NULL, 0), FTPKIT_OK);
    /* One call at a time. */
    CHECK_RESULT(ftpkit_client_start(c, 1000, FTPKIT_CALL_NOOP, NULL, 0), FTPKIT_INVALID_STATE);
    run(c, &w);
    CHECK(strcmp(w.wire, "PWD\r\n") == 0 && strcmp(w.trace, "> PWD\n") == 0);
    CHECK_RESULT(ftpkit_client_poll_timeout(c, &has, &at), FTPKIT_OK);
    CHECK(has && at == 1000 + 5000);
    feed(c, 1200, "257 \"/home/alice\" is the current directory\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_PATH, 0) && strcmp(w.text, "/home/alice") == 0);
    CHECK(strcmp(w.trace, "< 257 \"/home/alice\" is the current directory\n") == 0);
    /* SIZE, MDTM, CWD, CDUP, MKD, RMD, SITE, NOOP, FEAT. */
    CHECK_RESULT(ftpkit_client_start(c, 1300, FTPKIT_CALL_SIZE, S("a b.txt")), FTPKIT_OK);
    run(c, &w);
    CHECK(strcmp(w.wire, "SIZE a b.txt\r\n") == 0);
    feed(c, 1300, "213 1234\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_SIZE, 0) && w.last.value == 1234);
    CHECK_RESULT(ftpkit_client_start(c, 1300, FTPKIT_CALL_MDTM, S("a b.txt")), FTPKIT_OK);
    feed(c, 1300, "213 20200102030405\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_MODIFIED, 0) && w.last.time == 1577934245);
    static const struct { uint32_t call; const char *arg, *sent, *reply; uint32_t detail; uint16_t code; } simple[] = {
        {FTPKIT_CALL_CWD, "pub", "CWD pub\r\n", "250 Okay.\r\n", FTPKIT_DONE_OK, 250},
        {FTPKIT_CALL_CDUP, NULL, "CDUP\r\n", "200 Okay.\r\n", FTPKIT_DONE_OK, 200},
        {FTPKIT_CALL_MKD, "new", "MKD new\r\n", "257 \"/new\" created\r\n", FTPKIT_DONE_PATH, 0},
        {FTPKIT_CALL_RMD, "new", "RMD new\r\n", "250 Removed.\r\n", FTPKIT_DONE_OK, 250},
        {FTPKIT_CALL_SITE, "CHMOD 644 a", "SITE CHMOD 644 a\r\n", "200 Done.\r\n", FTPKIT_DONE_OK, 200},
        {FTPKIT_CALL_NOOP, NULL, "NOOP\r\n", "200 Zzz.\r\n", FTPKIT_DONE_OK, 200},
        {FTPKIT_CALL_FEAT, NULL, "FEAT\r\n", "211-Features:\r\n MLSD\r\n211 End\r\n", FTPKIT_DONE_FEATURES, 0},
        {FTPKIT_CALL_RAW, "HELP", "HELP\r\n", "214 Help.\r\n", FTPKIT_DONE_REPLY, 214},
        {FTPKIT_CALL_RAW, "STAT", "STAT\r\n", "502 Not here.\r\n", FTPKIT_DONE_REPLY, 502},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        const char *arg = simple[i].arg;
        CHECK_RESULT(ftpkit_client_start(c, 1400, simple[i].call, (const uint8_t *)arg, arg ? strlen(arg) : 0),
                     FTPKIT_OK);
        run(c, &w);
        CHECK(strcmp(w.wire, simple[i].sent) == 0);
        feed(c, 1400, simple[i].reply, &w);
        CHECK(done(&w, simple[i].detail, simple[i].code));
    }
    /* A refusal: the code and the message. */
    CHECK_RESULT(ftpkit_client_start(c, 1500, FTPKIT_CALL_DELE, S("gone.txt")), FTPKIT_OK);
    feed(c, 1500, "550 No such file.\r\n", &w);
    CHECK(failed(&w, FTPKIT_REFUSED) && w.last.code == 550 && strstr(w.text, "No such file") != NULL);
    char detail[256];
    size_t n = 0;
    CHECK_RESULT(ftpkit_error_detail((uint8_t *)detail, sizeof detail, &n), FTPKIT_OK);
    CHECK(strstr(detail, "550") != NULL);
    /* Injection never reaches the wire: the call fails at once. */
    CHECK_RESULT(ftpkit_client_start(c, 1500, FTPKIT_CALL_RAW, S("NOOP\r\nDELE x")), FTPKIT_OK);
    run(c, &w);
    CHECK(w.last.kind == FTPKIT_ACTION_DONE && w.last.result != FTPKIT_OK && w.wire[0] == 0);
    CHECK_RESULT(ftpkit_client_start(c, 1500, FTPKIT_CALL_CWD, S("a\r\nDELE b")), FTPKIT_OK);
    run(c, &w);
    CHECK(failed(&w, FTPKIT_INJECTION) && w.wire[0] == 0);
    /* Rename: RNFR, 350, RNTO. */
    CHECK_RESULT(ftpkit_client_rename(c, 1600, S("a"), S("b")), FTPKIT_OK);
    run(c, &w);
    CHECK(strcmp(w.wire, "RNFR a\r\n") == 0);
    feed(c, 1600, "350 Go on.\r\n", &w);
    CHECK(strcmp(w.wire, "RNTO b\r\n") == 0);
    feed(c, 1600, "250 Renamed.\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_OK, 250));
    CHECK_RESULT(ftpkit_client_rename(c, 1600, NULL, 1, S("b")), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_rename(NULL, 1600, S("a"), S("b")), FTPKIT_NULL_PARAMETER);
    /* Finish or abort with no transfer open: the call's DONE says so. */
    CHECK_RESULT(ftpkit_client_finish(c, 1600, FTPKIT_DATA_EOF), FTPKIT_OK);
    run(c, &w);
    CHECK(failed(&w, FTPKIT_INVALID_STATE));
    CHECK_RESULT(ftpkit_client_abort(c, 1600), FTPKIT_OK);
    run(c, &w);
    CHECK(failed(&w, FTPKIT_INVALID_STATE));
    CHECK_RESULT(ftpkit_client_finish(c, 1600, 42), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_finish(NULL, 1600, FTPKIT_DATA_EOF), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_abort(NULL, 1600), FTPKIT_NULL_PARAMETER);
    /* A listing: the driver picks MLSD (FEAT listed it), EPSV first, the caller connects. */
    CHECK_RESULT(ftpkit_client_open(c, 2000, 99, NULL, 0, 0), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_open(c, 2000, FTPKIT_TRANSFER_RETR, NULL, 0, 0), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_open(c, 2000, FTPKIT_TRANSFER_STOU, S("x"), 0), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_open(NULL, 2000, FTPKIT_TRANSFER_LIST, NULL, 0, 0), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_open(c, 2000, FTPKIT_TRANSFER_LISTING, S("/pub"), 0), FTPKIT_OK);
    run(c, &w);
    CHECK(strcmp(w.wire, "EPSV\r\n") == 0);
    feed(c, 2000, "229 Entering Extended Passive Mode (|||40001|)\r\n", &w);
    CHECK(w.last.kind == FTPKIT_ACTION_CONNECT && w.last.addr.family == 4 && w.last.addr.addr[0] == 127 &&
          w.last.addr.addr[3] == 1 && w.last.addr.port == 40001 && w.last.timeout_ms == 4000 && !w.last.secure);
    ftpkit_hostport dl = v4(127, 0, 0, 1, 51000), dr = v4(127, 0, 0, 1, 40001), bad = dl;
    bad.family = 0;
    CHECK_RESULT(ftpkit_client_handle_connected(NULL, 2000, NULL, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_connected(c, 2000, &bad, &dr), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_connected(c, 2000, &dl, &dr), FTPKIT_OK);
    run(c, &w);
    CHECK(strcmp(w.wire, "MLSD /pub\r\n") == 0 && strstr(w.trace, "= data") != NULL);
    feed(c, 2000, "150 Here it comes.\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_DATA_READY, 0));
    CHECK_RESULT(ftpkit_client_finish(c, 2100, FTPKIT_DATA_EOF), FTPKIT_OK);
    feed(c, 2100, "226 Done.\r\n", &w);
    CHECK(done(&w, FTPKIT_DONE_TRANSFERRED, 226) && strcmp(w.text, "Done.") == 0);
    /* LIST with EPSV refused: PASV follows. */
    CHECK_RESULT(ftpkit_client_open(c, 2200, FTPKIT_TRANSFER_LIST, NULL, 0, 0), FTPKIT_OK);
    feed(c, 2200, "", &w);
    feed(c, 2200, "500 EPSV? Never heard of it.\r\n", &w);
    CHECK(strcmp(w.wire, "PASV\r\n") == 0);
    feed(c, 2200, "227 Entering Passive Mode (127,0,0,1,156,66).\r\n", &w);
    CHECK(w.last.kind == FTPKIT_ACTION_CONNECT && w.last.addr.port == 40002);
    CHECK_RESULT(ftpkit_client_handle_connected(c, 2200, NULL, NULL), FTPKIT_OK);
    run(c, &w);
    CHECK(strcmp(w.wire, "LIST\r\n") == 0);
    /* The transfer fails on the server's side: the call's DONE carries the code. */
    feed(c, 2200, "550 No listing.\r\n", &w);
    CHECK(w.last.kind == FTPKIT_ACTION_DONE && w.last.result != FTPKIT_OK && w.last.code == 550);
    /* Every other transfer kind's command. */
    static const struct { uint32_t kind; const char *path; uint64_t rest; const char *sent; } kinds[] = {
        {FTPKIT_TRANSFER_RETR, "a", 0, "RETR a\r\n"},       {FTPKIT_TRANSFER_RETR, "a", 10, "REST 10\r\n"},
        {FTPKIT_TRANSFER_STOR, "b", 0, "STOR b\r\n"},       {FTPKIT_TRANSFER_APPE, "c", 0, "APPE c\r\n"},
        {FTPKIT_TRANSFER_STOU, NULL, 0, "STOU\r\n"},        {FTPKIT_TRANSFER_NLST, NULL, 0, "NLST\r\n"},
        {FTPKIT_TRANSFER_MLSD, "d", 0, "MLSD d\r\n"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *p = kinds[i].path;
        CHECK_RESULT(ftpkit_client_open(c, 3000, kinds[i].kind, (const uint8_t *)p, p ? strlen(p) : 0, kinds[i].rest),
                     FTPKIT_OK);
        feed(c, 3000, "", &w);
        feed(c, 3000, "227 Entering Passive Mode (127,0,0,1,156,67).\r\n", &w); /* EPSV was refused above */
        CHECK_RESULT(ftpkit_client_handle_connected(c, 3000, NULL, NULL), FTPKIT_OK);
        run(c, &w);
        CHECK(strcmp(w.wire, kinds[i].sent) == 0);
        feed(c, 3000, kinds[i].rest ? "350 Restarting.\r\n" : "", &w);
        feed(c, 3000, "425 No data connection.\r\n", &w);
        CHECK(w.last.kind == FTPKIT_ACTION_DONE && w.last.result != FTPKIT_OK);
    }
    /* The deadline on the caller's clock: early timeouts do nothing; at the deadline the call ends. */
    CHECK_RESULT(ftpkit_client_start(c, 10000, FTPKIT_CALL_NOOP, NULL, 0), FTPKIT_OK);
    run(c, &w);
    CHECK_RESULT(ftpkit_client_poll_timeout(c, &has, &at), FTPKIT_OK);
    CHECK(has && at == 15000);
    CHECK_RESULT(ftpkit_client_poll_timeout(NULL, &has, &at), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_poll_timeout(c, NULL, &at), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_poll_timeout(c, &has, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_timeout(c, 14999), FTPKIT_OK);
    run(c, &w);
    CHECK(w.last.kind == FTPKIT_ACTION_NONE && ftpkit_client_is_busy(c));
    CHECK_RESULT(ftpkit_client_handle_timeout(c, 15000), FTPKIT_OK);
    run(c, &w);
    CHECK(failed(&w, FTPKIT_INCOMPLETE) && strstr(w.text, "timed out") != NULL);
    CHECK_RESULT(ftpkit_client_handle_timeout(NULL, 1), FTPKIT_NULL_PARAMETER);
    /* The session is over after a timeout. */
    CHECK_RESULT(ftpkit_client_start(c, 16000, FTPKIT_CALL_NOOP, NULL, 0), FTPKIT_OK);
    run(c, &w);
    CHECK(failed(&w, FTPKIT_CLOSED));
    /* Bad parameters of the remaining functions. */
    CHECK_RESULT(ftpkit_client_poll_action(NULL, &a), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_poll_action(c, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_control(NULL, 1, S("x")), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_control(c, 1, NULL, 2), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_handle_control_closed(NULL, 1), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_client_close(NULL, 1), FTPKIT_NULL_PARAMETER);
    CHECK(!ftpkit_client_is_busy(NULL) && !ftpkit_client_wants_accept(NULL));
    ftpkit_client_free(c);
    ftpkit_client_free(NULL);

    /* QUIT: 221, or the server closing the connection. Any other call ends with FTPKIT_CLOSED when the connection
     * ends, or when the caller gives up (ftpkit_client_close). */
    static const struct { uint32_t flags, call; int how; uint32_t detail; ftpkit_result r; } ends[] = {
        {0, FTPKIT_CALL_QUIT, 0, FTPKIT_DONE_QUIT, FTPKIT_OK},
        {FTPKIT_CLIENT_FEAT_AFTER_LOGIN, FTPKIT_CALL_QUIT, 1, FTPKIT_DONE_QUIT, FTPKIT_OK},
        {FTPKIT_CLIENT_BINARY_AFTER_LOGIN, FTPKIT_CALL_NOOP, 1, 0, FTPKIT_CLOSED},
        {FTPKIT_CLIENT_DEFAULT_FLAGS, FTPKIT_CALL_PWD, 2, 0, FTPKIT_CLOSED},
    };
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        c = logged_in(ends[i].flags);
        CHECK_RESULT(ftpkit_client_start(c, 1000, ends[i].call, NULL, 0), FTPKIT_OK);
        run(c, &w);
        if (ends[i].how == 0) CHECK_RESULT(ftpkit_client_handle_control(c, 1000, S("221 Bye.\r\n")), FTPKIT_OK);
        if (ends[i].how == 1) CHECK_RESULT(ftpkit_client_handle_control_closed(c, 1000), FTPKIT_OK);
        if (ends[i].how == 2) CHECK_RESULT(ftpkit_client_close(c, 1000), FTPKIT_OK);
        run(c, &w);
        CHECK(w.last.kind == FTPKIT_ACTION_DONE && w.last.detail == ends[i].detail && w.last.result == ends[i].r);
        ftpkit_client_free(c);
    }

    /* Bytes that are no replies end the session; a login refused. */
    ftpkit_hostport server = v4(127, 0, 0, 1, 21), local = v4(127, 0, 0, 1, 50000);
    ftpkit_client_config *cfg = NULL;
    CHECK_RESULT(ftpkit_client_config_new(&server, &local, &cfg), FTPKIT_OK);
    CHECK_RESULT(ftpkit_client_new(cfg, 0, &c), FTPKIT_OK);
    feed(c, 0, "HTTP/1.1 400 Bad Request\r\n", &w);
    CHECK(w.last.kind == FTPKIT_ACTION_DONE && w.last.result != FTPKIT_OK && w.last.len > 0);
    ftpkit_client_free(c);
    CHECK_RESULT(ftpkit_client_new(cfg, 0, &c), FTPKIT_OK);
    feed(c, 0, "220 hi\r\n", &w);
    CHECK_RESULT(ftpkit_client_login(c, 0, S("alice"), S("wrong"), NULL, 0), FTPKIT_OK);
    feed(c, 0, "331 pw\r\n", &w);
    feed(c, 0, "530 Login incorrect.\r\n", &w);
    CHECK(failed(&w, FTPKIT_REFUSED) && w.last.code == 530 && strstr(w.text, "Login incorrect") != NULL);
    ftpkit_client_free(c);
    ftpkit_client_config_free(cfg);
}

int main(void) {
    test_results();
    test_reply_decoder();
    test_command_decoder();
    test_format();
    test_hostport();
    test_text();
    test_listing();
    test_transcript();
    test_firewall();
    test_server_session();
    test_server_timers();
    test_client();
    printf("test_api: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
