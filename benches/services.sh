#!/usr/bin/env bash
# Issue 5's benchmark: the real deployment format at scale. Writes a
# deployment of N services (a mix of `process.argv` and `service.package` +
# `service.args`, an env var each, an `http` port with a health check on
# every other, a dependency on the previous service for every third, a
# restart policy for some) into a temp dir, then times
#   nix2dream config --json FILE >/dev/null
#   nix2dream render --target procfile FILE --out DIR
# and prints median seconds, peak RSS MB and microseconds per service.
# There is no C++ equivalent, so only nix2dream is measured.
#
# Usage: benches/services.sh [RUNS] [N...]   (defaults: 3 runs, N = 100 1000 10000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}; shift || true
sizes=${*:-100 1000 10000}
ours="$root/target/release/nix2dream"
[ -x "$ours" ] || { echo "build first: cargo build --release -p nix2dream-cli" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export NIX2DREAM_STATE_DIR="$dir/state"
measure() { # prints "seconds kilobytes", or "failed 0"
  if /usr/bin/time -o "$dir/time" -f "%e %M" "$@" >/dev/null 2>&1; then tail -1 "$dir/time"; else echo "failed 0"; fi
}
median() { sort -n | awk '/failed/ {f = 1} {a[NR] = $1} END {print f ? "failed" : a[int((NR + 1) / 2)]}'; }
max() { sort -n | tail -1; }
generate() { # N: a deployment of N services on stdout
  awk -v n="$1" 'BEGIN {
    print "{\n  description = \"" n " generated services\";\n  services = {"
    for (i = 0; i < n; i++) {
      printf "    svc%d = {\n      description = \"Generated service %d\";\n", i, i
      if (i % 2 == 0) printf "      process.argv = [ \"python3\" \"-u\" \"worker.py\" \"--id\" \"%d\" ];\n", i
      else {
        print "      service.package = \"python3\";"
        print "      service.args = [ \"-m\" \"http.server\" \"--bind\" \"127.0.0.1\" \"$PORT_HTTP\" ];"
        print "      ports.http.port = 8000;\n      healthCheck.tcpConnect.port = \"http\";"
      }
      printf "      service.env.SERVICE_ID = \"%d\";\n", i
      if (i % 3 == 1) printf "      dependsOn.svc%d.condition = \"%s\";\n", i - 1, (i % 2 ? "started" : "healthy")
      if (i % 4 == 3) print "      restart = { policy = \"on-failure\"; delay = \"500ms\"; };"
      print "    };"
    }
    print "  };\n}"
  }'
}

printf "%-8s %10s %10s %12s %10s %10s %12s\n" services config_s config_MB config_us/svc render_s render_MB render_us/svc
for n in $sizes; do
  f="$dir/deployment.nix"
  generate "$n" >"$f"
  c_t=(); c_m=(); r_t=(); r_m=()
  for _ in $(seq "$runs"); do
    read -r t m < <(measure "$ours" config --json "$f"); c_t+=("$t"); c_m+=("$m")
    rm -rf "$dir/out"
    read -r t m < <(measure "$ours" render --target procfile "$f" --out "$dir/out"); r_t+=("$t"); r_m+=("$m")
  done
  c=$(printf "%s\n" "${c_t[@]}" | median); r=$(printf "%s\n" "${r_t[@]}" | median)
  cm=$(printf "%s\n" "${c_m[@]}" | max); rm=$(printf "%s\n" "${r_m[@]}" | max)
  awk -v n="$n" -v c="$c" -v r="$r" -v cm="$cm" -v rm="$rm" 'function num(x) { return x ~ /^[0-9.]+$/ }
    function us(x) { return num(x) ? sprintf("%.0f", x * 1e6 / n) : "-" }
    BEGIN { printf "%-8s %10s %10s %12s %10s %10s %12s\n", n, c, num(c) ? int(cm / 1024) : "-", us(c),
      r, num(r) ? int(rm / 1024) : "-", us(r) }'
done
