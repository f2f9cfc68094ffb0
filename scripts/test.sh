#!/usr/bin/env bash
# Runs every test: installs and starts the local services (DynamoDB Local, moto), runs the unit and end-to-end
# tests of the whole workspace against them, then schemathesis against the admin API's OpenAPI document, then the
# admin console's checks (scripts/console-test.sh: npm ci, type check, lint, Vitest, the Playwright suite in
# Debian's chromium), and stops the services. Extra arguments go to `cargo test`. The last line sums up: `total: N passed, N failed`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
name="test-$$"
log=$(mktemp)
trap 'bash scripts/services.sh stop "$name" >/dev/null 2>&1 || true; rm -f "$log"' EXIT
bash scripts/services.sh start "$name"
set -a
# shellcheck disable=SC1090
source ".local/run/$name/env"
set +a
status=0
cargo test --workspace --locked --no-fail-fast "$@" 2>&1 | tee "$log" || status=1
# The admin API against its OpenAPI document (schemathesis, valid and invalid inputs for every operation).
fuzz=0
bash scripts/api-fuzz.sh || { fuzz=1; status=1; }
# The admin console (its own local stack; installs chromium when missing).
console=0
bash scripts/console-test.sh || { console=1; status=1; }
sum() { awk -v what="$1" '/^test result:/ { for (i = 1; i < NF; i++) if ($(i+1) ~ "^" what) n += $i } END { print n + 0 }' "$log"; }
passed=$(sum passed)
failed=$(sum failed)
echo "cargo test: ${passed:-0} passed, ${failed:-0} failed; schemathesis: $([[ $fuzz == 0 ]] && echo passed || echo FAILED); console: $([[ $console == 0 ]] && echo passed || echo FAILED)"
echo "total: $(( ${passed:-0} + (1 - fuzz) + (1 - console) )) passed, $(( ${failed:-0} + fuzz + console )) failed"
exit "$status"
