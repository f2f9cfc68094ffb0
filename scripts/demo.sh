#!/usr/bin/env bash
# Runs the walkthrough on the local stack: starts the local services, the Okta double and the HTTP front,
# drives the public API as an admin would, prints what happened, and stops everything.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
exec cargo run --quiet --locked -p odt-local -- demo "$@"
