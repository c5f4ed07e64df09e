#!/bin/sh
# Run every fuzz target of NFMM for a fixed budget each (default 5000 inputs; CI uses the default).
#
#   scripts/fuzz.sh                 # 5000 inputs per target (about a minute in all)
#   FUZZTIME=200000x scripts/fuzz.sh  # longer, locally
#   scripts/fuzz.sh 5m              # a duration per target, as an argument
#
# The default is a count, not a duration: with a duration, Go 1.26's fuzz coordinator can fail a
# target with a bare "context deadline exceeded" at the deadline while finding nothing
# (golang/go#75804, fixed in Go 1.27); a count never arms that deadline. A real failure always
# writes its input under testdata/fuzz.
#
# New failing inputs land in <package>/testdata/fuzz/<Target>/: commit them with the fix.
# The checked-in corpora also run as plain unit tests in every `go test ./...`.
set -eu
cd "$(dirname "$0")/.."
fuzztime="${1:-${FUZZTIME:-5000x}}"

# package target  (keep in sync with docs/reliability.md)
targets="
./commands FuzzParse
./cms FuzzDecode
./cms/cdr FuzzDecode
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
