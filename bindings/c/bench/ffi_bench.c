/*
 * ffi_bench: the C half of the FFI benchmark (the Rust half is benches/ffi.rs, which runs this program in the same
 * run and prints the ratio). Decodes the core bench's reply and command streams through the C API, fed in 4 KiB
 * chunks like the core bench, touching each reply's code and text lines and each command's verb and argument (read
 * from the lent structs' fields: one library call per reply or command, as a C program would).
 *
 *   ffi_bench REPLY_STREAM_FILE COMMAND_STREAM_FILE ROUNDS
 *
 * Each pass is timed per 64 KiB block (16 feeds); the figure is the sum over blocks of each block's best time across
 * the passes, which keeps preemption on a shared machine out of it (the Rust half does the same).
 * Prints, per stream, "<name> <ns per pass> <checksum>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ftpkit.h"

#define CHUNK 4096
#define BLOCK (16 * CHUNK)
#define MAX_BLOCKS 4096

static uint64_t block_ns[MAX_BLOCKS];

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t replies(const uint8_t *s, size_t len) {
    ftpkit_reply_decoder *d = NULL;
    if (ftpkit_reply_decoder_new(FTPKIT_FRAMING_STRICT, 0, 0, 0, &d) != FTPKIT_OK) exit(2);
    uint64_t acc = 0;
    uint64_t t0 = now_ns();
    for (size_t at = 0; at < len; at += CHUNK) {
        size_t n = len - at < CHUNK ? len - at : CHUNK;
        if (at % BLOCK == 0 && at > 0) {
            uint64_t t = now_ns(), *b = &block_ns[at / BLOCK - 1];
            if (t - t0 < *b) *b = t - t0;
            t0 = t;
        }
        ftpkit_reply_decoder_feed(d, s + at, n);
        for (;;) {
            const ftpkit_reply *r = NULL;
            if (ftpkit_reply_decoder_next(d, &r) != FTPKIT_OK) {
                acc += 1;
                continue;
            }
            if (!r) break;
            /* The lent reply's fields, read directly: one call per reply. */
            acc += r->code;
            for (size_t i = 0; i < r->line_count; i++) acc += r->lines[i].len;
        }
    }
    uint64_t t = now_ns(), *b = &block_ns[(len - 1) / BLOCK];
    if (t - t0 < *b) *b = t - t0;
    ftpkit_reply_decoder_free(d);
    return acc;
}

static uint64_t commands(const uint8_t *s, size_t len) {
    ftpkit_command_decoder *d = NULL;
    if (ftpkit_command_decoder_new(0, &d) != FTPKIT_OK) exit(2);
    uint64_t acc = 0;
    uint64_t t0 = now_ns();
    for (size_t at = 0; at < len; at += CHUNK) {
        size_t n = len - at < CHUNK ? len - at : CHUNK;
        if (at % BLOCK == 0 && at > 0) {
            uint64_t t = now_ns(), *b = &block_ns[at / BLOCK - 1];
            if (t - t0 < *b) *b = t - t0;
            t0 = t;
        }
        ftpkit_command_decoder_feed(d, s + at, n);
        for (;;) {
            const ftpkit_command *c = NULL;
            if (ftpkit_command_decoder_next(d, &c) != FTPKIT_OK) {
                acc += 1;
                continue;
            }
            if (!c) break;
            /* The lent command's fields, read directly: one call per command. */
            acc += c->verb.len;
            if (c->has_arg) acc += c->arg.len;
        }
    }
    uint64_t t = now_ns(), *b = &block_ns[(len - 1) / BLOCK];
    if (t - t0 < *b) *b = t - t0;
    ftpkit_command_decoder_free(d);
    return acc;
}

static void run(const char *name, uint64_t (*kernel)(const uint8_t *, size_t), const uint8_t *s, size_t len,
                int rounds) {
    size_t blocks = (len + BLOCK - 1) / BLOCK;
    if (blocks > MAX_BLOCKS) exit(2);
    for (size_t i = 0; i < blocks; i++) block_ns[i] = UINT64_MAX;
    uint64_t sum = 0, total = 0;
    for (int i = 0; i < rounds; i++) sum = kernel(s, len);
    for (size_t i = 0; i < blocks; i++) total += block_ns[i];
    printf("%s %llu %llu\n", name, (unsigned long long)total, (unsigned long long)sum);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: ffi_bench REPLY_STREAM COMMAND_STREAM ROUNDS\n");
        return 2;
    }
    size_t rl, cl;
    uint8_t *r = slurp(argv[1], &rl), *c = slurp(argv[2], &cl);
    if (!r || !c) {
        fprintf(stderr, "ffi_bench: cannot read the streams\n");
        return 2;
    }
    int rounds = atoi(argv[3]);
    run("reply_stream", replies, r, rl, rounds);
    run("command_stream", commands, c, cl, rounds);
    free(r);
    free(c);
    return 0;
}
