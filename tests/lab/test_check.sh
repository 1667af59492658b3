#!/usr/bin/env bash
# Runs `dprouter --config FILE --check` on every file in tests/lab/bad-configs/ and on the shipped
# example configs.
#
#   tests/lab/test_check.sh build/dprouter
#
# A bad config must exit 2 and print exactly tests/lab/bad-configs/expected/NAME.txt on stderr;
# the bad files are passed by bare name from inside their directory, so the messages read
# "NAME.yaml:LINE:COLUMN: error: ...". config/example.yaml and config/lab.yaml (if present) must
# exit 0. Prints "ok NAME" or "FAIL NAME" per case and exits 1 if any case failed.
# Needs no root, hugepages or NIC: --check touches no DPDK resource.
set -u

if [[ $# -ne 1 ]]; then
    echo "usage: $0 PATH-TO-DPROUTER-BINARY" >&2
    exit 64
fi

# Absolute paths, because the bad-config cases run from inside their directory.
bin=$(realpath -- "$1") || exit 64
if [[ ! -x $bin ]]; then
    echo "$0: $1 is not an executable" >&2
    exit 64
fi
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/../.." && pwd)
bad_dir=$here/bad-configs
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

failures=0
cases=0

fail() {
    echo "FAIL $1"
    failures=$((failures + 1))
}

# check_bad NAME: exit code 2 and stderr exactly as expected.
check_bad() {
    local name=$1 rc
    local expected=$bad_dir/expected/$name.txt
    cases=$((cases + 1))
    if [[ ! -f $expected ]]; then
        fail "$name"
        echo "  missing $expected" >&2
        return
    fi
    (cd -- "$bad_dir" && "$bin" --config "$name.yaml" --check >"$tmp/stdout" 2>"$tmp/stderr")
    rc=$?
    if [[ $rc -eq 2 ]] && cmp -s -- "$expected" "$tmp/stderr"; then
        echo "ok $name"
    else
        fail "$name"
        echo "  exit code $rc (want 2); stderr diff (- expected, + actual):" >&2
        diff -u -- "$expected" "$tmp/stderr" | sed 's/^/  /' >&2
    fi
}

# check_good PATH: exit code 0.
check_good() {
    local path=$1 rc
    local name=${path#"$repo"/}
    cases=$((cases + 1))
    "$bin" --config "$path" --check >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [[ $rc -eq 0 ]]; then
        echo "ok $name"
    else
        fail "$name"
        echo "  exit code $rc (want 0); stderr:" >&2
        sed 's/^/  /' "$tmp/stderr" >&2
    fi
}

shopt -s nullglob
for file in "$bad_dir"/*.yaml; do
    name=$(basename -- "$file" .yaml)
    check_bad "$name"
done

# An expected file without its config would silently test nothing.
for expected in "$bad_dir"/expected/*.txt; do
    name=$(basename -- "$expected" .txt)
    if [[ ! -f $bad_dir/$name.yaml ]]; then
        cases=$((cases + 1))
        fail "$name"
        echo "  $expected has no $name.yaml" >&2
    fi
done

check_good "$repo/config/example.yaml"
if [[ -f $repo/config/lab.yaml ]]; then
    check_good "$repo/config/lab.yaml"
fi

echo "$((cases - failures))/$cases passed"
[[ $failures -eq 0 ]]
