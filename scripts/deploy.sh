#!/usr/bin/env bash
# Deploys the stack and its admin console in one step:
#   1. `sam deploy` with the arguments given (e.g. `--guided` the first time; samconfig.toml keeps the answers);
#   2. the console's build: `npm ci && npm run build` in console/ when console/package.json exists;
#   3. the build into the stack's ConsoleBucket (`aws s3 sync`: dist/assets/, Vite's hashed files, cached a year;
#      the rest, index.html first of all, with Cache-Control: no-cache and --delete);
#   4. /config.json, the stack's ConsoleConfig output as it is ({"apiUrl","issuer","clientId","audience"}), so the
#      same build runs against any stack: no rebuild for a new API URL or client id;
#   5. an invalidation of the console's distribution, so the new index.html and config.json are served at once.
# The stack is STACK_NAME, else samconfig.toml's stack_name ([default.deploy.parameters]). CONSOLE_DIR (default
# console/) is the console's folder. AWS credentials and region come from the usual AWS CLI settings.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
console=${CONSOLE_DIR:-$root/console}

sam deploy "$@"

stack=${STACK_NAME:-}
if [[ -z $stack && -f samconfig.toml ]]; then
  stack=$(python3 -c 'import sys, tomllib
c = tomllib.load(open("samconfig.toml", "rb"))
print(c.get("default", {}).get("deploy", {}).get("parameters", {}).get("stack_name", ""))')
fi
[[ -n $stack ]] || { echo "deploy.sh: no stack name (set STACK_NAME or deploy once with --guided)" >&2; exit 1; }

outputs=$(aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output json)
output() {
  python3 -c 'import json, sys
outs = {o["OutputKey"]: o["OutputValue"] for o in json.loads(sys.argv[1])}
if sys.argv[2] not in outs:
    sys.exit(f"deploy.sh: the stack has no output {sys.argv[2]}")
print(outs[sys.argv[2]])' "$outputs" "$1"
}
bucket=$(output ConsoleBucketName)
distribution=$(output ConsoleDistributionId)
config=$(mktemp)
trap 'rm -f "$config"' EXIT
output ConsoleConfig > "$config"
# The console reads exactly these four keys; refuse anything else before it is served.
python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
keys = {"apiUrl", "issuer", "clientId", "audience"}
if set(c) != keys or not all(isinstance(v, str) for v in c.values()) or not all(c[k] for k in keys - {"clientId"}):
    sys.exit(f"deploy.sh: ConsoleConfig is not {sorted(keys)} with values: {c}")
if not c["clientId"]:
    print("deploy.sh: ConsoleClientId is empty: the console cannot sign in until you deploy with it", file=sys.stderr)' "$config"

if [[ -f $console/package.json ]]; then
  (cd "$console" && npm ci && npm run build)
fi
if [[ -f $console/dist/index.html ]]; then
  # Vite's hashed files first (a new name per change: cached a year; old ones stay for pages still open), then
  # everything else, which keeps its name across builds, uncached, and what the build no longer has removed.
  if [[ -d $console/dist/assets ]]; then
    aws s3 sync "$console/dist/assets/" "s3://$bucket/assets/" --cache-control "public, max-age=31536000, immutable"
  fi
  aws s3 sync "$console/dist/" "s3://$bucket/" --delete --exclude "assets/*" --exclude config.json \
    --cache-control no-cache
else
  echo "deploy.sh: no console build ($console/dist/index.html); writing config.json only" >&2
fi
aws s3 cp "$config" "s3://$bucket/config.json" --cache-control no-cache --content-type application/json
aws cloudfront create-invalidation --distribution-id "$distribution" --paths /index.html /config.json >/dev/null
echo "console: $(output ConsoleUrl)"
