#!/usr/bin/env bash
# Compares `gen hash` with b3sum on one large random file: single-threaded and on all cores, run
# alternately for several rounds so that background noise hits both alike. Prints median wall times,
# throughput, the ratios gen/b3sum (b3sum time / gen time: 1.0 = as fast, above 1 = faster) and gen's
# peak resident memory. CPU time (user + system) is printed too: on a busy machine it is steadier.
#
# usage: benchmarks/hash-vs-b3sum.sh [--gen PATH] [--dir DIR] [--size-mib N] [--rounds N]
#   --gen PATH     gen binary to measure (default: a Release ReadyToRun publish of this tree into
#                  $GEN_BENCH_OUT, default /tmp/gen-bench, built only for this script so it never
#                  touches the ./gen build folder)
#   --dir DIR      where the random file goes (default /tmp); it is reused between runs
#   --size-mib N   file size in MiB (default 1024)
#   --rounds N     rounds (default 5)
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
gen=""
dir="/tmp"
size_mib=1024
rounds=5
while [[ $# -gt 0 ]]; do
    case "$1" in
        --gen) gen="$2"; shift 2 ;;
        --dir) dir="$2"; shift 2 ;;
        --size-mib) size_mib="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "installing $2 ..." >&2
        apt-get install -y -qq "$2" >/dev/null
    else
        echo "$1 is missing: install it with 'sudo apt-get install -y $2'" >&2
        exit 2
    fi
}
need b3sum b3sum
[[ -x /usr/bin/time ]] || need /usr/bin/time time

if [[ -z "$gen" ]]; then
    out="${GEN_BENCH_OUT:-/tmp/gen-bench}"
    echo "building gen (Release, ReadyToRun) into $out ..." >&2
    GEN_ARTIFACTS="$out/artifacts" dotnet publish "$root/src/GenStore.Cli/GenStore.Cli.csproj" \
        -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
        -o "$out/bin" --nologo -v quiet -clp:ErrorsOnly >&2
    gen="$out/bin/gen"
fi

file="$dir/gen-bench-${size_mib}MiB.bin"
bytes=$((size_mib * 1024 * 1024))
if [[ ! -f "$file" || $(stat -L -c %s "$file") -ne $bytes ]]; then
    echo "writing $size_mib MiB of random bytes to $file ..." >&2
    head -c "$bytes" /dev/urandom > "$file"
fi
# Both tools read from the page cache, not the disk: warm it, and check they agree.
a=$("$gen" hash "$file" | cut -d' ' -f1)
b=$(b3sum "$file" | cut -d' ' -f1)
[[ "$a" == "$b" ]] || { echo "gen and b3sum disagree: $a vs $b" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
measure() { # name, command...
    local name="$1"; shift
    /usr/bin/time -f "%e %M %U %S" -o "$tmp/t" "$@" >/dev/null
    read -r secs kib user sys < "$tmp/t"
    echo "$secs" >> "$tmp/$name.time"
    echo "$kib" >> "$tmp/$name.rss"
    echo "$user + $sys" | bc -l >> "$tmp/$name.cpu"
}
for ((r = 1; r <= rounds; r++)); do
    measure gen1 "$gen" hash --threads 1 "$file"
    measure b3sum1 b3sum --num-threads 1 "$file"
    measure gen "$gen" hash "$file"
    measure b3sum b3sum "$file"
    echo "round $r/$rounds done" >&2
done

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { sort -g "$1" | tail -1; }
echo
echo "file: $file ($size_mib MiB), $rounds rounds, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
printf '%-28s %10s %10s %12s %14s\n' "command" "median s" "GB/s" "median CPU s" "peak RSS MiB"
for name in gen1 b3sum1 gen b3sum; do
    case "$name" in
        gen1) label="gen hash --threads 1" ;;
        b3sum1) label="b3sum --num-threads 1" ;;
        gen) label="gen hash (all threads)" ;;
        b3sum) label="b3sum (all threads)" ;;
    esac
    t=$(median "$tmp/$name.time")
    printf '%-28s %10s %10.2f %12.2f %14.1f\n' "$label" "$t" "$(echo "$bytes / $t / 1000000000" | bc -l)" "$(median "$tmp/$name.cpu")" "$(echo "$(maxof "$tmp/$name.rss") / 1024" | bc -l)"
done
single=$(echo "$(median "$tmp/b3sum1.time") / $(median "$tmp/gen1.time")" | bc -l)
multi=$(echo "$(median "$tmp/b3sum.time") / $(median "$tmp/gen.time")" | bc -l)
printf 'ratio gen/b3sum, single thread: %.2fx (target >= 0.8)\n' "$single"
printf 'ratio gen/b3sum, all threads:   %.2fx (target >= 0.8)\n' "$multi"
# On a busy machine wall times mostly measure the wait for a core; CPU time (user + system) is steadier.
printf 'CPU-time ratio b3sum/gen, single thread: %.2fx, all threads: %.2fx\n' \
    "$(echo "$(median "$tmp/b3sum1.cpu") / $(median "$tmp/gen1.cpu")" | bc -l)" "$(echo "$(median "$tmp/b3sum.cpu") / $(median "$tmp/gen.cpu")" | bc -l)"
printf 'load average now: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'peak RSS of gen: %.1f MiB (target < 100 MB)\n' "$(echo "$(cat "$tmp/gen1.rss" "$tmp/gen.rss" | sort -g | tail -1) / 1024" | bc -l)"
