# Sourced by .ci/run and the bench scripts: starts a throw-away PostgreSQL (the machine's
# initdb/pg_ctl, run as the `postgres` user) on a free loopback port and stops it on exit.
# After `start_temp_postgres`, PG_PORT and PG_URL (the postgres database, user postgres) are set.

pg_bin() {
    local name=$1
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
    local found
    found=$(ls /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$found" ] || { echo "no $name: install PostgreSQL (apt-get install postgresql)" >&2; exit 1; }
    echo "$found"
}

start_temp_postgres() {
    local initdb pg_ctl
    initdb=$(pg_bin initdb)
    PG_CTL=$(pg_bin pg_ctl)
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    PGDATA=$(mktemp -d /tmp/smeproc-pg.XXXXXX)
    chown postgres "$PGDATA"
    PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    trap stop_temp_postgres EXIT
    runuser -u postgres -- "$initdb" -D "$PGDATA" --auth=trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    runuser -u postgres -- "$PG_CTL" -D "$PGDATA" -l "$PGDATA/server.log" -w \
        -o "-p $PG_PORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    echo "PostgreSQL on 127.0.0.1:$PG_PORT"
}

stop_temp_postgres() {
    runuser -u postgres -- "$PG_CTL" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PGDATA"
}
