#!/usr/bin/env bash
# Builds the C half of the FFI benchmark against the installed library and runs the Rust half, which runs it.
# Argument: run.sh's output folder (holding prefix/).
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT=$(cd "$1" && pwd)
gcc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -I"$OUT/prefix/include" \
  bindings/c/bench/ffi_bench.c "$OUT/prefix/lib/libftpkit.a" -lpthread -ldl -lm -o "$OUT/ffi_bench"
FTPKIT_C_BENCH="$OUT/ffi_bench" "${CARGO:-cargo}" bench -q -p ftpkit-c --bench ffi
