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
    CHECK_RESULT(ftpkit_command_decoder_next(d, &c), FTPKIT_OK);
    CHECK_RESULT(ftpkit_command_arg(c, &p, &n, &has), FTPKIT_OK);
    CHECK(!has && n == 0);
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

static void test_server_session(void) {
    ftpkit_hostport client, server;
    memset(&client, 0, sizeof client);
    client.family = 4; client.addr[0] = 127; client.addr[3] = 1; client.port = 40000;
    server = client;
    server.port = 21;
    ftpkit_server_session *s = NULL;
    CHECK_RESULT(ftpkit_server_session_new(&client, &server, true, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_new(NULL, &server, true, &s), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_new(&client, &server, true, &s), FTPKIT_OK);
    char out[4096];
    drain(s, out, sizeof out);
    CHECK(strncmp(out, "220 ", 4) == 0);
    /* Anonymous: logged in by the session itself, with an event. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, S("USER anonymous\r\nPASS x@y\r\nPWD\r\n")), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strstr(out, "331") != NULL && strstr(out, "230") != NULL && strstr(out, "257 \"/\"") != NULL);
    const uint8_t *p;
    size_t n;
    CHECK_RESULT(ftpkit_server_session_poll_event(s, &p, &n), FTPKIT_OK);
    CHECK(eq(p, n, "logged_in"));
    CHECK_RESULT(ftpkit_server_session_poll_event(s, &p, &n), FTPKIT_OK);
    CHECK(n == 0);
    /* SIZE asks the caller; the answer becomes 213. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, S("SIZE /a b.txt\r\n")), FTPKIT_OK);
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
    CHECK_RESULT(ftpkit_server_session_complete(s, id + 1000, FTPKIT_OUTCOME_SIZE, 123), FTPKIT_INVALID_STATE);
    CHECK_RESULT(ftpkit_server_session_complete(s, id, 999, 0), FTPKIT_INVALID_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_complete(s, id, FTPKIT_OUTCOME_SIZE, 123), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strcmp(out, "213 123\r\n") == 0);
    /* Completed once: a second answer is a caller error. */
    CHECK_RESULT(ftpkit_server_session_complete(s, id, FTPKIT_OUTCOME_SIZE, 1), FTPKIT_INVALID_STATE);
    /* Injection in a path argument never reaches the caller. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, S("QUIT\r\n")), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strncmp(out, "221", 3) == 0);
    CHECK(ftpkit_server_session_is_closed(s));
    CHECK(ftpkit_server_session_handle_input(s, S("NOOP\r\n")) != FTPKIT_OK);
    ftpkit_server_session_free(s);

    /* A named user: the caller checks the password. */
    CHECK_RESULT(ftpkit_server_session_new(&client, &server, false, &s), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK_RESULT(ftpkit_server_session_handle_input(s, S("USER alice\r\nPASS secret\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r != NULL);
    CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, &text, &tl, &text2, &t2l), FTPKIT_OK);
    CHECK(eq(name, nl, "authenticate") && eq(text, tl, "alice") && eq(text2, t2l, "secret"));
    CHECK_RESULT(ftpkit_server_session_complete(s, ftpkit_request_id(r), FTPKIT_OUTCOME_LOGGED_IN_READ_WRITE, 0),
                 FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strstr(out, "230") != NULL);
    /* PASV: the caller binds a listener and says where. */
    CHECK_RESULT(ftpkit_server_session_handle_input(s, S("PASV\r\n")), FTPKIT_OK);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r != NULL);
    CHECK_RESULT(ftpkit_request_fields(r, &name, &nl, &text, &tl, &text2, &t2l), FTPKIT_OK);
    CHECK(eq(name, nl, "listen_passive"));
    ftpkit_hostport bound = server;
    bound.port = 50000;
    CHECK_RESULT(ftpkit_server_session_complete_bound(s, ftpkit_request_id(r), NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_complete_bound(s, ftpkit_request_id(r), &bound), FTPKIT_OK);
    drain(s, out, sizeof out);
    CHECK(strstr(out, "227 Entering Passive Mode (127,0,0,1,195,80)") != NULL);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, &r), FTPKIT_OK);
    CHECK(r == NULL);
    /* Bad parameters. */
    CHECK_RESULT(ftpkit_server_session_handle_input(NULL, S("x")), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_handle_input(s, NULL, 1), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_poll_transmit(s, NULL, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_poll_request(s, NULL), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_poll_event(NULL, &p, &n), FTPKIT_NULL_PARAMETER);
    CHECK_RESULT(ftpkit_server_session_complete(NULL, 1, FTPKIT_OUTCOME_OK, 0), FTPKIT_NULL_PARAMETER);
    CHECK(!ftpkit_server_session_is_closed(NULL));
    ftpkit_server_session_free(s);
    ftpkit_server_session_free(NULL);
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
    printf("test_api: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
