#!/usr/bin/env bash
# Switch speed (issue 5): `gen switch` against `git checkout` on the same synthetic repo and the same transitions.
#   a  first deploy into an empty root (gen also compiles: reads blobs from git, hashes, stores payloads)
#   b  C1 -> C2   one file changed
#   c  C2 -> C3   5% of the files changed
#   d  C3 -> C2   rollback (`gen rollback` against `git checkout C2`)
#   e  C2 -> C2   no-op (already there)                          target < 150 ms wall
# Targets: gen <= 1.0x `git -c core.fsync=all -c core.fsyncMethod=batch checkout` (the issue calls it the same
# durability); peak RSS of the first deploy < 300 MB. Plain `git checkout` (no fsync) is printed beside them, and so is
# "git+syncfs": that checkout followed by `sync -f` of the work tree, timed together. git's core.fsync covers objects,
# refs and the index but never the checked-out files (strace shows one fsync, of index.lock), while a gen switch has
# every file it wrote on disk before it returns; git+syncfs is git with that guarantee.
#
# Usage: benchmarks/switch-vs-git.sh [WORKDIR]   (default /tmp/gen-switch-bench; the synthetic repo is kept there)
# Env:   ROUNDS (default 5), FILES (default 20000), GEN_BIN (a gen executable; default: publish Release ReadyToRun
#        into WORKDIR/gen-bin), GEN_ARTIFACTS (build artifacts folder for that publish), SYNC_BETWEEN (default 1: an
#        untimed `sync` before each timed command; 0 leaves one tool's unflushed writes to slow the next one down).
# The tools run alternately (the order rotates every round) so they see similar cache and load conditions; medians
# are printed. The repo generator is seeded, so every run benchmarks the same bytes.
# A round's trees are moved aside, not deleted, until the end: ext4 skips recently freed inodes one by one when it
# allocates new ones (recently_deleted()), so creating 20,000 files within minutes of deleting 60,000 costs several
# times the CPU for both tools and measures the file system's allocator, not the tools.
# GEN_TRACE=1 makes gen print its phase timings to stderr (shown for the last round in WORKDIR/trace-*.txt).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-/tmp/gen-switch-bench}"
rounds="${ROUNDS:-5}"
files="${FILES:-20000}"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
mkdir -p "$work"

# --- the gen executable ---------------------------------------------------------------------------------------------
if [ -n "${GEN_BIN:-}" ]; then
  gen="$GEN_BIN"
else
  export GEN_ARTIFACTS="${GEN_ARTIFACTS:-$work/artifacts}"
  echo "publishing gen (Release, ReadyToRun) into $work/gen-bin ..." >&2
  dotnet publish "$here/src/GenStore.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$work/gen-bin" -v q -nologo >/dev/null
  gen="$work/gen-bin/gen"
fi
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

# --- the synthetic repo: C1 (initial), C2 (1 file changed), C3 (5% changed) ---------------------------------------------
repo="$work/repo"
if [ ! -f "$repo/.bench-done-$files" ]; then
  rm -rf "$repo"
  mkdir -p "$repo"
  echo "generating $files files ..." >&2
  python3 "$here/benchmarks/switch/generate.py" "$repo" "$files" init
  git -C "$repo" init -q -b main
  git -C "$repo" add -A
  git -C "$repo" commit -q -m "C1: synthetic tree"
  git -C "$repo" tag C1
  python3 "$here/benchmarks/switch/generate.py" "$repo" "$files" one
  git -C "$repo" commit -q -am "C2: one file changed"
  git -C "$repo" tag C2
  python3 "$here/benchmarks/switch/generate.py" "$repo" "$files" five
  git -C "$repo" commit -q -am "C3: 5% of the files changed"
  git -C "$repo" tag C3
  touch "$repo/.bench-done-$files"
fi
c1=$(git -C "$repo" rev-parse C1^{commit}); c2=$(git -C "$repo" rev-parse C2^{commit}); c3=$(git -C "$repo" rev-parse C3^{commit})
echo "repo: $(git -C "$repo" ls-files | wc -l) files, $(du -sm --exclude=.git "$repo" | cut -f1) MB in the work tree; C1=${c1:0:10} C2=${c2:0:10} C3=${c3:0:10}" >&2

# --- timing helpers ---------------------------------------------------------------------------------------------------
results="$work/results.tsv"   # tool transition round seconds
: >"$results"
now() { date +%s%N; }
record() { # tool transition round start_ns; the CPU seconds (user + sys) are in $work/run/usage
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(echo "scale=4; ($(now) - $4) / 1000000000" | bc)" \
    "$(tail -n 1 "$work/run/usage" | awk '{print $1 + $2}')" >>"$results"
}

gen_state() { echo "$work/run/gen-state"; }
gen_root() { echo "$work/run/gen-root"; }
run_gen() { # transition round args...
  local t="$1" r="$2"; shift 2
  local start; start=$(now)
  local rc=0
  /usr/bin/time -f '%U %S %M' -o "$work/run/usage" "$gen" --state "$(gen_state)" --root "$(gen_root)" "$@" >/dev/null 2>"$work/trace-$t.txt" || rc=$?
  # Exit code 7 is "already there, nothing to do": the expected answer of the no-op switch.
  [ "$rc" = 0 ] || { [ "$rc" = 7 ] && [ "$t" = e ]; } || { echo "gen $* failed with exit code $rc" >&2; cat "$work/trace-$t.txt" >&2; exit 1; }
  record gen "$t" "$r" "$start"
  printf 'gen\t%s\t%s\t%s\n' "$t" "$r" "$(tail -n 1 "$work/run/usage" | cut -d' ' -f3)" >>"$work/rss.tsv"
}
run_git() { # tool transition round rev
  local tool="$1" t="$2" r="$3" rev="$4" dir="$work/run/$1" start
  local fsync=()
  [ "$tool" != git ] && fsync=(-c core.fsync=all -c core.fsyncMethod=batch)
  start=$(now)
  if [ "$tool" = git-durable ]; then
    # git's core.fsync covers objects, refs and the index, never the checked-out files: a syncfs of the work tree's
    # file system after the checkout makes them durable too, which is what a gen switch guarantees when it returns.
    /usr/bin/time -f '%U %S %M' -o "$work/run/usage" sh -c 'd="$1"; shift; git -C "$d" "$@" && sync -f "$d"' sh "$dir" "${fsync[@]}" checkout -q -f "$rev"
  else
    /usr/bin/time -f '%U %S %M' -o "$work/run/usage" git -C "$dir" "${fsync[@]}" checkout -q -f "$rev"
  fi
  record "$tool" "$t" "$r" "$start"
}
step() { # tool transition round
  # Untimed: each timed command starts with nothing dirty in the page cache. git leaves its work tree unflushed (its
  # core.fsync covers objects, refs and the index, not checked-out files), and without this the next tool's fsyncs
  # and syncfs would queue behind up to 270 MB of someone else's writeback. SYNC_BETWEEN=0 turns it off.
  [ "${SYNC_BETWEEN:-1}" = 0 ] || sync
  case "$1:$2" in
    gen:a) run_gen a "$3" switch "$c1" --host bench --no-triggers ;;
    gen:b) run_gen b "$3" switch "$c2" --host bench --no-triggers ;;
    gen:c) run_gen c "$3" switch "$c3" --host bench --no-triggers ;;
    gen:d) run_gen d "$3" rollback --host bench --no-triggers ;;
    gen:e) run_gen e "$3" switch "$c2" --host bench --no-triggers ;;
    *:a) run_git "$1" a "$3" "$c1" ;;
    *:b) run_git "$1" b "$3" "$c2" ;;
    *:c) run_git "$1" c "$3" "$c3" ;;
    *:d) run_git "$1" d "$3" "$c2" ;;
    *:e) run_git "$1" e "$3" "$c2" ;;
  esac
}

prepare() {
  if [ -d "$work/run" ]; then mkdir -p "$work/old-runs" && mv "$work/run" "$work/old-runs/run-$(date +%s%N)"; fi
  mkdir -p "$work/run"
  # gen: a state folder with the repo mirrored (gen init = git clone), and an empty root with the accounts chown needs.
  mkdir -p "$(gen_root)/etc"
  echo 'root:x:0:0:root:/root:/bin/bash' >"$(gen_root)/etc/passwd"
  echo 'root:x:0:' >"$(gen_root)/etc/group"
  "$gen" --state "$(gen_state)" --root "$(gen_root)" init "$repo" >/dev/null
  # git: a clone with nothing checked out (no index), so the first checkout writes every file.
  for tool in git-fsync git git-durable; do
    git clone -q --no-checkout "$repo" "$work/run/$tool"
  done
  sync
}

# --- the rounds -------------------------------------------------------------------------------------------------------
if [ -f "$work/deleted-at" ]; then
  wait_s=$(( $(cat "$work/deleted-at") + 61 - $(date +%s) ))
  if [ "$wait_s" -gt 0 ]; then
    echo "waiting $wait_s s: the previous run deleted its trees (see the header)" >&2
    sleep "$wait_s"
  fi
fi
: >"$work/rss.tsv"
orders=("gen git-fsync git git-durable" "git-fsync git git-durable gen" "git git-durable gen git-fsync" "git-durable gen git-fsync git")
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(uname -r), $(df -T "$work" | awk 'NR==2 {print $2}') on $work; git $(git --version | cut -d' ' -f3)" >&2
for ((r = 1; r <= rounds; r++)); do
  prepare
  echo "round $r/$rounds (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  order=${orders[$(((r - 1) % 4))]}
  for t in a b c d e; do
    for tool in $order; do
      step "$tool" "$t" "$r"
    done
  done
  # Sanity: every tool ended on C2 with the same bytes.
  diff -rq "$work/run/git/www" "$(gen_root)/srv/www" >/dev/null || { echo "gen's root differs from git's work tree" >&2; exit 1; }
done
rm -rf "$work/run" "$work/old-runs"
# Deleting 60,000+ files makes file creation slow on this ext4 for a while (see the header): a run started right after
# this one waits until they have settled (written out, then 61 s).
sync
date +%s >"$work/deleted-at"

# --- the table --------------------------------------------------------------------------------------------------------
python3 - "$results" "$work/rss.tsv" <<'PY'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
t, cpu = {}, {}
for tool, tr, _, sec, used in rows:
    t.setdefault((tool, tr), []).append(float(sec))
    cpu.setdefault((tool, tr), []).append(float(used))
names = {"a": "first deploy (empty -> C1)", "b": "C1 -> C2 (1 file)", "c": "C2 -> C3 (5% = 1000 files)",
         "d": "rollback C3 -> C2", "e": "no-op (C2 -> C2)"}
print(f"{'transition':30} {'gen s':>8} {'git fsync s':>12} {'ratio':>6} {'git+syncfs s':>13} {'ratio':>6} {'plain git s':>12}   (medians of {len(t[('gen', 'a')])} rounds)")
for k, name in names.items():
    g, f, d, p = (statistics.median(t[(tool, k)]) for tool in ("gen", "git-fsync", "git-durable", "git"))
    print(f"{name:30} {g:8.3f} {f:12.3f} {g / f:6.2f} {d:13.3f} {g / d:6.2f} {p:12.3f}")
print("CPU seconds (user + sys), medians; less sensitive to a loaded machine than wall time (writeback is the kernel's, in neither):")
for k, name in names.items():
    g, f, d, p = (statistics.median(cpu[(tool, k)]) for tool in ("gen", "git-fsync", "git-durable", "git"))
    print(f"{name:30} {g:8.3f} {f:12.3f} {g / max(f, 0.001):6.2f} {d:13.3f} {g / max(d, 0.001):6.2f} {p:12.3f}")
rss = [int(l.split("\t")[3]) for l in open(sys.argv[2]).read().splitlines() if l.split("\t")[1] == "a"]
print(f"no-op switch wall: median {statistics.median(t[('gen', 'e')]) * 1000:.0f} ms, max {max(t[('gen', 'e')]) * 1000:.0f} ms (target < 150 ms)")
print(f"gen peak RSS, first deploy: max {max(rss) / 1024:.0f} MB over {len(rss)} rounds (median {statistics.median(rss) / 1024:.0f} MB)")
print("raw seconds per round:")
for (tool, tr), v in sorted(t.items(), key=lambda x: (x[0][1], x[0][0])):
    print(f"  {tr} {tool:10} " + " ".join(f"{s:.3f}" for s in v))
PY
