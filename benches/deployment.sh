#!/usr/bin/env bash
# Issue 4's deployment benchmark: benches/deployment.nix (evalModules over N
# services, eight typed options and a read-only command each, printed as
# Procfile-like text) under nix2dream and nix-instantiate, side by side, by
# way of benches/modules.sh (interleaved runs, median seconds, peak RSS MB,
# ratio ours/theirs, microseconds per service).
#
# Usage: benches/deployment.sh [RUNS] [N...]  (defaults: 3 runs, N = 100 1000 10000 100000)
#   NIX_MAX=N       run nix-instantiate only up to N services (default 10000)
#   MEM_LIMIT_MB=M  cap each run's address space (a run that fails prints "failed")
# For example: benches/deployment.sh 3 100 1000 && benches/deployment.sh 1 10000 100000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-3}; shift || true
[ $# -gt 0 ] || set -- 100 1000 10000 100000
FILE="$here/deployment.nix" exec "$here/modules.sh" "$runs" "$@"
