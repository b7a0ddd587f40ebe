#!/usr/bin/env bash
# Compile speed (issue 4): a config repo whose `tree` block mirrors 20,000 files (~270 MB).
#   cold: empty store and cache                               target < 3 s
#   warm: one file changed since the last compiled commit     target < 300 ms
# Usage: benchmarks/compile.sh [WORKDIR]   (default: a temp folder, removed at the end; FILES=N to change the size)
#
# A small harness (written to WORKDIR/harness, referencing only src/GenStore.Git and what it needs) compiles
# HEAD of the synthetic repo into WORKDIR/state/store and prints the compiler's statistics. Each measurement
# is reported twice:
#   in-process   GitSource.Open + Resolve + ConfigCompiler.Compile, timed inside one long-lived process
#                (JIT already warm after the first compile), as the agent would see it;
#   new process  the same work in a fresh `dotnet` process, including runtime start and JIT, like `gen compile`.
#                The harness is published ReadyToRun for this CPU exactly as ./gen publishes the CLI; a plain
#                `dotnet build` would JIT-compile every GenStore method in each process (~700 methods, ~100 ms).
# git objects are in the page cache (the repo was just written); "cold" means an empty store and cache.
# Cold runs write into a fresh store folder and never within a minute of deleting many files: on an ext4 without a
# journal (this VM's root) the inode allocator skips inodes freed in the last 60 s (360 s while their table block is
# dirty) one by one (recently_deleted() in fs/ext4/ialloc.c), so creating 20,000 files just after `rm -rf` of 20,000
# others (or after `git gc` pruned 20,000 loose objects) costs seconds of system time. That, not the compiler, made
# the old "cold, new process" figure 11.8 s. Other jobs deleting many files on the same disk can still skew a run.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/gen-compile-bench.XXXXXX)}"
keep="${1:+yes}"
files="${FILES:-20000}"
export GEN_ARTIFACTS="${GEN_ARTIFACTS:-$here/artifacts}"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org
mkdir -p "$work"

# The time before which a cold run would meet inodes freed by a mass deletion (see above).
settled=0
deleted_many() { sync; settled=$(( $(date +%s) + 61 )); }
settle() {
  local now; now=$(date +%s)
  if [ "$now" -lt "$settled" ]; then
    echo "waiting $(( settled - now )) s after a mass deletion before a cold run (see the header)"
    sleep $(( settled - now ))
  fi
}

repo="$work/repo"
if [ ! -d "$repo/.git" ]; then
  mkdir -p "$repo"
  # Deterministic pseudo-random text (base64 lines), sizes 1..26 KB averaging 13.5 KB, 200 files per folder.
  python3 - "$repo" "$files" <<'PY'
import base64, os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(42)
total = 0
for i in range(count):
    size = rng.randint(1024, 26 * 1024)
    raw = rng.randbytes(size * 3 // 4 + 3)
    text = base64.encodebytes(raw)[:size]
    folder = os.path.join(root, "www", f"d{i // 200:03d}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"f{i:05d}.txt"), "wb") as f:
        f.write(text)
    total += size
with open(os.path.join(root, "main.gen"), "w") as f:
    f.write('dir "/srv" { }\ntree "/srv/www" { source = "www" }\n')
print(f"generated {count} files, {total / 1e6:.1f} MB")
PY
  git -C "$repo" init -q -b main
  # No automatic gc, which would start in the background after a commit (20,000 loose objects) and compete with
  # the measurements. Instead the objects are packed now, as in a fetched mirror (libgit2 looks in packs first),
  # without -d: pruning the 20,000 loose copies would be exactly the mass deletion the cold runs must not follow.
  git -C "$repo" config gc.auto 0
  git -C "$repo" add -A
  git -C "$repo" commit -q -m "synthetic tree"
  git -C "$repo" repack -a -q
fi

harness="$work/harness"
mkdir -p "$harness"
cat >"$harness/harness.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
    <ServerGarbageCollection>false</ServerGarbageCollection>
    <TieredPGO>true</TieredPGO>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$here/src/GenStore.Git/GenStore.Git.csproj" />
    <ProjectReference Include="$here/src/GenStore.Config/GenStore.Config.csproj" />
  </ItemGroup>
</Project>
XML
cat >"$harness/Program.cs" <<'CS'
using System.Diagnostics;
using GenStore.Config;
using GenStore.Git;

// harness REPO STORE CHANGES: compile HEAD; then CHANGES times: append to one file, commit with git, compile again.
var (repo, storeFolder, changes) = (args[0], args[1], int.Parse(args[2]));
var store = GenStore.Store.Store.Open(storeFolder);
void Compile(string label)
{
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    using var source = GitSource.Open(repo);
    using var tree = source.TreeAt(source.Resolve("HEAD"));
    var result = ConfigCompiler.Compile(tree, new CompileOptions("bench"), store);
    var s = result.Statistics;
    if (!result.Succeeded) throw new InvalidOperationException(result.RenderDiagnostics());
    var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    Console.WriteLine($"{label,-30} {clock.Elapsed.TotalMilliseconds,7:0} ms (cpu {used.TotalMilliseconds,6:0} ms)  {s.Steps} steps, hashed {s.FilesHashed} files ({s.BytesHashed / 1e6:0.0} MB), {s.CacheHits} from cache ({s.ObjectsChecked} checked)  [evaluate {s.Evaluating.TotalMilliseconds:0}, order {s.Ordering.TotalMilliseconds:0}, hash {s.Hashing.TotalMilliseconds:0}, finish {s.Finishing.TotalMilliseconds:0} ms]");
}

Compile(changes > 0 ? "cold (in-process)" : "this process");
for (var n = 1; n <= changes; n++)
{
    var file = Path.Combine(repo, "www", $"d{n * 7:D3}", $"f{n * 7 * 200 + 3:D5}.txt");
    File.AppendAllText(file, $"changed by run {n}\n");
    Process.Start("git", ["-C", repo, "commit", "-q", "-am", $"change {n}"])!.WaitForExit();
    Compile($"one file changed (in-process)");
}
CS
dotnet publish -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -p:PublishReadyToRunCrossgen2ExtraArgs=--instruction-set:native -p:NoWarn=CA1416 \
  "$harness" -v q -nologo -o "$harness/bin" >/dev/null
bench=(dotnet "$harness/bin/harness.dll")

state="$work/state"
if [ -e "$state" ] || [ -e "$work/state-cold" ]; then
  rm -rf "$state" "$work/state-cold"
  deleted_many
fi
settle
uptime

start=$(date +%s%N)
line=$("${bench[@]}" "$repo" "$work/state-cold/store" 0)
end=$(date +%s%N)
echo "cold (new process)             ${line#this process}  process wall $(( (end - start) / 1000000 )) ms"

"${bench[@]}" "$repo" "$state/store" 3

for n in 4 5; do
  f="$repo/www/d$(printf %03d $((n * 7)))/f$(printf %05d $((n * 7 * 200 + 3))).txt"
  echo "changed by run $n" >>"$f"
  git -C "$repo" commit -q -am "change $n"
  start=$(date +%s%N)
  line=$("${bench[@]}" "$repo" "$state/store" 0)
  end=$(date +%s%N)
  echo "one file changed (new process) ${line#this process}  process wall $(( (end - start) / 1000000 )) ms"
done

uptime
[ -z "$keep" ] && rm -rf "$work"
exit 0
