"""Runs the SAM transform on infra/template.yaml offline, as CloudFormation would.

Usage: python sam_translate.py TEMPLATE [OUTPUT.json]

Local CodeUri / DefinitionUri paths are first replaced by S3 locations, as
`sam package` does, then the AWS::Serverless-2016-10-31 transform is applied with
the SAM translator. It fails on anything the transform rejects; with OUTPUT it writes
the resulting CloudFormation template (for a look at what SAM generates).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from cfnlint.decode import decode
from samtranslator.parser.parser import Parser
from samtranslator.translator.transform import transform


class NoManagedPolicies:
    """The template attaches no managed policy; any lookup is a mistake."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the template must not use SAM policy templates or managed policies")


def packaged(template: dict[str, Any]) -> dict[str, Any]:
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            properties.setdefault("CodeUri", template.get("Globals", {}).get("Function", {}).get("CodeUri"))
            properties["CodeUri"] = f"s3://example-bucket/{name}.zip"
        if resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(properties.get("DefinitionUri"), str):
            properties["DefinitionUri"] = f"s3://example-bucket/{name}.asl.json"
    template.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    return template


def main() -> int:
    source = sys.argv[1]
    template, matches = decode(source)
    if matches or template is None:
        for match in matches:
            print(match)
        return 1
    # The translator resolves AWS::Region for some ARNs; any region will do offline.
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    output = transform(packaged(json.loads(json.dumps(template))), {}, NoManagedPolicies(), Parser())
    resources = output["Resources"]
    print(f"SAM transform: {len(resources)} CloudFormation resources")
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as out:
            json.dump(output, out, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
