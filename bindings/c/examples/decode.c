/*
 * decode: reads a transcript on stdin (an `ftp -d` session or a log of `---> CMD` / `NNN text` lines) and prints,
 * for each item, the JSON line `ftpkit decode --json` prints for it. The JSON is rendered here, in C, from the
 * fields the C API gives, so comparing the two outputs checks the binding. Exit 0 when every line decoded, 1 when
 * some did not, 2 on bad input (invalid UTF-8) or an internal failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftpkit.h"

/* Writes a JSON string the way serde_json does: ", \ and control characters escaped, the rest as is (UTF-8). */
static void json_str(const uint8_t *s, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        switch (c) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\b': fputs("\\b", stdout); break;
        case '\f': fputs("\\f", stdout); break;
        default:
            if (c < 0x20) {
                printf("\\u%04x", c);
            } else {
                putchar(c);
            }
        }
    }
    putchar('"');
}

static int fail(const char *what, ftpkit_result r) {
    char detail[512];
    size_t needed = 0;
    if (ftpkit_error_detail((uint8_t *)detail, sizeof detail, &needed) != FTPKIT_OK) {
        detail[0] = 0;
    }
    fprintf(stderr, "decode: %s: %s (%s)\n", what, ftpkit_result_name(r), detail);
    return 2;
}

/* Prints the "endpoint" member when the item announces one. */
static int endpoint(const ftpkit_item *item) {
    bool has = false;
    ftpkit_hostport hp;
    ftpkit_result r = ftpkit_item_endpoint(item, &has, &hp);
    if (r != FTPKIT_OK) return fail("endpoint", r);
    if (!has) return 0;
    fputs(",\"endpoint\":{\"ip\":", stdout);
    if (hp.family == 0) {
        fputs("null", stdout);
    } else {
        char ip[64];
        size_t n = 0;
        r = ftpkit_hostport_ip_text(&hp, (uint8_t *)ip, sizeof ip, &n);
        if (r != FTPKIT_OK) return fail("ip text", r);
        json_str((const uint8_t *)ip, n);
    }
    printf(",\"port\":%u}", (unsigned)hp.port);
    return 0;
}

static int explain(const ftpkit_item *item) {
    const uint8_t *p;
    size_t n;
    ftpkit_result r = ftpkit_item_explain(item, &p, &n);
    if (r != FTPKIT_OK) return fail("explain", r);
    fputs(",\"explain\":", stdout);
    json_str(p, n);
    return 0;
}

static int print_item(const ftpkit_item *item) {
    const uint8_t *p;
    size_t n;
    bool has;
    ftpkit_result r;
    size_t line = ftpkit_item_line(item);
    switch (ftpkit_item_kind(item)) {
    case FTPKIT_ITEM_COMMAND:
        printf("{\"kind\":\"command\",\"line\":%zu,\"verb\":", line);
        if ((r = ftpkit_item_verb(item, &p, &n)) != FTPKIT_OK) return fail("verb", r);
        json_str(p, n);
        fputs(",\"arg\":", stdout);
        if ((r = ftpkit_item_arg(item, &p, &n, &has)) != FTPKIT_OK) return fail("arg", r);
        if (has) json_str(p, n); else fputs("null", stdout);
        if (endpoint(item)) return 2;
        if (explain(item)) return 2;
        break;
    case FTPKIT_ITEM_REPLY:
        printf("{\"kind\":\"reply\",\"line\":%zu,\"code\":%u,\"text\":[", line, (unsigned)ftpkit_item_code(item));
        for (size_t i = 0; i < ftpkit_item_text_count(item); i++) {
            if ((r = ftpkit_item_text_line(item, i, &p, &n)) != FTPKIT_OK) return fail("text", r);
            if (i) putchar(',');
            json_str(p, n);
        }
        putchar(']');
        if (endpoint(item)) return 2;
        if ((r = ftpkit_item_path(item, &p, &n, &has)) != FTPKIT_OK) return fail("path", r);
        if (has) {
            fputs(",\"path\":", stdout);
            json_str(p, n);
        }
        if (explain(item)) return 2;
        break;
    case FTPKIT_ITEM_ERROR:
        printf("{\"kind\":\"error\",\"line\":%zu,\"input\":", line);
        if ((r = ftpkit_item_input(item, &p, &n)) != FTPKIT_OK) return fail("input", r);
        json_str(p, n);
        fputs(",\"error\":", stdout);
        if ((r = ftpkit_item_error(item, &p, &n)) != FTPKIT_OK) return fail("error", r);
        json_str(p, n);
        printf(",\"error_kind\":\"%s\"", ftpkit_result_name(ftpkit_item_error_kind(item)));
        break;
    default:
        fprintf(stderr, "decode: unknown item kind\n");
        return 2;
    }
    fputs("}\n", stdout);
    return 0;
}

int main(void) {
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return 2;
    for (;;) {
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) { free(buf); return 2; }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, stdin);
        if (got == 0) break;
        len += got;
    }
    ftpkit_transcript *t = NULL;
    ftpkit_result r = ftpkit_transcript_decode(buf, len, &t);
    free(buf);
    if (r != FTPKIT_OK) return fail("stdin", r);
    int status = 0;
    for (size_t i = 0; i < ftpkit_transcript_len(t); i++) {
        const ftpkit_item *item = ftpkit_transcript_item(t, i);
        int s = print_item(item);
        if (s) { status = s; break; }
        if (ftpkit_item_kind(item) == FTPKIT_ITEM_ERROR) status = 1;
    }
    ftpkit_transcript_free(t);
    return status;
}
