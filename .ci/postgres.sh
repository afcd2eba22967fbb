#!/usr/bin/env bash
# Installs (if needed) and starts Debian's PostgreSQL, then prints a URL for the tests.
# Usage: source-free; prints `postgresql+asyncpg://voc:voc@127.0.0.1:PORT/voc_test` on stdout.
# VOC_CI_DB names another database than voc_test (its schema is dropped by each test).
set -euo pipefail
log() { echo "[postgres] $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -1)
port=${VOC_PG_PORT:-5432}
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main"' | grep -q .; then
  log "creating cluster $version/main"
  pg_createcluster "$version" main --port "$port" >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting cluster $version/main on port $port"
  pg_ctlcluster "$version" main start >&2
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -p $port -tAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -q" >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'voc') THEN
    CREATE ROLE voc LOGIN PASSWORD 'voc' CREATEDB;
  END IF;
END \$\$;
SQL
db=${VOC_CI_DB:-voc_test}
if ! [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]]; then
  log "VOC_CI_DB=$db: use lower-case letters, digits and _"
  exit 2
fi
su postgres -c "psql -p $port -tAc \"select 1 from pg_database where datname='$db'\"" | grep -q 1 \
  || su postgres -c "createdb -p $port -O voc $db" >&2
echo "postgresql+asyncpg://voc:voc@127.0.0.1:$port/$db"
