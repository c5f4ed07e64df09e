#!/bin/sh
# Run every fuzz target of NFMM for a fixed time each (default 10s; CI uses the default).
#
#   scripts/fuzz.sh              # 10s per target
#   FUZZTIME=5m scripts/fuzz.sh  # longer, locally
#   scripts/fuzz.sh 1m           # same, as an argument
#
# New failing inputs land in <package>/testdata/fuzz/<Target>/: commit them with the fix.
# The checked-in corpora also run as plain unit tests in every `go test ./...`.
set -eu
cd "$(dirname "$0")/.."
fuzztime="${1:-${FUZZTIME:-10s}}"

# package target  (keep in sync with docs/reliability.md)
targets="
./commands FuzzParse
./cms FuzzDecode
./cms/cmssim FuzzRequest
./config FuzzLoad
./bot FuzzDecodeRefs
./bot FuzzInteractionPayload
./bot FuzzRenderNames
"

echo "$targets" | while read -r pkg target; do
	[ -n "$pkg" ] || continue
	echo "== $pkg $target ($fuzztime)"
	go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime"
done
