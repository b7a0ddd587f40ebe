#!/usr/bin/env bash
# Runs every GenStore test and ends with one line 'N passed, N failed'.
# Installs the Debian packages the tests use when run as root; otherwise names what is missing.
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cd "$root"

needed=(git libgit2-1.5 b3sum openssh-server)
missing=()
for pkg in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) == 0 ]]; then
        echo "test.sh: installing ${missing[*]}" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
            || { echo "test.sh: apt-get install ${missing[*]} failed" >&2; exit 1; }
    else
        echo "test.sh: missing Debian packages; run: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# A hung test is killed and named rather than eating CI's time.
dotnet test "$root/GenStore.sln" -c Release --nologo --blame-hang-timeout 10m 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-assembly summaries: "Passed!  - Failed:     0, Passed:   105, Skipped: ..."
read -r passed failed < <(grep -E '^(Passed|Failed)! +- Failed: ' "$log" \
    | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+).*/\2 \1/' \
    | awk '{p+=$1; f+=$2} END {print p+0, f+0}')
if [[ $status != 0 && $failed == 0 ]]; then
    failed=1  # the build or the runner failed before any test could report
fi
echo "$passed passed, $failed failed"
exit "$status"
