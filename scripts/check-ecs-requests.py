#!/usr/bin/env python3
"""Checks `parity plan --format json` output against the ECS API itself.

1. botocore's parameter validation, with the ECS service model botocore ships:
   every task definition as a RegisterTaskDefinition request, every service as
   a CreateService request (same shapes as `aws ecs ... --cli-input-json`).
2. With --endpoint URL (a moto_server): each task definition is registered,
   described back (with tags), and every field sent must come back equal.

Reads the plan JSON on stdin, or a list of {"name": ..., "plan": ...} to check
several plans in one run. Exit 0 when all is well; otherwise prints each
problem on stderr and exits 1.
"""
import argparse
import json
import sys

import botocore.session
from botocore.validate import ParamValidator


def validate(plan):
    session = botocore.session.get_session()
    model = session.get_service_model("ecs")
    validator = ParamValidator()
    problems = []
    checks = [("RegisterTaskDefinition", td) for td in plan["taskDefinitions"]]
    for service in plan["services"]:
        checks.append(("CreateService", service))
    if plan.get("release"):
        checks.append(("RunTask", plan["release"]))
    for operation, params in checks:
        shape = model.operation_model(operation).input_shape
        report = validator.validate(params, shape)
        if report.has_errors():
            name = params.get("family") or params.get("serviceName") or params.get("taskDefinition")
            problems.append(f"{operation} {name}: {report.generate_report()}")
    return problems


def same(sent, got, path, problems):
    """Every field sent comes back equal (ECS may add fields of its own)."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            problems.append(f"{path}: sent an object, got {got!r}")
            return
        for key, value in sent.items():
            if key not in got:
                problems.append(f"{path}.{key}: sent {value!r}, not returned")
            else:
                same(value, got[key], f"{path}.{key}", problems)
    elif isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            problems.append(f"{path}: sent {sent!r}, got {got!r}")
            return
        for index, (a, b) in enumerate(zip(sent, got)):
            same(a, b, f"{path}[{index}]", problems)
    elif sent != got:
        problems.append(f"{path}: sent {sent!r}, got {got!r}")


def round_trip(plan, endpoint):
    import boto3

    client = boto3.client(
        "ecs",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    problems = []
    for td in plan["taskDefinitions"]:
        registered = client.register_task_definition(**td)["taskDefinition"]
        described = client.describe_task_definition(
            taskDefinition=registered["taskDefinitionArn"], include=["TAGS"]
        )
        got = dict(described["taskDefinition"])
        got["tags"] = described.get("tags", [])
        same(td, got, td["family"], problems)
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", help="moto_server URL for the round trip")
    args = parser.parse_args()
    data = json.load(sys.stdin)
    plans = data if isinstance(data, list) else [{"name": "plan", "plan": data}]
    problems = []
    for item in plans:
        found = validate(item["plan"])
        if not found and args.endpoint:
            found = round_trip(item["plan"], args.endpoint)
        problems += [f"{item['name']}: {p}" for p in found]
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
