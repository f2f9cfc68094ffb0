#!/usr/bin/env bash
# Checks template.yaml: cfn-lint on the template as written, and cfn-lint again on the CloudFormation that
# aws-sam-translator makes of it (cfn-lint misses some errors inside SAM resources, such as an undefined !Ref).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/services.sh install >/dev/null
venv=.local/venv
"$venv/bin/cfn-lint" template.yaml
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$venv/bin/python" scripts/sam_translate.py template.yaml > "$out/translated.json"
"$venv/bin/cfn-lint" "$out/translated.json"
echo "template.yaml: cfn-lint clean (as written and translated)"
