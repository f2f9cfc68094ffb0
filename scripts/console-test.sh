#!/usr/bin/env bash
# The admin console's checks (part of scripts/test.sh): `npm ci` from the committed lockfile, the build (the API
# client generated from openapi.json, then the type check), lint, the Vitest unit tests, and the Playwright
# browser suite against a local stack of its own (`odt-local up --hostile-names`) in Debian's chromium, which is
# installed when missing (Playwright cannot download browsers here). Prints how long each part took.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root/console"
t0=$SECONDS
step() { echo "console: $1 ($(( SECONDS - t0 )) s so far)"; }
npm ci --no-audit --no-fund --loglevel=error
step "npm ci done"
npm run build
step "build (generated client, type check, vite) done"
npm run lint
npm test
step "lint and Vitest done"
chromium=${CHROMIUM_PATH:-$(command -v chromium || true)}
if [[ -z $chromium ]]; then
  echo "console: installing Debian's chromium" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
    || { echo "console: could not install chromium" >&2; exit 1; }
  chromium=$(command -v chromium)
fi
command -v pdftotext >/dev/null || { echo "console: pdftotext (poppler-utils) is needed" >&2; exit 1; }
name="console-$$"
local_cli() { (cd "$root" && cargo run -q --locked -p odt-local -- --name "$name" "$@"); }
trap 'local_cli down >/dev/null 2>&1 || true' EXIT
local_cli up --hostile-names
step "local stack up"
ODT_FRONT_JSON="$root/.local/run/$name/front.json" CHROMIUM_PATH="$chromium" npx playwright test "$@"
step "Playwright done"
