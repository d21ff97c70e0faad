#!/usr/bin/env bash
# Side-by-side benchmark of the module system: a workload of N services
# (by default benches/modules-services.nix, N services in attrsOf submodule)
# under nix2dream and under nix-instantiate running the same modules/lib.
# Runs are interleaved; prints median wall time, the ratio ours/theirs,
# median user CPU time and its ratio, peak RSS and the microseconds per
# service (flat when time grows linearly with N; start-up inflates it for
# small N). On a VM, wall time includes the kernel faulting in fresh
# pages, which varies from run to run; user time is the steadier
# comparison of the two evaluators.
#
# Usage: benches/modules.sh [RUNS] [N...]   (defaults: 3 runs, N = 1000 5000)
#   FILE=F.nix        another workload, a function `{ n ? ... }:` (deployment.sh)
#   NIX_MAX=N         run nix-instantiate only up to N services (default
#                     10000); above that its columns print "-"
#   MEM_LIMIT_MB=M    cap each run's address space (ulimit -v); a run that
#                     fails prints "failed"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}; shift || true
sizes=${*:-1000 5000}
ours="$root/target/release/nix2dream"
f=${FILE:-$root/benches/modules-services.nix}
nix_max=${NIX_MAX:-10000}
inc="nix2dream=$root/modules"
[ -x "$ours" ] || { echo "build first: cargo build --release -p nix2dream-cli" >&2; exit 1; }
command -v nix-instantiate >/dev/null || { echo "nix-instantiate not found (apt-get install -y nix-bin)" >&2; exit 1; }
[ -z "${MEM_LIMIT_MB:-}" ] || ulimit -v $((MEM_LIMIT_MB * 1024))

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
measure() { # prints "seconds user_seconds kilobytes", or "failed failed 0"
  if /usr/bin/time -o "$tmp" -f "%e %U %M" "$@" >/dev/null 2>&1; then tail -1 "$tmp"; else echo "failed failed 0"; fi
}
median() { sort -n | awk '/failed/ {f = 1} {a[NR] = $1} END {print f ? "failed" : a[int((NR + 1) / 2)]}'; }
max() { sort -n | tail -1; }

row="%-8s %8s %8s %6s %8s %8s %6s %8s %8s %11s %11s\n"
printf "$row" services ours_s nix_s ratio ours_u nix_u u_rat ours_MB nix_MB ours_us/svc nix_us/svc
for n in $sizes; do
  o_t=(); o_u=(); o_m=()
  if [ "$n" -le "$nix_max" ]; then n_t=(); n_u=(); n_m=(); else n_t=(-); n_u=(-); n_m=(0); fi
  for _ in $(seq "$runs"); do
    read -r t u m < <(measure "$ours" eval --strict -I "$inc" --arg n "$n" "$f"); o_t+=("$t"); o_u+=("$u"); o_m+=("$m")
    [ "$n" -gt "$nix_max" ] && continue
    read -r t u m < <(measure nix-instantiate --eval --strict -I "$inc" --arg n "$n" "$f"); n_t+=("$t"); n_u+=("$u"); n_m+=("$m")
  done
  o=$(printf "%s\n" "${o_t[@]}" | median); t=$(printf "%s\n" "${n_t[@]}" | median)
  ou=$(printf "%s\n" "${o_u[@]}" | median); tu=$(printf "%s\n" "${n_u[@]}" | median)
  om=$(printf "%s\n" "${o_m[@]}" | max); tm=$(printf "%s\n" "${n_m[@]}" | max)
  awk -v row="$row" -v n="$n" -v o="$o" -v t="$t" -v ou="$ou" -v tu="$tu" -v om="$om" -v tm="$tm" '
    function num(x) { return x ~ /^[0-9.]+$/ }
    function us(x) { return num(x) ? sprintf("%.0f", x * 1e6 / n) : "-" }
    function ratio(a, b) { return (num(a) && num(b) && b > 0) ? sprintf("%.2f", a / b) : "-" }
    BEGIN { om = num(o) ? int(om / 1024) : "-"; tm = num(t) ? int(tm / 1024) : "-"
      printf row, n, o, t, ratio(o, t), ou, tu, ratio(ou, tu), om, tm, us(o), us(t) }'
done
