#!/usr/bin/env python3
"""A TEST FIXTURE: moto_server with ECS rollouts that move.

moto's ECS never moves a deployment forward, starts no new deployment on
UpdateService and stops one-off tasks with exit code 0 only. parity's deploy
tests need services and tasks that go through the states real ECS goes
through, so this script runs moto's own server application in-process and
forwards every request to it, except that it steps ECS deployments and release
tasks through scripted sequences taken from ECS's documented behaviour:

- UpdateService with a new task definition starts a new PRIMARY deployment
  (rolloutState IN_PROGRESS); the previous one becomes ACTIVE.
- "complete": after `steps` DescribeServices calls the new deployment is
  COMPLETED with running == desired and the old deployments are drained.
- "rollback": the deployment circuit breaker fails the deployment
  (rolloutState FAILED, "ECS deployment circuit breaker: tasks failed to
  start.") and ECS starts a new PRIMARY deployment of the last COMPLETED task
  definition, which completes; the failed one turns INACTIVE and drops out.
- "fail": as rollback, but with the circuit breaker's rollback off.
- "stuck": stays IN_PROGRESS with no running tasks, forever.
- CreateService: enableExecuteCommand is kept (moto drops it there, though
  it keeps it on UpdateService) and DescribeServices reports it, as ECS does.
- RunTask: the task is RUNNING on the first `task_running` DescribeTasks
  (default 1; null: until StopTask) and STOPPED afterwards with the scripted
  exit code ("Essential container in task exited"); its log lines are
  written to the task's awslogs stream first. As ECS does, DescribeTasks
  reports when it started (and stopped) and the digest of an image pinned by
  one, and ListTasks lists it under its desired status (moto keeps every
  task RUNNING there). With `task_health` (HEALTHY, UNHEALTHY) a running
  task reports that healthStatus, as ECS does for a task whose essential
  container has a health check; a stopped one reports UNKNOWN.
- RunTask with enableExecuteCommand (moto drops it): DescribeTasks reports
  it, and each running container's runtimeId and its ExecuteCommandAgent
  RUNNING, as ECS does for a task started with ECS Exec on; such a task
  (`parity db`'s idle client task) runs until StopTask, after
  `exec_pending` DescribeTasks calls that report it PENDING (default 0).
- ExecuteCommand (moto lacks it): for a running RunTask task started with
  ECS Exec on, the session ECS returns (sessionId, streamUrl, tokenValue);
  otherwise ECS's InvalidParameterException ("... execute command was not
  enabled when the task was run ..."). What opens the session is the
  Session Manager plugin, which tests replace with a stand-in.
- StopTask of such a task: STOPPED on the next DescribeTasks, stopCode
  UserInitiated, the reason given, and exit code 143 (SIGTERM), as a
  container that does not trap SIGTERM exits when ECS stops it.

CloudFormation, where moto stops short of what CloudFormation documents
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html):

- ExecuteChangeSet: moto applies the change set but leaves the stack's
  outputs as they were when the change set was made (empty on a CREATE) and
  writes no resource events. The fixture recomputes the outputs from the new
  template and writes each changed resource's IN_PROGRESS / COMPLETE events,
  as CloudFormation does.
- A scripted failure (POST /_fixture/cloudformation {"fail": {"stack": NAME,
  "resource": LOGICAL_ID, "reason": TEXT}}): that stack's next ExecuteChangeSet does not apply; the
  stack goes through CloudFormation's documented rollback instead — a CREATE
  ends ROLLBACK_COMPLETE (the resource's CREATE_FAILED with the reason,
  "The following resource(s) failed to create: [...]", the created resources
  deleted), an UPDATE ends UPDATE_ROLLBACK_COMPLETE (UPDATE_FAILED,
  UPDATE_ROLLBACK_IN_PROGRESS, ..._CLEANUP_IN_PROGRESS) with the old
  template, outputs and resources kept.
- DeleteStack: moto's CloudFormation cannot delete an
  AWS::EC2::VPCGatewayAttachment, AWS::EC2::SubnetRouteTableAssociation or
  AWS::EC2::RouteTable (with its AWS::EC2::Route), so the internet gateway
  stays attached, the route table stays and the VPC "has dependencies". The
  fixture removes those first, as deleting them does on AWS, then lets moto
  delete the rest.
- After an execution CloudFormation removes every change set of the stack
  ("they aren't applicable to the updated stack"); moto keeps them.
- CreateChangeSet with ImportExistingResources=true (CloudFormation's
  auto-import, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/import-resources-automatically.html):
  moto ignores the flag, so re-creating a stack whose retained ECR
  repositories and log group still exist failed (RepositoryAlreadyExists).
  The fixture does what the page documents for the two types parity
  retains: an added resource with a static name and DeletionPolicy Retain
  whose resource exists is an "Import" in the change set, and executing it
  adopts the existing resource instead of creating one.
- A held stack (POST /_fixture/cloudformation {"hold": {"stack": NAME, "on": true}}):
  moto executes a change set at once, where CloudFormation takes minutes;
  after its next ExecuteChangeSet, DescribeStacks reports the stack's
  *_COMPLETE as *_IN_PROGRESS until the hold is lifted ("on": false), so a
  test can interrupt parity while an update is executing.
- UpdateTerminationProtection (moto lacks it) sets the flag DescribeStacks
  reports, and DeleteStack on a protected stack fails with CloudFormation's
  ValidationError, as it does on AWS.

Control endpoints (tests only, under /_fixture/):
  POST /_fixture/scenario  {"rollout": "complete", "steps": 2,
                            "release_exit": 0, "release_log": ["..."]}
  GET  /_fixture/network?region=R   default VPC subnets and security groups
  POST /_fixture/cloudformation  {"fail": {"stack": "S", "resource": "Id", "reason": "..."}}
                                 {"hold": {"stack": "S", "on": true}}
  GET  /_fixture/calls     API calls seen, by "service.Operation"
  GET  /_fixture/requests  the bodies of the ECS RunTask, StopTask and ExecuteCommand requests, in order

Usage: ecs_rollout_fixture.py --port N   (prints "listening on PORT" when ready)
"""

import argparse
import io
import json
import os
import random
import sys
import threading
import uuid
from datetime import datetime, timezone

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.core import DEFAULT_ACCOUNT_ID
from werkzeug.serving import make_server

ECS_PREFIX = "AmazonEC2ContainerServiceV20141113."

LOCK = threading.RLock()
SCENARIO = {"rollout": "complete", "steps": 2, "release_exit": 0, "release_log": [], "task_running": 1}
CFN_HOLD = {}  # stack name -> whether an execution is being held IN_PROGRESS
CFN_FAIL = {}  # stack name -> {"resource": logical id, "reason": text}, for its next ExecuteChangeSet
SCRIPTS = {}  # deployment id -> {"rollout", "steps", "seen"}
TASKS = {}  # task arn -> {"exit", "seen", "running", "started", "stopped"}
CALLS = {}
REQUESTS = []  # {"operation", "body"} of ECS RunTask, StopTask and ExecuteCommand


def now():
    return datetime.now(timezone.utc)


def new_deployment_id():
    return "ecs-svc/%d" % random.randint(10**15, 10**16 - 1)


def ecs_backends():
    from moto.ecs.models import ecs_backends as backends

    return backends


def region_of(environ):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    # Credential=AKID/20240101/eu-west-1/ecs/aws4_request
    try:
        return auth.split("Credential=")[1].split("/")[2]
    except IndexError:
        return "us-east-1"


def find_service(region, cluster, name):
    backend = ecs_backends()[DEFAULT_ACCOUNT_ID][region]
    cluster_name = (cluster or "default").split("/")[-1]
    return backend.services.get("%s:%s" % (cluster_name, name.split("/")[-1]))


def add_event(service, message):
    service.events.insert(
        0, {"id": str(random.getrandbits(64)), "createdAt": now(), "message": message}
    )


def start_deployment(service, task_definition, script):
    """What ECS does on CreateService/UpdateService: a new PRIMARY deployment."""
    for d in service.deployments:
        if d["status"] == "PRIMARY":
            d["status"] = "ACTIVE"
    dep_id = new_deployment_id()
    service.deployments.insert(
        0,
        {
            "id": dep_id,
            "status": "PRIMARY",
            "taskDefinition": task_definition,
            "desiredCount": service.desired_count,
            "pendingCount": 0,
            "runningCount": 0,
            "failedTasks": 0,
            "createdAt": now(),
            "updatedAt": now(),
            "launchType": service.launch_type,
            "platformFamily": "FARGATE",
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment %s in progress." % dep_id,
        },
    )
    service.task_definition = task_definition
    service.running_count = sum(d["runningCount"] for d in service.deployments)
    SCRIPTS[dep_id] = dict(script, seen=0)
    return dep_id


def advance(service):
    """One DescribeServices worth of time for every scripted deployment."""
    name = service.name
    for dep in list(service.deployments):
        script = SCRIPTS.get(dep["id"])
        if script is None or dep["rolloutState"] != "IN_PROGRESS":
            continue
        script["seen"] += 1
        rollout = script["rollout"]
        desired = dep["desiredCount"]
        if script["seen"] == 1:
            dep["pendingCount"] = desired
            add_event(service, "(service %s) has started %d tasks: (task fixture)." % (name, desired))
        if rollout == "stuck" or script["seen"] < script["steps"]:
            continue
        dep["updatedAt"] = now()
        if rollout == "complete":
            dep["rolloutState"] = "COMPLETED"
            dep["rolloutStateReason"] = "ECS deployment %s completed." % dep["id"]
            dep["runningCount"], dep["pendingCount"] = desired, 0
            service.deployments[:] = [dep]
            dep["status"] = "PRIMARY"
            service.task_definition = dep["taskDefinition"]
            service.running_count, service.pending_count = desired, 0
            add_event(service, "(service %s) has reached a steady state." % name)
            add_event(service, "(service %s) (deployment %s) deployment completed." % (name, dep["id"]))
        elif rollout in ("rollback", "fail"):
            dep["rolloutState"] = "FAILED"
            dep["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
            dep["failedTasks"], dep["pendingCount"], dep["runningCount"] = desired, 0, 0
            add_event(
                service,
                "(service %s) (deployment %s) deployment failed: tasks failed to start." % (name, dep["id"]),
            )
            previous = [d for d in service.deployments if d is not dep and d["rolloutState"] == "COMPLETED"]
            if rollout == "rollback" and previous:
                dep["status"] = "ACTIVE"
                add_event(
                    service,
                    "(service %s) rolling back to deployment %s." % (name, previous[0]["id"]),
                )
                start_deployment(service, previous[0]["taskDefinition"], {"rollout": "complete", "steps": 1})
                # The failed deployment drains and drops out, like INACTIVE ones do.
                service.deployments[:] = [d for d in service.deployments if d is not dep]
                service.deployments.append(dict(dep, status="INACTIVE"))


def api_shapes(task):
    """moto writes a few ECS string fields as numbers (container cpu); the
    API model says string, and strict SDKs (Rust) reject the number."""
    for holder in [task] + task.get("containers", []):
        for key in ("cpu", "memory", "memoryReservation"):
            if isinstance(holder.get(key), (int, float)):
                holder[key] = str(holder[key])


def describe_scripted(task, script, backend):
    """A RunTask task as ECS would describe it at this call (see the docstring)."""
    task["startedAt"] = script["started"].timestamp()
    for c in task.get("containers", []):
        image = c.get("image") or ""
        if "@sha256:" in image:
            c["imageDigest"] = image.split("@", 1)[1]
    stopped = script["stopped"]
    running = script["running"]
    task["enableExecuteCommand"] = script.get("exec", False)
    if stopped is None and script["seen"] <= script.get("pending", 0):
        task["lastStatus"] = "PENDING"
        for c in task.get("containers", []):
            c["lastStatus"] = "PENDING"
        return
    if stopped is None and (running is None or script["seen"] <= running):
        task["lastStatus"] = "RUNNING"
        if script.get("health"):
            task["healthStatus"] = script["health"]
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        for index, c in enumerate(task.get("containers", [])):
            c["lastStatus"] = "RUNNING"
            c.pop("exitCode", None)
            c["runtimeId"] = f"{task_id}-{2531612879 + index}"
            if script.get("exec"):
                c["managedAgents"] = [{"name": "ExecuteCommandAgent", "lastStatus": "RUNNING"}]
        return
    if stopped is None:
        stopped = script["stopped"] = {"reason": None, "at": now()}
    task["lastStatus"] = "STOPPED"
    task["desiredStatus"] = "STOPPED"
    if script.get("health"):
        task["healthStatus"] = "UNKNOWN"
    task["stoppedAt"] = stopped["at"].timestamp()
    if stopped["reason"] is None:
        task["stopCode"] = "EssentialContainerExited"
        task["stoppedReason"] = "Essential container in task exited"
        code = script["exit"]
    else:
        task["stopCode"] = "UserInitiated"
        task["stoppedReason"] = stopped["reason"]
        code = 143
    for c in task.get("containers", []):
        c["lastStatus"] = "STOPPED"
        c["exitCode"] = code
    # ListTasks filters on moto's own record: keep it in step.
    for tasks in backend.tasks.values():
        held = tasks.get(task["taskArn"])
        if held is not None:
            held.desired_status = "STOPPED"


def execute_command(request, region, start_response):
    """ExecuteCommand as ECS answers it (see the docstring)."""
    task_arn = request.get("task", "")
    script = next((s for arn, s in TASKS.items()
                   if arn == task_arn or arn.rsplit("/", 1)[-1] == task_arn), None)
    running = script is not None and script["stopped"] is None and script["seen"] > script.get("pending", 0) and (
        script["running"] is None or script["seen"] <= script["running"])
    if not running or not script.get("exec"):
        return respond(start_response, "400 Bad Request", {
            "__type": "InvalidParameterException",
            "message": "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again.",
        })
    session_id = "ecs-execute-command-" + uuid.uuid4().hex[:17]
    return respond(start_response, "200 OK", {
        "clusterArn": f"arn:aws:ecs:{region}:{DEFAULT_ACCOUNT_ID}:cluster/{request.get('cluster', 'default')}",
        "containerName": request.get("container"),
        "interactive": True,
        "session": {
            "sessionId": session_id,
            "streamUrl": f"wss://ssmmessages.{region}.amazonaws.com/v1/data-channel/{session_id}",
            "tokenValue": "fixture-session-token",
        },
        "taskArn": task_arn,
    })


def call_app(app, environ):
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = headers

    body = b"".join(app(environ, start_response))
    return captured["status"], captured["headers"], body


def with_body(environ, body):
    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(body)
    env["CONTENT_LENGTH"] = str(len(body))
    return env


def respond(start_response, status, payload, content_type="application/x-amz-json-1.1"):
    data = payload if isinstance(payload, bytes) else json.dumps(payload, default=str).encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def describe_one(app, environ, cluster, service_name):
    body = json.dumps({"cluster": cluster, "services": [service_name]}).encode()
    env = with_body(environ, body)
    env["HTTP_X_AMZ_TARGET"] = ECS_PREFIX + "DescribeServices"
    # The fixture's own lookup, not the client's call: with IAM authorization
    # on (tests/it/iam.rs) its signature (made for the client's request) would
    # not match, and the client's call was authorized already.
    from moto.core.authorization import disable_iam_authentication

    with disable_iam_authentication():
        _, _, out = call_app(app, env)
    return json.loads(out)["services"][0]


def write_release_log(region, task_def, task_arn, lines):
    """Puts the release task's log lines where awslogs would: group, prefix/container/task-id."""
    if not lines:
        return
    from moto.logs.models import logs_backends

    logs = logs_backends[DEFAULT_ACCOUNT_ID][region]
    task_id = task_arn.split("/")[-1]
    for container in task_def.container_definitions:
        options = (container.get("logConfiguration") or {}).get("options") or {}
        group = options.get("awslogs-group")
        if not group:
            continue
        stream = "%s/%s/%s" % (options.get("awslogs-stream-prefix", "ecs"), container["name"], task_id)
        if group not in logs.groups:
            logs.create_log_group(group, {})
        if stream not in logs.groups[group].streams:
            logs.create_log_stream(group, stream)
        stamp = int(now().timestamp() * 1000)
        logs.put_log_events(
            group, stream, [{"timestamp": stamp + i, "message": line} for i, line in enumerate(lines)]
        )


class Fixture:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_fixture/"):
            return self.control(path, environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ = with_body(environ, body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        with LOCK:
            self.count(environ, target, body)
            if target.startswith(ECS_PREFIX):
                return self.ecs(target[len(ECS_PREFIX):], body, environ, start_response)
            action = cfn_action(body)
            if action in CFN_ACTIONS:
                return CFN_ACTIONS[action](self, body, environ, start_response)
            status, headers, out = call_app(self.moto, environ)
        start_response(status, headers)
        return [out]

    def count(self, environ, target, body):
        if target:
            op = target
        else:
            op = environ.get("QUERY_STRING", "")
            if "Action=" not in op and body:
                op = body.decode("utf-8", "replace")
            op = op.split("Action=")[1].split("&")[0] if "Action=" in op else environ.get("REQUEST_METHOD", "") + " " + environ.get("PATH_INFO", "")
        CALLS[op] = CALLS.get(op, 0) + 1

    def ecs(self, op, body, environ, start_response):
        request = json.loads(body or b"{}")
        region = region_of(environ)
        if op in ("RunTask", "StopTask", "ExecuteCommand"):
            REQUESTS.append({"operation": op, "body": request})
        if op == "ExecuteCommand":
            return execute_command(request, region, start_response)
        if op == "DescribeServices":
            for name in request.get("services", []):
                service = find_service(region, request.get("cluster"), name)
                if service is not None:
                    advance(service)
        patched = []
        if op == "RunTask":
            # moto sums container-level memory, which Fargate task definitions
            # may leave out; lend it a 0 for the duration of the call only.
            task_def = ecs_backends()[DEFAULT_ACCOUNT_ID][region].describe_task_definition(request["taskDefinition"])
            for container in task_def.container_definitions:
                if container.get("memory") is None and container.get("memoryReservation") is None:
                    container["memoryReservation"] = 0
                    patched.append(container)
        try:
            status, headers, out = call_app(self.moto, environ)
        finally:
            for container in patched:
                container.pop("memoryReservation", None)
        if not status.startswith("200"):
            start_response(status, headers)
            return [out]
        if op == "CreateService":
            service = find_service(region, request.get("cluster"), request["serviceName"])
            # moto drops enableExecuteCommand on create (it keeps it on update);
            # its serializer reports the attribute in DescribeServices, as ECS does.
            service.enable_execute_command = bool(request.get("enableExecuteCommand", False))
            service.deployments[:] = []
            start_deployment(service, service.task_definition, SCENARIO_FOR_CREATE())
            return respond(start_response, "200 OK", {"service": describe_one(self.moto, environ, request.get("cluster"), service.name)})
        if op == "UpdateService":
            service = find_service(region, request.get("cluster"), request["service"])
            primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
            new_td = service.task_definition
            if "taskDefinition" in request:
                # moto stores what was asked (family:rev or ARN); ECS stores the ARN.
                new_td = ecs_backends()[DEFAULT_ACCOUNT_ID][region].describe_task_definition(request["taskDefinition"]).arn
            if primary is None or primary["taskDefinition"] != new_td or request.get("forceNewDeployment"):
                start_deployment(service, new_td, dict(SCENARIO))
            return respond(start_response, "200 OK", {"service": describe_one(self.moto, environ, request.get("cluster"), service.name)})
        if op == "RunTask":
            payload = json.loads(out)
            backend = ecs_backends()[DEFAULT_ACCOUNT_ID][region]
            task_def = backend.describe_task_definition(request["taskDefinition"])
            for task in payload.get("tasks", []):
                api_shapes(task)
                TASKS[task["taskArn"]] = {
                    "exit": SCENARIO["release_exit"],
                    "seen": 0,
                    # A task started for ECS Exec sessions idles until stopped.
                    "running": None if request.get("enableExecuteCommand") else SCENARIO.get("task_running", 1),
                    "started": now(),
                    "stopped": None,
                    "health": SCENARIO.get("task_health"),
                    "exec": bool(request.get("enableExecuteCommand", False)),
                    "pending": SCENARIO.get("exec_pending", 0) if request.get("enableExecuteCommand") else 0,
                }
                write_release_log(region, task_def, task["taskArn"], SCENARIO["release_log"])
            return respond(start_response, "200 OK", payload)
        if op == "StopTask":
            payload = json.loads(out)
            task = payload.get("task", {})
            api_shapes(task)
            script = TASKS.get(task.get("taskArn"))
            if script is not None and script["stopped"] is None:
                script["stopped"] = {"reason": request.get("reason", "Task stopped by user"), "at": now()}
            return respond(start_response, "200 OK", payload)
        if op == "DescribeTasks":
            payload = json.loads(out)
            backend = ecs_backends()[DEFAULT_ACCOUNT_ID][region]
            for task in payload.get("tasks", []):
                api_shapes(task)
                script = TASKS.get(task["taskArn"])
                if script is None:
                    continue
                script["seen"] += 1
                describe_scripted(task, script, backend)
            return respond(start_response, "200 OK", payload)
        start_response(status, headers)
        return [out]

    def cfn_execute(self, body, environ, start_response):
        params = cfn_params(body)
        backend = cfn_backend(environ)
        change_set = backend.describe_change_set(params["ChangeSetName"])
        stack = backend.stacks[change_set.stack_id]
        changes = [(c.action, c.logical_resource_id, c.resource_type) for c in change_set.changes]
        fail = CFN_FAIL.pop(stack.name, None)
        if fail:
            scripted_rollback(stack, change_set, changes, fail)
            drop_change_sets(backend, stack)
            return cfn_respond(start_response, "ExecuteChangeSet", "")
        status, headers, out = call_app(self.moto, environ)
        if status.startswith("200"):
            # What moto leaves out: the new template's outputs and the resources' events.
            stack.template_dict = stack.parse_template(stack.template)
            stack.output_map = stack._create_output_map()
            kind = change_set.change_set_type
            completed = stack.events.pop()  # moto's stack-level *_COMPLETE, re-added last
            for action, logical_id, resource_type in changes:
                verb = {"Add": "CREATE", "Modify": "UPDATE", "Remove": "DELETE", "Import": "IMPORT"}[action]
                resource_event(stack, logical_id, resource_type, verb + "_IN_PROGRESS")
                resource_event(stack, logical_id, resource_type, verb + "_COMPLETE")
            if kind == "UPDATE":
                stack._add_stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            stack.events.append(completed)
            drop_change_sets(backend, stack)
            if stack.name in CFN_HOLD:
                CFN_HOLD[stack.name] = True
        start_response(status, headers)
        return [out]

    def cfn_describe_stacks(self, body, environ, start_response):
        status, headers, out = call_app(self.moto, environ)
        text = out.decode("utf-8") if isinstance(out, bytes) else out
        for name, executing in CFN_HOLD.items():
            if executing and "<StackName>%s</StackName>" % name in text:
                for kind in ("CREATE", "UPDATE"):
                    text = text.replace("<StackStatus>%s_COMPLETE</StackStatus>" % kind, "<StackStatus>%s_IN_PROGRESS</StackStatus>" % kind)
        out = text.encode("utf-8")
        headers = [(k, str(len(out)) if k.lower() == "content-length" else v) for k, v in headers]
        start_response(status, headers)
        return [out]

    def cfn_create_change_set(self, body, environ, start_response):
        params = cfn_params(body)
        status, headers, out = call_app(self.moto, environ)
        if status.startswith("200") and params.get("ImportExistingResources") == "true":
            backend = cfn_backend(environ)
            region = region_of(environ)
            for change_set in backend.change_sets.values():
                if change_set.change_set_name == params["ChangeSetName"] and change_set.stack_name == params["StackName"]:
                    mark_imports(change_set, region)
        start_response(status, headers)
        return [out]

    def cfn_protection(self, body, environ, start_response):
        params = cfn_params(body)
        stack = cfn_backend(environ).get_stack(params["StackName"])
        stack.enable_termination_protection = params.get("EnableTerminationProtection") == "true"
        return cfn_respond(
            start_response, "UpdateTerminationProtection", "<StackId>%s</StackId>" % stack.stack_id
        )

    def cfn_delete(self, body, environ, start_response):
        params = cfn_params(body)
        backend = cfn_backend(environ)
        try:
            stack = backend.get_stack(params["StackName"])
        except Exception:
            stack = None
        if stack is not None and stack.enable_termination_protection:
            return cfn_error(
                start_response,
                "Stack [%s] cannot be deleted while TerminationProtection is enabled" % stack.name,
            )
        if stack is not None:
            network_teardown(stack, region_of(environ))
        status, headers, out = call_app(self.moto, environ)
        start_response(status, headers)
        return [out]

    def control(self, path, environ, start_response):
        if path == "/_fixture/scenario":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            update = json.loads(environ["wsgi.input"].read(length) or b"{}")
            with LOCK:
                SCENARIO.update(update)
                # Deployments already under way follow a changed rollout too
                # (lets a test release a deployment it held IN_PROGRESS).
                if "rollout" in update:
                    for script in SCRIPTS.values():
                        script["rollout"] = update["rollout"]
                        script["steps"] = update.get("steps", script["steps"])
                return respond(start_response, "200 OK", SCENARIO, "application/json")
        if path == "/_fixture/network":
            from moto.ec2.models import ec2_backends

            query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
            ec2 = ec2_backends[DEFAULT_ACCOUNT_ID][query.get("region", "us-east-1")]
            vpc = next(v for v in ec2.vpcs.values() if v.is_default)
            subnets = [s.id for s in ec2.describe_subnets() if s.vpc_id == vpc.id]
            groups = [g.id for g in ec2.describe_security_groups() if g.vpc_id == vpc.id]
            return respond(start_response, "200 OK", {"subnets": subnets, "security_groups": groups}, "application/json")
        if path == "/_fixture/cloudformation":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            update = json.loads(environ["wsgi.input"].read(length) or b"{}")
            with LOCK:
                hold = update.get("hold")
                if hold is not None:
                    if hold.get("on"):
                        CFN_HOLD[hold["stack"]] = False
                    else:
                        CFN_HOLD.pop(hold["stack"], None)
                    return respond(start_response, "200 OK", {"hold": CFN_HOLD}, "application/json")
                fail = update.get("fail") or {}
                CFN_FAIL[fail["stack"]] = fail
                return respond(start_response, "200 OK", {"fail": CFN_FAIL}, "application/json")
        if path == "/_fixture/calls":
            with LOCK:
                return respond(start_response, "200 OK", CALLS, "application/json")
        if path == "/_fixture/requests":
            with LOCK:
                return respond(start_response, "200 OK", REQUESTS, "application/json")
        return respond(start_response, "404 Not Found", {"error": "unknown fixture endpoint"}, "application/json")


CFN_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


def cfn_params(body):
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def cfn_action(body):
    if not body or b"Action=" not in body:
        return None
    return cfn_params(body).get("Action")


def cfn_backend(environ):
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[DEFAULT_ACCOUNT_ID][region_of(environ)]


def cfn_respond(start_response, action, result):
    xml = '<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>fixture</RequestId></ResponseMetadata></%sResponse>' % (
        action, CFN_NS, action, result, action, action)
    return respond(start_response, "200 OK", xml.encode(), "text/xml")


def cfn_error(start_response, message):
    xml = '<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>%s</Message></Error><RequestId>fixture</RequestId></ErrorResponse>' % (
        CFN_NS, message)
    return respond(start_response, "400 Bad Request", xml.encode(), "text/xml")


def network_teardown(stack, region):
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    ec2 = ec2_backends[DEFAULT_ACCOUNT_ID][region]
    parsed = stack.resource_map._parsed_resources
    for logical_id, resource in list(parsed.items()):
        if isinstance(resource, VPCGatewayAttachment):
            gateway = resource.gateway_id or ""
            igw = ec2.internet_gateways.get(gateway)
            if igw is not None and igw.vpc is not None and igw.vpc.id == resource.vpc_id:
                igw.vpc = None
        elif isinstance(resource, RouteTable):
            resource._associations.clear()
            ec2.route_tables.pop(resource.id, None)
        elif not isinstance(resource, (Route, SubnetRouteTableAssociation)):
            continue
        parsed.pop(logical_id)


def drop_change_sets(backend, stack):
    for arn in [a for a, c in backend.change_sets.items() if c.stack_id == stack.stack_id]:
        del backend.change_sets[arn]


def resource_event(stack, logical_id, resource_type, status, reason=None):
    from moto.cloudformation.models import Event

    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id="",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def scripted_rollback(stack, change_set, changes, fail):
    """CloudFormation's documented rollback of a failed CREATE or UPDATE."""
    failing, reason = fail["resource"], fail["reason"]
    change_set.execution_status = "EXECUTE_FAILED"
    if change_set.change_set_type == "CREATE":
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        started = []
        for _, logical_id, resource_type in changes:
            resource_event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
            if logical_id == failing:
                resource_event(stack, logical_id, resource_type, "CREATE_FAILED", reason)
                break
            resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE")
            started.append((logical_id, resource_type))
        stack._add_stack_event(
            "ROLLBACK_IN_PROGRESS",
            resource_status_reason="The following resource(s) failed to create: [%s]. Rollback requested by user." % failing,
        )
        for logical_id, resource_type in reversed(started):
            resource_event(stack, logical_id, resource_type, "DELETE_IN_PROGRESS")
            resource_event(stack, logical_id, resource_type, "DELETE_COMPLETE")
        stack._add_stack_event("ROLLBACK_COMPLETE")
        stack.status = "ROLLBACK_COMPLETE"
        return
    stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    for action, logical_id, resource_type in changes:
        verb = {"Add": "CREATE", "Modify": "UPDATE", "Remove": "DELETE"}[action]
        resource_event(stack, logical_id, resource_type, verb + "_IN_PROGRESS")
        if logical_id == failing:
            resource_event(stack, logical_id, resource_type, verb + "_FAILED", reason)
            break
        resource_event(stack, logical_id, resource_type, verb + "_COMPLETE")
    stack._add_stack_event(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        resource_status_reason="The following resource(s) failed to update: [%s]." % failing,
    )
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"


# (region, resource type, name) of existing resources the next execution adopts.
ADOPT = set()


def existing_named(resource_type, region, name):
    """The ECR repository or log group named `name`, if it exists."""
    if resource_type == "AWS::ECR::Repository":
        from moto.ecr.models import ecr_backends

        return ecr_backends[DEFAULT_ACCOUNT_ID][region].repositories.get(name)
    if resource_type == "AWS::Logs::LogGroup":
        from moto.logs.models import logs_backends

        return logs_backends[DEFAULT_ACCOUNT_ID][region].groups.get(name)
    return None


NAME_PROPERTY = {"AWS::ECR::Repository": "RepositoryName", "AWS::Logs::LogGroup": "LogGroupName"}


def mark_imports(change_set, region):
    resources = (change_set.template_dict or {}).get("Resources", {})
    for change in change_set.changes:
        declared = resources.get(change.logical_resource_id, {})
        key = NAME_PROPERTY.get(change.resource_type)
        name = (declared.get("Properties") or {}).get(key) if key else None
        if (
            change.action == "Add"
            and isinstance(name, str)
            and declared.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
            and existing_named(change.resource_type, region, name) is not None
        ):
            change.action = "Import"
            ADOPT.add((region, change.resource_type, name))


def adopt_on_create():
    """Executing a change set creates an adopted resource by returning the existing one."""
    from moto.ecr.models import Repository
    from moto.logs.models import LogGroup

    for cls, resource_type in ((Repository, "AWS::ECR::Repository"), (LogGroup, "AWS::Logs::LogGroup")):
        original = cls.create_from_cloudformation_json.__func__

        def create(klass, resource_name, cloudformation_json, account_id, region_name, *args,
                   _original=original, _type=resource_type, **kwargs):
            key = (region_name, _type, resource_name)
            if key in ADOPT:
                ADOPT.discard(key)
                return existing_named(_type, region_name, resource_name)
            return _original(klass, resource_name, cloudformation_json, account_id, region_name, *args, **kwargs)

        cls.create_from_cloudformation_json = classmethod(create)


CFN_ACTIONS = {
    "CreateChangeSet": Fixture.cfn_create_change_set,
    "ExecuteChangeSet": Fixture.cfn_execute,
    "DescribeStacks": Fixture.cfn_describe_stacks,
    "UpdateTerminationProtection": Fixture.cfn_protection,
    "DeleteStack": Fixture.cfn_delete,
}


def SCENARIO_FOR_CREATE():
    """A new service's first deployment: no previous one to roll back to."""
    script = dict(SCENARIO)
    if script["rollout"] == "rollback":
        script["rollout"] = "fail"
    return script


def moto_gaps():
    """moto's ECS RunTask reads an ENI's private DNS name, which moto sets only
    in a VPC with DNS hostnames on, and moto's CloudFormation does not apply a
    VPC's EnableDnsHostnames: RunTask in a stack-made subnet crashed. An ENI
    without DNS hostnames has no name on AWS, so the attribute defaults to none."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    if not hasattr(NetworkInterface, "private_dns_name"):
        NetworkInterface.private_dns_name = None


def main():
    moto_gaps()
    adopt_on_create()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when stdin closes (a fixture shared by a whole test process ends with it)",
    )
    args = parser.parse_args()
    if args.exit_on_stdin_eof:
        def watch_stdin():
            sys.stdin.buffer.read()
            os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()
    server = make_server("127.0.0.1", args.port, Fixture(), threaded=True)
    print("listening on %d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
