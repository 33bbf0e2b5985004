#!/usr/bin/env bash
# Stand-in for the postgres image's docker-entrypoint.sh (our own code, same env contract):
# on the first start (no $PGDATA/PG_VERSION) initdb with the superuser POSTGRES_USER and the
# password from POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE, `host all all all scram-sha-256` in
# pg_hba.conf, create POSTGRES_DB through a socket-only temporary server; then exec postgres.
# Runs as the container's uid (the platform sets 999); it never switches users.
set -Eeo pipefail

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by ${VAR}_FILE (not both)
file_env() {
  local var="$1" fileVar="${1}_FILE" def="${2:-}" val
  if [[ -n "${!var:-}" && -n "${!fileVar:-}" ]]; then
    echo >&2 "error: both $var and $fileVar are set (but are exclusive)"
    exit 1
  fi
  val="$def"
  if [[ -n "${!var:-}" ]]; then val="${!var}"; elif [[ -n "${!fileVar:-}" ]]; then val="$(< "${!fileVar}")"; fi
  export "$var"="$val"
  unset "$fileVar"
}

if [[ "${1:0:1}" == '-' ]]; then set -- postgres "$@"; fi

if [[ "$1" == postgres ]]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"
  mkdir -p "$PGDATA"; chmod 700 "$PGDATA" || :
  mkdir -p /var/run/postgresql || :; chmod 03775 /var/run/postgresql || :

  if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != trust ]]; then
      echo >&2 "Error: Database is uninitialized and superuser password is not specified."
      exit 1
    fi
    if ! getent passwd "$(id -u)" >/dev/null; then
      for wrapper in /usr/lib/*/libnss_wrapper.so; do
        [[ -f "$wrapper" ]] || continue
        NSS_WRAPPER_PASSWD="$(mktemp)"; NSS_WRAPPER_GROUP="$(mktemp)"
        echo "postgres:x:$(id -u):$(id -g):PostgreSQL:$PGDATA:/bin/false" > "$NSS_WRAPPER_PASSWD"
        echo "postgres:x:$(id -g):" > "$NSS_WRAPPER_GROUP"
        export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
      done
    fi
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as upstream
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS
    unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    auth="${POSTGRES_HOST_AUTH_METHOD:-$(postgres -C password_encryption -D "$PGDATA")}"
    printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"

    export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
    if [[ "$POSTGRES_DB" != postgres ]]; then
      exists="$(PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc \
        --dbname postgres -tA --set db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")"
      if [[ -z "$exists" ]]; then
        PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc \
          --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
      fi
    fi
    pg_ctl -D "$PGDATA" -m fast -w stop
    unset PGPASSWORD
    echo "PostgreSQL init process complete; ready for start up."
  else
    echo "PostgreSQL Database directory appears to contain a database; Skipping initialization"
  fi
fi

exec "$@"
