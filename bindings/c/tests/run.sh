#!/usr/bin/env bash
# The C library's checks, as a C user meets the library: install it with `cargo xtask c-install`, compile the
# tests and examples against the installed header and libraries (C11 and C++, -Wall -Wextra -Wpedantic -Werror,
# through pkg-config, dynamic and static), run the API tests plain, under valgrind and under ASan+UBSan, check that
# every header function is called by some C file, compare decode.c with `ftpkit decode --json`, run the ALG
# interop test, pasv_list against real servers (and under valgrind and ASan), and the FFI benchmark. Run by
# `cargo xtask c` (part of `cargo xtask ci`).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
CDIR=$ROOT/bindings/c
OUT=${CARGO_TARGET_DIR:-$ROOT/target}/c-check
rm -rf "$OUT"
mkdir -p "$OUT"
CARGO=${CARGO:-cargo}
WARN=(-Wall -Wextra -Wpedantic -Werror)

echo "--- install into $OUT/prefix"
"$CARGO" run -q -p xtask -- c-install --prefix "$OUT/prefix"
export PKG_CONFIG_PATH=$OUT/prefix/lib/pkgconfig
test -f "$OUT/prefix/include/ftpkit.h" && test -f "$OUT/prefix/lib/libftpkit.a"
readelf -d "$OUT/prefix/lib/libftpkit.so" | grep 'SONAME.*libftpkit.so.0' >/dev/null || { echo "no soname"; exit 1; }

CFLAGS_PC=$(pkg-config --cflags ftpkit)
LIBS_STATIC=$(pkg-config --static --libs ftpkit)
STATIC_LINK=("$OUT/prefix/lib/libftpkit.a" -lpthread -ldl -lm)

echo "--- compile (C11 and C++, warnings as errors)"
gcc -std=c11 -g "${WARN[@]}" $CFLAGS_PC "$CDIR/tests/test_api.c" "${STATIC_LINK[@]}" -o "$OUT/test_api"
g++ -std=c++17 "${WARN[@]}" $CFLAGS_PC "$CDIR/tests/header_cpp.cpp" "${STATIC_LINK[@]}" -o "$OUT/header_cpp"
for ex in "$CDIR"/examples/*.c; do
  name=$(basename "$ex" .c)
  gcc -std=c11 -g -D_POSIX_C_SOURCE=200809L "${WARN[@]}" $CFLAGS_PC "$ex" "${STATIC_LINK[@]}" -o "$OUT/$name"
done

echo "--- pkg-config: dynamic and static links"
cat > "$OUT/pc.c" <<'C'
#include <stdio.h>
#include "ftpkit.h"
int main(void) { printf("pkg-config program: libftpkit %s\n", ftpkit_version()); return 0; }
C
gcc -std=c11 "${WARN[@]}" "$OUT/pc.c" $(pkg-config --cflags --libs ftpkit) -o "$OUT/pc_dynamic"
LD_LIBRARY_PATH=$OUT/prefix/lib "$OUT/pc_dynamic"
ldd "$OUT/pc_dynamic" | grep 'libftpkit.so.0' >/dev/null || { echo "pc_dynamic does not load libftpkit.so.0"; exit 1; }
# Static: the same flags with -lftpkit taken from the archive (Libs.private brings what Rust's std needs).
gcc -std=c11 "${WARN[@]}" "$OUT/pc.c" $CFLAGS_PC ${LIBS_STATIC/-lftpkit/-Wl,-Bstatic -lftpkit -Wl,-Bdynamic} -o "$OUT/pc_static"
"$OUT/pc_static"
if ldd "$OUT/pc_static" | grep libftpkit >/dev/null; then echo "pc_static loads libftpkit dynamically"; exit 1; fi

echo "--- C API tests"
"$OUT/test_api"
"$OUT/header_cpp"

echo "--- every header function is called by a C test or example"
missing=0
for f in $(grep -v '^\s*\(//\|/\*\|\*\)' "$OUT/prefix/include/ftpkit.h" | grep -oE '\bftpkit_[a-z0-9_]+\(' | tr -d '(' | sort -u); do
  if ! grep -qE "\b$f\(" "$CDIR"/tests/*.c "$CDIR"/examples/*.c; then echo "not called by any C file: $f"; missing=1; fi
done
[ $missing = 0 ] && echo "all $(grep -v '^\s*\(//\|/\*\|\*\)' "$OUT/prefix/include/ftpkit.h" | grep -oE '\bftpkit_[a-z0-9_]+\(' | sort -u | wc -l) functions called"
[ $missing = 0 ]

echo "--- valgrind"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$OUT/test_api"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$OUT/decode" \
  < "$ROOT/crates/proto/testdata/seed-active.ftp-d.txt" > /dev/null

echo "--- AddressSanitizer + UndefinedBehaviorSanitizer"
gcc -std=c11 -g -fsanitize=address,undefined -fno-omit-frame-pointer "${WARN[@]}" $CFLAGS_PC "$CDIR/tests/test_api.c" \
  "${STATIC_LINK[@]}" -o "$OUT/test_api_asan"
gcc -std=c11 -g -fsanitize=address,undefined -fno-omit-frame-pointer "${WARN[@]}" $CFLAGS_PC "$CDIR/examples/decode.c" \
  "${STATIC_LINK[@]}" -o "$OUT/decode_asan"
nm "$OUT/test_api_asan" | grep __asan_init >/dev/null || { echo "ASan is not linked"; exit 1; }
ldd "$OUT/test_api_asan" | grep libasan >/dev/null || { echo "libasan is not loaded"; exit 1; }
# A deliberate overflow must be caught, or the sanitizer run proves nothing.
cat > "$OUT/asan_canary.c" <<'C'
#include <stdlib.h>
int main(void) { volatile char *p = malloc(4); p[4] = 1; free((void *)p); return 0; }
C
gcc -g -fsanitize=address "$OUT/asan_canary.c" -o "$OUT/asan_canary"
if "$OUT/asan_canary" 2>/dev/null; then echo "ASan did not catch the canary overflow"; exit 1; fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$OUT/test_api_asan"
"$OUT/decode_asan" < "$ROOT/crates/proto/testdata/seed-passive.ftp-d.txt" > /dev/null
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "--- decode.c vs ftpkit decode --json"
"$CARGO" build -q -p ftpkit-cli
python3 "$CDIR/tests/decode_parity.py" "${CARGO_TARGET_DIR:-$ROOT/target}/debug/ftpkit" "$OUT/decode" "$ROOT"

if [ -f "$CDIR/tests/alg_interop.sh" ]; then
  echo "--- alg: curl and ftpkit through the ALG, active and passive, to ftpkit's server and vsftpd"
  bash "$CDIR/tests/alg_interop.sh" "$OUT"
fi

echo "--- pasv_list: a POSIX-socket client on ftpkit_client, against ftpkit's server and vsftpd (vs curl, ftpkit ls)"
FTPKIT_C_PASV_LIST="$OUT/pasv_list" "$CARGO" test -q -p ftpkit-c --test pasv_list_interop -- --ignored --test-threads=1
# The same program under valgrind and ASan+UBSan, against `ftpkit serve` on a directory of its own.
gcc -std=c11 -g -D_POSIX_C_SOURCE=200809L -fsanitize=address,undefined -fno-omit-frame-pointer "${WARN[@]}" $CFLAGS_PC \
  "$CDIR/examples/pasv_list.c" "${STATIC_LINK[@]}" -o "$OUT/pasv_list_asan"
mkdir -p "$OUT/serve/dir one" && printf 'x\n' > "$OUT/serve/file.txt"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/ftpkit" serve "$OUT/serve" --bind "127.0.0.1:$PORT" --user u:p 2>"$OUT/serve.log" &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$OUT/pasv_list" \
  --trace 127.0.0.1 "$PORT" u p > "$OUT/pasv_list.out" 2>"$OUT/pasv_list.err"
grep -q 'file.txt' "$OUT/pasv_list.out" && grep -q 'dir one' "$OUT/pasv_list.out"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$OUT/pasv_list_asan" --pasv 127.0.0.1 "$PORT" u p \
  > "$OUT/pasv_list_asan.out"
grep -q 'file.txt' "$OUT/pasv_list_asan.out"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$OUT/pasv_list_asan" --active 127.0.0.1 "$PORT" u p \
  > "$OUT/pasv_list_asan.out"
grep -q 'dir one' "$OUT/pasv_list_asan.out"
if ASAN_OPTIONS=detect_leaks=1 "$OUT/pasv_list_asan" 127.0.0.1 "$PORT" u wrong 2>"$OUT/pasv_list.err"; then
  echo "pasv_list accepted a wrong password"; exit 1
fi
grep -q 'login failed: refused (reply 530)' "$OUT/pasv_list.err"
kill $SERVE_PID
trap - EXIT
echo "pasv_list: valgrind and ASan runs clean"

if [ -f "$CDIR/bench/ffi_bench.c" ]; then
  echo "--- FFI benchmark (C API vs Rust API, same run)"
  bash "$CDIR/bench/run.sh" "$OUT"
fi
echo "--- c: all checks passed"
