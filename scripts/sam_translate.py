"""Translates a SAM template to plain CloudFormation (offline), for linting the result.

Usage: python scripts/sam_translate.py template.yaml > translated.json
"""
import json
import os
import sys

# The translator asks boto for the region; nothing is called.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class OfflinePolicies:
    """Answers managed-policy look-ups without AWS; the template names no managed policies."""

    def load(self):
        return {}


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # As `sam package` would: local code locations become S3 locations.
    for logical_id, res in template.get("Resources", {}).items():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::Serverless::Function" and not str(props.get("CodeUri", "")).startswith("s3://"):
            props["CodeUri"] = f"s3://packaged-code/{logical_id}.zip"
    params = {"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}
    try:
        out = transform(template, params, OfflinePolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"SAM: {cause.message}", file=sys.stderr)
        sys.exit(1)
    json.dump(out, sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
