#!/usr/bin/env python3
"""Applies rendered environment templates to a moto_server and checks what it built.

Usage: check-stack-on-moto.py --endpoint URL TEMPLATE.yaml...

For each template: reset moto, create what the template expects to exist
(an existing VPC and subnets, whose moto ids replace the fixture's placeholder
ids; a Route 53 zone; an ACM certificate for the CertificateArn parameter),
CreateStack with ServiceConnect=disabled (moto has no Cloud Map) and
CAPABILITY_IAM, then check through the AWS APIs:

- the stack is CREATE_COMPLETE with every output the template declares;
- the tasks' security group admits nothing from 0.0.0.0/0 or ::/0, only groups;
- the load balancer's group is open on 80/443 only;
- the execution role's policy names "*" only for ecr:GetAuthorizationToken, and
  its SSM statement is scoped to the environment's parameter prefix;
- the repositories and the log group (with its retention) exist;
- each RDS instance (read through the RDS API) runs the template's engine
  and version, is not publicly accessible, is encrypted with backups on, and
  sits in the stack's DB subnet group over the task subnets; its security
  group (read through EC2) admits only the tasks' group on the engine port;
  the master password the instance holds is the template's
  `{{resolve:ssm-secure:...}}` or `{{resolve:secretsmanager:...}}` reference
  (moto does not resolve it), so no password is in the template.

moto's CloudFormation skips AWS::ElastiCache::* (and an output naming a
skipped resource fails the stack), so those resources and their outputs are
removed before applying: the cache part is proven by cfn-lint and the golden.
moto's CloudFormation also reads `VpcSecurityGroupIds` instead of the real
`VPCSecurityGroups` property, so the instance's group membership is checked
in the template, the group's rules on moto.

Exit 0 when all is well; otherwise prints each problem on stderr and exits 1.
"""
import argparse
import ast
import json
import re
import sys
import urllib.parse
import urllib.request

import boto3
import yaml


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, ...) as plain data."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


CfnLoader.add_multi_constructor("!", _tag)

REGION = "eu-west-1"


def client(endpoint, name):
    return boto3.client(
        name,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def prepare(endpoint, body, name):
    """Creates what the template refers to; returns the body to apply and its parameters."""
    parameters = [{"ParameterKey": "ServiceConnect", "ParameterValue": "disabled"}]
    if "CertificateArn:" in body:
        acm = client(endpoint, "acm")
        arn = acm.request_certificate(DomainName="example.com", ValidationMethod="DNS")["CertificateArn"]
        parameters.append({"ParameterKey": "CertificateArn", "ParameterValue": arn})
    route53 = client(endpoint, "route53")
    for zone in sorted(set(re.findall(r'HostedZoneName: "([^"]+)"', body))):
        route53.create_hosted_zone(Name=zone, CallerReference=f"{name}-{zone}")
    for zone_id in sorted(set(re.findall(r'HostedZoneId: "(Z[A-Z0-9]+)"', body))):
        created = route53.create_hosted_zone(Name="example.com.", CallerReference=f"{name}-{zone_id}")
        body = body.replace(zone_id, created["HostedZone"]["Id"].split("/")[-1])
    vpcs = sorted(set(re.findall(r"vpc-[0-9a-f]{8,17}", body)))
    subnets = sorted(set(re.findall(r"subnet-[0-9a-f]{8,17}", body)))
    if vpcs:
        ec2 = client(endpoint, "ec2")
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        body = body.replace(vpcs[0], vpc)
        for i, subnet in enumerate(subnets):
            created = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24")["Subnet"]["SubnetId"]
            body = body.replace(subnet, created)
    return without_elasticache(body), parameters


def without_elasticache(body):
    """Drops the AWS::ElastiCache::* resources and the outputs naming them."""
    blocks, current = [], []
    for line in body.splitlines(keepends=True):
        if re.match(r"  [A-Za-z0-9]+:\s*$", line) or not line.startswith("  "):
            blocks.append(current)
            current = []
        current.append(line)
    blocks.append(current)
    removed = set()
    for block in blocks:
        if block and any("Type: AWS::ElastiCache::" in line for line in block):
            removed.add(block[0].strip().rstrip(":"))
    kept = [
        block
        for block in blocks
        if not block
        or not (
            block[0].strip().rstrip(":") in removed
            or any(re.search(rf"(!GetAtt |!Ref |Fn::GetAtt: \[)({'|'.join(removed)})\b", line) for line in block)
            if removed
            else False
        )
    ]
    return "".join(line for block in kept for line in block)


def check_databases(endpoint, name, template, outputs):
    """The RDS instances and their security groups, through the APIs."""
    problems = []
    declared = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::RDS::DBInstance"}
    if not declared:
        return problems
    rds = client(endpoint, "rds")
    ec2 = client(endpoint, "ec2")
    instances = rds.describe_db_instances()["DBInstances"]
    if len(instances) != len(declared):
        return [f"{name}: {len(instances)} DB instances, template declares {len(declared)}"]
    task_subnets = set(outputs["Subnets"].split(","))
    for logical, resource in declared.items():
        props = resource["Properties"]
        found = [i for i in instances if i["Engine"] == props["Engine"] and i["DBName"] == props["DBName"]]
        if len(found) != 1:
            problems.append(f"{name}: {logical}: no instance with engine {props['Engine']} and DBName {props['DBName']}")
            continue
        instance = found[0]
        if instance["EngineVersion"] != props["EngineVersion"]:
            problems.append(f"{name}: {logical}: engine version {instance['EngineVersion']} != {props['EngineVersion']}")
        if instance.get("PubliclyAccessible") is not False:
            problems.append(f"{name}: {logical}: publicly accessible: {instance.get('PubliclyAccessible')}")
        if not instance.get("StorageEncrypted"):
            problems.append(f"{name}: {logical}: storage not encrypted")
        if instance.get("BackupRetentionPeriod", 0) < 1:
            problems.append(f"{name}: {logical}: backups off")
        group = instance.get("DBSubnetGroup") or {}
        subnets = {s["SubnetIdentifier"] for s in group.get("Subnets", [])}
        if subnets != task_subnets:
            problems.append(f"{name}: {logical}: subnet group {group.get('DBSubnetGroupName')} over {sorted(subnets)}, tasks run in {sorted(task_subnets)}")
        if not str(props["MasterUserPassword"]).startswith(("{{resolve:ssm-secure:", "{{resolve:secretsmanager:")):
            problems.append(f"{name}: {logical}: the master password is not a dynamic reference")
        port = int(props["Port"])
        group_ref = props["VPCSecurityGroups"][0]["GetAtt"].split(".")[0]
        wanted = {"Port": port}
        groups = ec2.describe_security_groups(Filters=[{"Name": "description", "Values": [template["Resources"][group_ref]["Properties"]["GroupDescription"]]}])["SecurityGroups"]
        if len(groups) != 1:
            problems.append(f"{name}: {logical}: security group {group_ref} not found ({len(groups)})")
            continue
        for rule in groups[0]["IpPermissions"]:
            pairs = [p["GroupId"] for p in rule.get("UserIdGroupPairs", [])]
            if (
                rule.get("IpRanges")
                or rule.get("Ipv6Ranges")
                or (rule.get("FromPort"), rule.get("ToPort")) != (wanted["Port"], wanted["Port"])
                or pairs != [outputs["TaskSecurityGroup"]]
            ):
                problems.append(f"{name}: {logical}: security group admits more than the tasks on {port}: {rule}")
        if not groups[0]["IpPermissions"]:
            problems.append(f"{name}: {logical}: security group admits nothing")
    return problems


def check(endpoint, path):
    name = path.rstrip("/").split("/")[-2]
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    body, parameters = prepare(endpoint, open(path).read(), name)
    template = yaml.load(body, Loader=CfnLoader)
    cf = client(endpoint, "cloudformation")
    cf.create_stack(
        StackName=f"parity-{name}",
        TemplateBody=body,
        Parameters=parameters,
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cf.describe_stacks(StackName=f"parity-{name}")["Stacks"][0]
    problems = []
    if stack["StackStatus"] != "CREATE_COMPLETE":
        return [f"{name}: stack {stack['StackStatus']}"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    expected = {k for k, v in template["Outputs"].items() if v.get("Condition") != "WithServiceConnect"}
    if set(outputs) != expected:
        problems.append(f"{name}: outputs {sorted(outputs)} != template's {sorted(expected)}")

    ec2 = client(endpoint, "ec2")
    groups = {"TaskSecurityGroup": outputs.get("TaskSecurityGroup")}
    if "LoadBalancerSecurityGroup" in outputs:
        groups["LoadBalancerSecurityGroup"] = outputs["LoadBalancerSecurityGroup"]
    described = {
        g["GroupId"]: g
        for g in ec2.describe_security_groups(GroupIds=[g for g in groups.values() if g])["SecurityGroups"]
    }
    for rule in described[groups["TaskSecurityGroup"]]["IpPermissions"]:
        if rule.get("IpRanges") or rule.get("Ipv6Ranges") or not rule.get("UserIdGroupPairs"):
            problems.append(f"{name}: task security group admits addresses, not groups: {rule}")
    if "LoadBalancerSecurityGroup" in groups:
        for rule in described[groups["LoadBalancerSecurityGroup"]]["IpPermissions"]:
            if (rule.get("FromPort"), rule.get("ToPort")) not in [(80, 80), (443, 443)]:
                problems.append(f"{name}: load balancer security group open beyond 80/443: {rule}")

    iam = client(endpoint, "iam")
    role = outputs["ExecutionRoleArn"].split("/")[-1]
    document = iam.get_role_policy(RoleName=role, PolicyName="pull-log-read-secrets")["PolicyDocument"]
    if isinstance(document, str):
        # moto 5 keeps an inline policy created through CloudFormation as the
        # Python repr of the parsed document, not JSON.
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            document = ast.literal_eval(document)
    for statement in document["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if "*" in resources and statement["Action"] != "ecr:GetAuthorizationToken":
            problems.append(f"{name}: Resource * for {statement['Action']}")
        if statement.get("Sid") == "ReadTheReferencedParameters":
            # Exactly the parameters the compose file references: no wildcard.
            if any(not re.fullmatch(r"arn:aws:ssm:eu-west-1:\d{12}:parameter/[A-Za-z0-9_.\-/]+", r) for r in resources):
                problems.append(f"{name}: referenced parameters not exact: {resources}")
        elif statement["Action"] == "ssm:GetParameters" and not re.fullmatch(
            r"arn:aws:ssm:eu-west-1:\d{12}:parameter/[A-Za-z0-9_.\-/]+/\*", resources[0]
        ):
            problems.append(f"{name}: SSM statement not scoped to the prefix: {resources}")
        if statement["Action"] == "secretsmanager:GetSecretValue":
            # The environment's own `<app>/<env>/*`, else one secret: NAME and AWS's six random characters.
            for r in resources:
                if not re.fullmatch(
                    r"arn:aws:secretsmanager:eu-west-1:\d{12}:secret:([a-z0-9_-]+/[a-z0-9_-]+/\*|[A-Za-z0-9/_+=.@!-]+-\?{6})", r
                ):
                    problems.append(f"{name}: Secrets Manager resource not exact: {r}")

    if "SchedulerRoleArn" in outputs:
        problems.extend(check_scheduler_role(iam, name, outputs))

    ecr = client(endpoint, "ecr")
    created = {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
    declared = {
        r["Properties"]["RepositoryName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECR::Repository"
    }
    if created != declared:
        problems.append(f"{name}: repositories {sorted(created)} != {sorted(declared)}")

    logs = client(endpoint, "logs")
    group = template["Resources"]["LogGroup"]["Properties"]
    found = logs.describe_log_groups(logGroupNamePrefix=group["LogGroupName"])["logGroups"]
    if not found or found[0].get("retentionInDays") != group["RetentionInDays"]:
        problems.append(f"{name}: log group {group['LogGroupName']}: {found}")
    problems.extend(check_databases(endpoint, name, template, outputs))
    return problems


def check_scheduler_role(iam, name, outputs):
    """The jobs' role: assumed by EventBridge Scheduler only, RunTask on the
    jobs' task definition families only, PassRole on exactly the two task roles."""
    problems = []
    role_name = outputs["SchedulerRoleArn"].split("/")[-1]
    role = iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(urllib.parse.unquote(trust))
    principals = [s["Principal"].get("Service") for s in trust["Statement"]]
    if principals != ["scheduler.amazonaws.com"]:
        problems.append(f"{name}: scheduler role trusts {principals}")
    document = iam.get_role_policy(RoleName=role_name, PolicyName="run-the-jobs")["PolicyDocument"]
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            document = ast.literal_eval(document)
    for statement in document["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if "*" in resources:
            problems.append(f"{name}: scheduler role: Resource * for {statement['Action']}")
        if statement["Action"] == "ecs:RunTask" and not all(
            re.fullmatch(r"arn:aws:ecs:eu-west-1:\d{12}:task-definition/[A-Za-z0-9_-]+:\*", r) for r in resources
        ):
            problems.append(f"{name}: RunTask not scoped to the jobs' families: {resources}")
        if statement["Action"] == "iam:PassRole" and sorted(resources) != sorted(
            [outputs["ExecutionRoleArn"], outputs["TaskRoleArn"]]
        ):
            problems.append(f"{name}: PassRole on {resources}, not the two task roles")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("templates", nargs="+")
    args = parser.parse_args()
    problems = []
    for path in args.templates:
        try:
            problems.extend(check(args.endpoint, path))
        except Exception as error:  # one variant's failure must not hide the others'
            problems.append(f"{path}: {type(error).__name__}: {error}")
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
