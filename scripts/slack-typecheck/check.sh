#!/usr/bin/env bash
# Type-checks NFMM's Slack payloads with Slack's own TypeScript types (slack.md §4):
#   bot/testdata/golden/view_*.json   as View
#   bot/testdata/golden/*.json        as { text?: string; blocks: KnownBlock[] }
#   deploy/slack-app-manifest.yaml    as AppsManifestCreateArguments['manifest']
# Types don't encode lengths or counts; the Go tests in bot/ enforce those limits.
#
# usage: check.sh [--golden DIR] [--manifest FILE]   (defaults: the repository's files)
#        check.sh --self-test                        (proves a valid sample passes, an invalid one fails)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
golden="$root/bot/testdata/golden"
manifest="$root/deploy/slack-app-manifest.yaml"

ensure_deps() {
	if [[ ! -x "$here/node_modules/.bin/tsc" ]]; then
		echo "slack-typecheck: installing pinned tools (npm ci)…"
		(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	fi
}

# check GOLDEN_DIR MANIFEST: prints one line per file, returns non-zero on any error.
# A subshell, so the EXIT trap cleans up whatever way it ends.
check() (
	local golden_dir="$1" manifest_file="$2" work map rc=0
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	# Resolved from the wrappers' directory: link the pinned packages in.
	ln -s "$here/node_modules" "$work/node_modules"
	map="$work/map.tsv"
	if ! node "$here/gen.mjs" "$work" "$golden_dir" "$manifest_file" >"$map"; then
		rc=1
	fi
	if [[ ! -s "$map" ]]; then
		echo "slack-typecheck: nothing to check (no golden files in $golden_dir, no manifest at $manifest_file)"
		return "$rc"
	fi
	local -a wrappers
	mapfile -t wrappers < <(cut -f1 "$map")
	# No tsconfig.json on purpose: TS 7 rejects file arguments next to one (TS5112).
	local out
	out="$(cd "$work" && "$here/node_modules/.bin/tsc" --noEmit --strict --module nodenext \
		--moduleResolution nodenext --target es2022 --skipLibCheck --pretty false "${wrappers[@]}" 2>&1)" || true
	report "$map" "$out" || rc=1
	return "$rc"
)

# report MAP TSC_OUTPUT: per-file result with tsc's messages, lines mapped back to the source.
report() {
	local map="$1" out="$2" wrapper source skip failed=0 name errs label
	while IFS=$'\t' read -r wrapper source skip; do
		name="$(basename "$wrapper")"
		label="${source#"$root"/}"
		# The manifest is checked as its JSON rendering; positions refer to that.
		if [[ "$name" == manifest.ts ]]; then label="$label (as JSON)"; fi
		errs="$(grep -F "$name(" <<<"$out" | awk -v skip="$skip" -v src="$label" -v w="$wrapper" '
			BEGIN { while ((getline l < w) > 0) text[++n] = l }
			{
				if (match($0, /\(([0-9]+),([0-9]+)\): /)) {
					pos = substr($0, RSTART + 1, RLENGTH - 4); split(pos, lc, ",")
					line = lc[1] - skip; if (line < 1) line = 1
					printf "    %s:%d:%d: %s\n", src, line, lc[2], substr($0, RSTART + RLENGTH)
					if (lc[1] > skip) { t = text[lc[1]]; gsub(/^[ \t]+/, "", t); printf "        > %s\n", t }
				} else { print "    " $0 }
			}')" || true
		if [[ -n "$errs" ]]; then
			echo "FAIL $label"
			echo "$errs"
			failed=1
		else
			echo "ok   $label"
		fi
	done <"$map"
	# Errors tsc could not tie to one of our files (e.g. a missing package) must not pass silently.
	if grep -q "error TS" <<<"$out" && ! grep -qF -f <(cut -f1 "$map" | xargs -n1 basename | sed 's/$/(/') <<<"$out"; then
		echo "FAIL tsc:"
		echo "$out" | sed 's/^/    /'
		failed=1
	fi
	return "$failed"
}

self_test() (
	local dir rc=0
	dir="$(mktemp -d)"
	trap 'rm -rf "$dir"' EXIT
	mkdir -p "$dir/good" "$dir/bad"
	cat >"$dir/good/msg.json" <<-'JSON'
	{"text": "hi", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"},
	  "accessory": {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Go"}}}]}
	JSON
	cat >"$dir/good/view_modal.json" <<-'JSON'
	{"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
	JSON
	cat >"$dir/good/manifest.yaml" <<-'YAML'
	display_information: {name: t}
	settings: {interactivity: {is_enabled: true}, socket_mode_enabled: true}
	YAML
	cat >"$dir/bad/msg.json" <<-'JSON'
	{"blocks": [
	  {"type": "header", "text": {"type": "mrkdwn", "text": "x"}},
	  {"type": "section", "colour": "red", "text": {"type": "markdown", "text": "x"}}]}
	JSON
	cat >"$dir/bad/view_modal.json" <<-'JSON'
	{"type": "modal", "blocks": []}
	JSON
	cat >"$dir/bad/manifest.yaml" <<-'YAML'
	display_information: {name: t}
	settings: {interactivity: {is_enable: true}}
	YAML
	echo "--- self-test: valid samples must pass"
	check "$dir/good" "$dir/good/manifest.yaml" || { echo "self-test FAILED: valid samples rejected"; rc=1; }
	echo "--- self-test: invalid samples must fail, each file"
	local out
	out="$(check "$dir/bad" "$dir/bad/manifest.yaml")" && { echo "self-test FAILED: invalid samples accepted"; rc=1; }
	echo "$out"
	if [[ "$(grep -c '^FAIL' <<<"$out")" -ne 3 ]]; then
		echo "self-test FAILED: want 3 failing files"
		rc=1
	fi
	echo "--- self-test: no files at all passes with a note"
	mkdir "$dir/empty"
	check "$dir/empty" "$dir/empty/none.yaml" || { echo "self-test FAILED: empty input failed"; rc=1; }
	if [[ $rc -eq 0 ]]; then echo "self-test ok"; fi
	return "$rc"
)

main() {
	while [[ $# -gt 0 ]]; do
		case "$1" in
		--self-test) ensure_deps; self_test; return ;;
		--golden) golden="$2"; shift 2 ;;
		--manifest) manifest="$2"; shift 2 ;;
		-h | --help) sed -n '2,9p' "${BASH_SOURCE[0]}"; return 0 ;;
		*) echo "check.sh: unknown argument $1" >&2; return 2 ;;
		esac
	done
	ensure_deps
	check "$golden" "$manifest"
}

main "$@"
