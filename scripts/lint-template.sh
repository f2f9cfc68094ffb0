#!/usr/bin/env bash
# Checks template.yaml: cfn-lint on the template as written, and cfn-lint again on the CloudFormation that
# aws-sam-translator makes of it (cfn-lint misses some errors inside SAM resources, such as an undefined !Ref);
# checkov's CloudFormation checks (waivers, each with its reason, in .checkov.yaml and on the resources); and
# least privilege: no Allow statement in the template has a `*` in an action or a bare `*` resource.
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

# checkov: nonzero on any failed check; offline (skip-download in .checkov.yaml). Its own venv, installed once
# (and again when scripts/requirements-checkov.txt changes).
ck=.local/checkov-venv
want=$(sha256sum scripts/requirements-checkov.txt | cut -d' ' -f1)
# A venv whose scripts name an interpreter that is gone (a venv copied from another directory, or made from a
# Python since removed) is made again.
interp=$(head -1 "$ck/bin/checkov" 2>/dev/null | sed 's/^#!//' || true)
if [[ $want != "$(cat "$ck/.requirements.sha256" 2>/dev/null || true)" || ! -x $ck/bin/checkov || ! -x $interp ]]; then
  echo "installing scripts/requirements-checkov.txt (checkov) into $ck" >&2
  [[ -x $ck/bin/python && -x $interp ]] || python3 -m venv --clear "$ck"
  "$ck/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-checkov.txt >&2
  echo "$want" > "$ck/.requirements.sha256"
fi
"$ck/bin/checkov" --config-file .checkov.yaml -f template.yaml
echo "template.yaml: checkov clean"

# Least privilege. Every function has its own execution role in the template (`Role:`), so SAM attaches no AWS
# managed policy (AWSLambdaBasicExecutionRole, AWSXrayWriteOnlyAccess, AWSLambdaDynamoDBExecutionRole all grant on
# "*"); a function with SAM `Policies` or without `Role` is refused. The one wildcard resource allowed is X-Ray's:
# xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions (Resource must be "*"),
# and Tracing: Active needs them; a statement holding any other action with "*" is refused.
cat > "$out/iam_check.py" <<'PY'
import sys
from cfnlint.decode import decode

# Actions that AWS authorizes only on Resource "*" (no resource-level permissions), with why they are needed.
RESOURCE_STAR_ONLY = {
    "xray:PutTraceSegments": "Tracing: Active sends each invocation's segments to X-Ray",
    "xray:PutTelemetryRecords": "Tracing: Active sends X-Ray telemetry",
}

def statements(name, res):
    props = res.get("Properties", {}) or {}
    kind = res.get("Type", "")
    docs = []
    if kind == "AWS::Serverless::Function":
        docs += [p for p in props.get("Policies", []) or [] if isinstance(p, dict) and "Statement" in p]
    if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy"):
        docs.append(props.get("PolicyDocument", {}))
    if kind == "AWS::IAM::Role":
        docs += [p.get("PolicyDocument", {}) for p in props.get("Policies", []) or []]
    for doc in docs:
        for st in doc.get("Statement", []) or []:
            yield st

def as_list(v):
    return v if isinstance(v, list) else [v]

def check(path):
    template, errors = decode(path)
    if errors:
        return [str(e) for e in errors]
    problems = []
    for name, res in (template.get("Resources") or {}).items():
        if res.get("Type") == "AWS::Serverless::Function":
            props = res.get("Properties", {}) or {}
            if "Role" not in props:
                problems.append(f"{name}: no Role of its own (SAM would attach AWS managed policies on *)")
            if "Policies" in props:
                problems.append(f"{name}: SAM Policies (put the statements in its Role)")
        for st in statements(name, res):
            if st.get("Effect") != "Allow":
                continue
            where = f"{name} statement {st.get('Sid', '(no Sid)')}"
            actions = [a for a in as_list(st.get("Action", [])) if isinstance(a, str)]
            if actions and all(a in RESOURCE_STAR_ONLY for a in actions):
                continue
            if "NotAction" in st or "NotResource" in st:
                problems.append(f"{where}: Allow with NotAction/NotResource")
            for a in as_list(st.get("Action", [])):
                if isinstance(a, str) and "*" in a:
                    problems.append(f"{where}: wildcard action {a!r}")
            for r in as_list(st.get("Resource", [])):
                if isinstance(r, str) and r.strip() in ("*", "arn:aws:*:*:*:*") :
                    problems.append(f"{where}: wildcard resource {r!r}")
    return problems

path = sys.argv[1]
problems = check(path)
for p in problems:
    print(f"{path}: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
# The check must be able to fail: a statement with a `*` action and resource is refused.
cat > "$out/bad.yaml" <<'YAML'
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Statement:
            - Sid: TooBroad
              Effect: Allow
              Action: "dynamodb:*"
              Resource: "*"
YAML
if "$venv/bin/python" "$out/iam_check.py" "$out/bad.yaml" 2>/dev/null; then
  echo "the IAM wildcard check accepted a wildcard statement" >&2
  exit 1
fi
"$venv/bin/python" "$out/iam_check.py" template.yaml
echo "template.yaml: every function has its own role; no wildcard action or resource in an Allow statement (X-Ray's aside)"
