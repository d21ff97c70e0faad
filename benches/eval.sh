#!/usr/bin/env bash
# Side-by-side benchmark of nix2dream eval against nix-instantiate on the
# contract's three evaluator workloads (../shared/bench/eval). Runs are
# interleaved (ours, theirs, ours, ...) so machine noise hits both alike;
# reports the median wall time, peak RSS and the ratio ours/theirs.
#
# Usage: benches/eval.sh [RUNS]      (default 5; needs a release build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
ours="$root/target/release/nix2dream"
work=${BENCH_DIR:-$root/../shared/bench/eval}
[ -x "$ours" ] || { echo "build first: cargo build --release -p nix2dream-cli" >&2; exit 1; }
command -v nix-instantiate >/dev/null || { echo "nix-instantiate not found (apt-get install -y nix-bin)" >&2; exit 1; }

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
measure() { # prints "seconds kilobytes"
  /usr/bin/time -o "$tmp" -f "%e %M" "$@" >/dev/null 2>&1
  tail -1 "$tmp"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf "%-10s %10s %10s %8s %10s %10s\n" workload ours_s nix_s ratio ours_MB nix_MB
for w in fib strings attrs; do
  f="$work/$w.nix"
  o_t=(); n_t=(); o_m=0; n_m=0
  for _ in $(seq "$runs"); do
    read -r t m < <(measure "$ours" eval --strict "$f"); o_t+=("$t"); o_m=$m
    read -r t m < <(measure nix-instantiate --eval --strict "$f"); n_t+=("$t"); n_m=$m
  done
  om=$(printf "%s\n" "${o_t[@]}" | median); nm=$(printf "%s\n" "${n_t[@]}" | median)
  ratio=$(awk -v a="$om" -v b="$nm" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf "%-10s %10s %10s %8s %10d %10d\n" "$w" "$om" "$nm" "$ratio" $((o_m / 1024)) $((n_m / 1024))
done
