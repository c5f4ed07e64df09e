#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a loopback port for the store and replica tests, and
# prints the export lines for its URL. Usage (bash):
#
#   eval "$(bash scripts/postgres.sh start)"   # sets NFMM_TEST_DATABASE_URL and NFMM_PG_DIR
#   bash scripts/postgres.sh stop "$NFMM_PG_DIR"
#
# It installs Debian's postgresql package when no PostgreSQL binaries are present. PostgreSQL
# refuses to run as root, so under root the cluster belongs to the postgres user the package
# creates. Everything lives in one temporary directory that stop removes.
set -euo pipefail

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/sh -c "$*"
	else
		sh -c "$*"
	fi
}

bindir() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

case "${1:-}" in
start)
	if [ -z "$(bindir)" ]; then
		echo "postgres.sh: installing postgresql (Debian)…" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq --no-install-recommends postgresql >&2
	fi
	bin=$(bindir)
	dir=$(mktemp -d /tmp/nfmm-pg.XXXXXX)
	chmod 755 "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
	as_owner "'$bin/initdb' -D '$dir/data' -U nfmm -A trust -E UTF8 --no-sync" >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	# A port nobody listens on: try a few at random in a range the kernel does not hand out.
	for _ in $(seq 1 20); do
		port=$((20000 + RANDOM % 10000))
		if as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 30 \
			-o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off -c max_connections=200\" start" >/dev/null 2>&1; then
			echo "export NFMM_TEST_DATABASE_URL='postgres://nfmm@127.0.0.1:$port/postgres?sslmode=disable'"
			echo "export NFMM_PG_DIR='$dir'"
			exit 0
		fi
	done
	cat "$dir/server.log" >&2
	exit 1
	;;
stop)
	dir=${2:?usage: postgres.sh stop DIR}
	bin=$(bindir)
	as_owner "'$bin/pg_ctl' -D '$dir/data' -m immediate -w stop" >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	echo "usage: postgres.sh start | stop DIR" >&2
	exit 2
	;;
esac
