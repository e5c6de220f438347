#!/usr/bin/env bash
# Runs tests/alg_interop.rs with the alg binary run.sh compiled (argument: run.sh's output folder).
set -euo pipefail
cd "$(dirname "$0")/../../.."
FTPKIT_C_ALG="$1/alg" "${CARGO:-cargo}" test -q -p ftpkit-c --test alg_interop -- --ignored --test-threads=1
