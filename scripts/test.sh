#!/usr/bin/env bash
# Runs every test: installs and starts the local services (DynamoDB Local, moto), then the unit and end-to-end
# tests of the whole workspace against them, then stops the services. Extra arguments go to `cargo test`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
name="test-$$"
trap 'bash scripts/services.sh stop "$name" >/dev/null 2>&1 || true' EXIT
bash scripts/services.sh start "$name"
set -a
# shellcheck disable=SC1090
source ".local/run/$name/env"
set +a
cargo test --workspace --locked --no-fail-fast "$@"
