#!/usr/bin/env bash
# Side-by-side benchmark of the module system: benches/modules-services.nix
# (N services in attrsOf submodule) under nix2dream and under
# nix-instantiate running the same modules/lib. Runs are interleaved;
# prints median wall time, peak RSS and the ratio ours/theirs per N.
#
# Usage: benches/modules.sh [RUNS] [N...]   (defaults: 3 runs, N = 1000 5000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}; shift || true
sizes=("${@:-1000 5000}")
ours="$root/target/release/nix2dream"
f="$root/benches/modules-services.nix"
inc="nix2dream=$root/modules"
[ -x "$ours" ] || { echo "build first: cargo build --release -p nix2dream-cli" >&2; exit 1; }
command -v nix-instantiate >/dev/null || { echo "nix-instantiate not found (apt-get install -y nix-bin)" >&2; exit 1; }

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
measure() { # prints "seconds kilobytes"
  /usr/bin/time -o "$tmp" -f "%e %M" "$@" >/dev/null 2>&1
  tail -1 "$tmp"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf "%-8s %10s %10s %8s %10s %10s\n" services ours_s nix_s ratio ours_MB nix_MB
for n in ${sizes[*]}; do
  o_t=(); n_t=(); o_m=0; n_m=0
  for _ in $(seq "$runs"); do
    read -r t m < <(measure "$ours" eval --strict -I "$inc" --arg n "$n" "$f"); o_t+=("$t"); o_m=$m
    read -r t m < <(measure nix-instantiate --eval --strict -I "$inc" --arg n "$n" "$f"); n_t+=("$t"); n_m=$m
  done
  o=$(printf "%s\n" "${o_t[@]}" | median); t=$(printf "%s\n" "${n_t[@]}" | median)
  printf "%-8s %10s %10s %8.2f %10d %10d\n" "$n" "$o" "$t" "$(echo "$o / $t" | bc -l)" $((o_m / 1024)) $((n_m / 1024))
done
