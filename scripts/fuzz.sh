#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module, one after another, each for
# FUZZTIME (default 30s) on FUZZPARALLEL workers (default 1, so a run leaves
# the other cores to the machine). Afterwards the inputs the fuzzer found
# interesting (its cache corpus) are copied into the package's
# testdata/fuzz/<target>, the kept corpus that every `go test` replays as
# seeds; findings land there too: commit them with the fix. Usage:
#   scripts/fuzz.sh            # every target
#   FUZZTIME=10m scripts/fuzz.sh FuzzDecodeClient FuzzOpenSealed
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
parallel=${FUZZPARALLEL:-1}
cache="$(go env GOCACHE)/fuzz"
want=" $* "
status=0
while IFS= read -r pkg; do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    if [ $# -gt 0 ] && [[ "$want" != *" $target "* ]]; then continue; fi
    echo "== $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel "$parallel" -fuzzminimizetime 10s "$pkg" >"/tmp/helpr-fuzz-$target.log" 2>&1; then
      echo "FAIL $pkg $target: see /tmp/helpr-fuzz-$target.log"; grep -E 'Failing input|_test.go:[0-9]+:' "/tmp/helpr-fuzz-$target.log" | head -5 || true
      status=1
    else
      tail -n 3 "/tmp/helpr-fuzz-$target.log" | grep -E 'elapsed' | tail -n 1 || true
      echo "ok   $pkg $target"
    fi
    if [ -d "$cache/$pkg/$target" ]; then
      mkdir -p "$dir/testdata/fuzz/$target"
      cp -n "$cache/$pkg/$target"/* "$dir/testdata/fuzz/$target/" 2>/dev/null || true
      echo "     corpus: $(ls "$dir/testdata/fuzz/$target" | wc -l) inputs kept in ${dir#"$PWD"/}/testdata/fuzz/$target"
    fi
  done
done < <(go list ./...)
exit $status
