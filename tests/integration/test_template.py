"""template.yaml is valid CloudFormation and agrees with the code and docs/api.md, offline."""

from __future__ import annotations

import importlib
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file
from cfnlint.decode import decode
from PIL import Image

from profilephoto.adapters.aws.sqs import MAX_VISIBILITY_SECONDS
from profilephoto.adapters.decode_budget import budget_bytes
from profilephoto.adapters.image_limits import decode_cost
from profilephoto.domain.fleet_sizing import OFFERED_RPM, fleet_size
from profilephoto.domain.webhooks import DELIVERY_WINDOW, RETRY_DELAYS, TIMEOUT_SECONDS
from profilephoto.settings import Settings
from tests.integration.image_bytes import png_header_only
from tests.shipping import WORKER_ONLY

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"

DOCUMENTED_HANDLERS = {
    "FileTransferFunction": "profilephoto.entrypoints.aws_lambda.file_transfer.handler",
    "ApiFunction": "profilephoto.entrypoints.aws_lambda.api.handler",
    "ProcessFunction": "profilephoto.entrypoints.aws_lambda.process.handler",
    "WebSocketFunction": "profilephoto.entrypoints.aws_lambda.websocket.handler",
    "ReconcileFunction": "profilephoto.entrypoints.aws_lambda.reconcile.handler",
    "WebhookFunction": "profilephoto.entrypoints.aws_lambda.webhooks.handler",
}
AUTHORIZER = {"WsAuthorizerFunction": "profilephoto.entrypoints.aws_lambda.ws_authorizer.handler"}
# Functions shipped as container images (worker/Dockerfile), the others as zips on the layer.
IMAGE_FUNCTIONS = {"ProcessFunction": ROOT / "worker" / "Dockerfile"}
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

# docs/api.md §5: table -> (key, {index: (hash, range)}, ttl attribute or None).
# ImageJobs has a ttl too: idempotency records ("idem#..." keys) expire through it.
TABLES = {
    "UsersTable": ("userId", {}, None),
    "UsageLogTable": ("userIdDate", {"UserIdIndex": ("userId", "date")}, "ttl"),
    "ImageJobsTable": (
        "jobId",
        {"UserIdCreatedAtIndex": ("userId", "createdAt"), "StatusIndex": ("status", "createdAt")},
        "ttl",
    ),
    "ConnectionsTable": ("connectionId", {"UserIdIndex": ("userId", None)}, "ttl"),
}

# docs/api.md §2/§3: (method, path) -> function.
REST_ROUTES = {
    ("POST", "/upload/presigned"): "FileTransferFunction",
    ("POST", "/generate"): "ApiFunction",
    ("GET", "/jobs"): "ApiFunction",
    ("GET", "/jobs/{jobId}"): "ApiFunction",
    ("DELETE", "/jobs/{jobId}"): "ApiFunction",
    ("POST", "/jobs/{jobId}/cancel"): "ApiFunction",
    ("DELETE", "/me"): "ApiFunction",
    ("GET", "/usage"): "ApiFunction",
    ("GET", "/styles"): "ApiFunction",
}

# The Gemini key reaches the worker through SSM, never as a variable of its own.
# The webhook secret reaches the delivery function through Secrets Manager the same way.
SECRET_SETTINGS = {"GEMINI_API_KEY", "WEBHOOK_SECRET"}
# Lambda sets its memory size itself (a reserved variable); the decode budget follows it
# unless an operator overrides DECODE_MEMORY_MB.
RUNTIME_SETTINGS = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "DECODE_MEMORY_MB"}
# Read only by the offline stylizer, which no Lambda function runs (docs/api.md §1).
LOCAL_ONLY_SETTINGS = {"OFFLINE_DELAY_SECONDS"}
ONLY_ON = {
    "GEMINI_API_KEY_PARAMETER": {"ProcessFunction"},
    # Only the worker labels results (docs/api.md, "AI-generated label").
    "C2PA_SIGNING": {"ProcessFunction"},
    "C2PA_SECRET_ARN": {"ProcessFunction"},
    "COGNITO_ISSUER": {"WsAuthorizerFunction"},
    "COGNITO_APP_CLIENT_IDS": {"WsAuthorizerFunction"},
    # The likeness check's bar and retries: only the worker compares results.
    "LIKENESS_MIN": {"ProcessFunction"},
    "LIKENESS_RETRIES": {"ProcessFunction"},
    # Only the delivery function signs webhooks (docs/api.md §4.9).
    "WEBHOOK_SECRET_ARN": {"WebhookFunction"},
}
WORKER_ONLY_PREFIX = "PHOTO_CHECK_"  # the photo check's limits: only the worker checks photos

# What the worker's Powertools Metrics must emit for GenerationFailureRateAlarm to see it.
METRICS_NAMESPACE = "ProfilePhoto"
SERVICE_DIMENSION = {"Name": "service", "Value": "profilephoto"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded, problems = decode(str(TEMPLATE_PATH))
    assert not problems, problems
    assert loaded is not None
    return dict(loaded)


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in resources(template, "AWS::Serverless::Function").items()}


def environment(template: dict[str, Any], function: str) -> dict[str, Any]:
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    own = functions(template)[function].get("Environment", {}).get("Variables", {})
    return {**shared, **own}


def setting(template: dict[str, Any], function: str, name: str) -> int:
    """A numeric setting as the function will read it: the template's value or the default."""
    value = environment(template, function).get(name)
    if value is not None:
        return int(value)
    field = next(f for f in Settings.model_fields.values() if env_name(f.validation_alias) == name)
    return int(field.default)


def timeout(template: dict[str, Any], function: str) -> int:
    props = functions(template)[function]
    return int(props.get("Timeout", template["Globals"]["Function"]["Timeout"]))


def env_name(alias: Any) -> str:
    return str(alias.choices[0])


def setting_names() -> set[str]:
    return {env_name(field.validation_alias) for field in Settings.model_fields.values()}


def parameter_or_value(template: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and "Ref" in value:
        return template["Parameters"][value["Ref"]]
    return value


# ------------------------------------------------------------------ cfn-lint


def lint_findings(path: Path) -> list[str]:
    """cfn-lint's errors and warnings; its informational notes are advice, not failures."""
    return [
        f"{m.rule.id} {m.message} ({path.name}:{m.linenumber})"
        for m in lint_file(path)
        if m.rule.id[0] in "EW"
    ]


def test_cfn_lint_finds_no_error_or_warning_in_the_template():
    assert lint_findings(TEMPLATE_PATH) == []


def test_the_sam_transform_succeeds_offline_and_its_output_lints_clean(tmp_path, monkeypatch):
    pytest.importorskip("samtranslator", reason="pip install aws-sam-translator")
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sam = yaml_parse(TEMPLATE_PATH.read_text())
    # What `sam package` does: local code paths become S3 locations.
    sam["Globals"]["Function"]["CodeUri"] = "s3://artifacts/code.zip"
    sam["Resources"]["DependenciesLayer"]["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    for name in IMAGE_FUNCTIONS:  # and images become repository URIs
        sam["Resources"][name]["Properties"]["ImageUri"] = f"{ECR}/profilephoto:{name}"
    translated = tmp_path / "translated.json"
    translated.write_text(json.dumps(transform(sam, {}, NoManagedPolicies())))

    assert lint_findings(translated) == []


# ------------------------------------------------------------------ handlers


def handler_of(props: dict[str, Any]) -> str:
    """A zip function's Handler, or the command an image function's ImageConfig runs."""
    if props.get("PackageType") == "Image":
        (command,) = props["ImageConfig"]["Command"]
        return str(command)
    return str(props["Handler"])


def test_the_template_runs_the_contract_handlers_and_the_authorizer(template):
    handlers = {name: handler_of(props) for name, props in functions(template).items()}

    assert handlers == {**DOCUMENTED_HANDLERS, **AUTHORIZER}


@pytest.mark.parametrize("path", sorted({*DOCUMENTED_HANDLERS.values(), *AUTHORIZER.values()}))
def test_every_handler_path_imports_and_is_callable(path):
    module_name, _, function = path.rpartition(".")

    module = importlib.import_module(module_name)

    assert callable(getattr(module, function, None)), path


def test_functions_are_arm64_on_one_supported_python_runtime(template):
    shared = template["Globals"]["Function"]
    assert shared["Architectures"] == ["arm64"]
    runtimes = set()
    for name, props in functions(template).items():
        assert "Architectures" not in props
        if name in IMAGE_FUNCTIONS:
            # The image's Python is its base image's: the Lambda Python base at that version.
            base = re.search(
                r"^FROM public\.ecr\.aws/lambda/python:(3\.\d+)\s*$",
                IMAGE_FUNCTIONS[name].read_text(),
                re.MULTILINE,
            )
            assert base is not None, f"{IMAGE_FUNCTIONS[name]} is not on the Lambda Python base"
            runtimes.add(f"python{base.group(1)}")
        else:
            runtimes.add(props["Runtime"])
    assert len(runtimes) == 1 and runtimes <= {"python3.11", "python3.12", "python3.13"}


def test_the_worker_is_a_container_image_built_from_its_dockerfile(template):
    resource = template["Resources"]["ProcessFunction"]
    assert resource["Properties"]["PackageType"] == "Image"
    assert "Layers" not in resource["Properties"]
    metadata = resource["Metadata"]
    assert (ROOT / metadata["DockerContext"] / metadata["Dockerfile"]).is_file()
    dockerfile = IMAGE_FUNCTIONS["ProcessFunction"].read_text()
    # The image installs the worker's lock, every wheel checked against its hash.
    assert "--require-hashes" in dockerfile and "-r /tmp/worker-requirements.lock" in dockerfile
    assert "COPY worker/requirements.lock" in dockerfile and "COPY src/profilephoto" in dockerfile
    for name, props in functions(template).items():
        if name not in IMAGE_FUNCTIONS:
            assert props["Layers"] == [{"Ref": "DependenciesLayer"}], name


# boto3 and botocore come with both Lambda runtimes; starlette and uvicorn only serve the
# local host; PyJWT only the WebSocket authorizer.
PROVIDED_OR_LOCAL = {"boto3", "botocore", "starlette", "uvicorn"}


def requirement_names(lines: list[str]) -> set[str]:
    found = (re.match(r"\s*([A-Za-z0-9_.\-]+)", ln) for ln in lines if not ln.startswith("#"))
    return {m.group(1).lower().replace("_", "-") for m in found if m}


def test_the_layer_is_built_from_its_lock_for_the_functions_runtime(template):
    layer = template["Resources"]["DependenciesLayer"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    # sam build runs `make build-DependenciesLayer` in the layer's ContentUri.
    makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text()
    recipe = makefile.split("build-DependenciesLayer:", 1)[1]
    assert "--require-hashes" in recipe and "requirements.lock" in makefile
    assert '--target "$(ARTIFACTS_DIR)/python"' in recipe  # where Lambda looks in a layer
    runtimes = set(layer["Properties"]["CompatibleRuntimes"])
    assert {f"python{v}" for v in re.findall(r"--python-version (3\.\d+)", recipe)} == runtimes
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert "aarch64" in recipe


def test_third_party_code_is_built_once_into_a_layer_that_covers_the_zip_functions():
    # The layer's lock is made from layer/requirements.txt (tests/unit/test_locks.py).
    requirements = ROOT / "layer" / "requirements.txt"
    assert requirements.is_file(), "layer/requirements.txt is missing; see docs/deploy.md"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = requirement_names(pyproject["project"]["dependencies"]) - PROVIDED_OR_LOCAL
    layer = requirement_names(requirements.read_text().splitlines())
    assert runtime - WORKER_ONLY - layer == set()
    assert layer & WORKER_ONLY == set()  # the API functions stay slim
    # The worker's image installs worker/requirements.txt alone: every runtime dependency
    # but the WebSocket authorizer's JWT library.
    worker = requirement_names((ROOT / "worker" / "requirements.txt").read_text().splitlines())
    assert runtime - {"pyjwt"} - worker == set()


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize("function", sorted(DOCUMENTED_HANDLERS))
def test_every_variable_the_settings_read_is_set_on_each_function(template, function):
    env = environment(template, function)
    expected = {
        name
        for name in setting_names() - SECRET_SETTINGS - RUNTIME_SETTINGS - LOCAL_ONLY_SETTINGS
        if function in ONLY_ON.get(name, {function})
        and (not name.startswith(WORKER_ONLY_PREFIX) or function == "ProcessFunction")
    }

    assert expected - env.keys() == set()


def test_the_websocket_authorizer_is_told_its_user_pool(template):
    env = environment(template, "WsAuthorizerFunction")
    assert {"COGNITO_ISSUER", "COGNITO_APP_CLIENT_IDS"} <= env.keys()


def test_the_workers_memory_gives_a_decode_budget_that_fits_a_50_megapixel_png(template):
    memory = int(functions(template)["ProcessFunction"]["MemorySize"])
    # 50 MP at 3:2, the largest photo the shape limits admit, in the costliest lossless format
    with Image.open(io.BytesIO(png_header_only(8660, 5773))) as png:
        assert decode_cost(png, png.size, working_copies=1) <= budget_bytes(memory)


def test_the_gemini_key_is_read_from_ssm_and_never_passed_in_plain_text(template):
    for function in functions(template):
        assert SECRET_SETTINGS.isdisjoint(environment(template, function)), function
    name = parameter_or_value(
        template, environment(template, "ProcessFunction")["GEMINI_API_KEY_PARAMETER"]
    )
    assert name["Type"] == "String" and name["Default"].startswith("/")
    for parameter in template["Parameters"].values():
        assert parameter.get("NoEcho") is not True, "no secret is a template parameter"


# ------------------------------------------------------------------ tables


@pytest.mark.parametrize("logical_id", sorted(TABLES))
def test_tables_have_the_contract_keys_indexes_and_ttl(template, logical_id):
    key, indexes, ttl = TABLES[logical_id]
    props = template["Resources"][logical_id]["Properties"]

    assert props["KeySchema"] == [{"AttributeName": key, "KeyType": "HASH"}]
    found = {}
    for index in props.get("GlobalSecondaryIndexes", []):
        schema = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
        found[index["IndexName"]] = (schema["HASH"], schema.get("RANGE"))
    assert found == indexes
    ttl_spec = props.get("TimeToLiveSpecification")
    assert (ttl_spec["AttributeName"] if ttl_spec and ttl_spec["Enabled"] else None) == ttl
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert all(a["AttributeType"] == "S" for a in props["AttributeDefinitions"])


def test_each_table_name_reaches_the_functions_through_its_variable(template):
    env = environment(template, "ApiFunction")
    for variable, table in [
        ("USERS_TABLE", "UsersTable"),
        ("USAGE_TABLE", "UsageLogTable"),
        ("JOBS_TABLE", "ImageJobsTable"),
        ("CONNECTIONS_TABLE", "ConnectionsTable"),
    ]:
        assert env[variable] == {"Ref": table}


# ------------------------------------------------------------------ queue


def test_the_dead_letter_queue_only_catches_what_the_worker_could_not_give_up_on(template):
    redrive = template["Resources"]["GenerationQueue"]["Properties"]["RedrivePolicy"]

    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["GenerationDeadLetterQueue", "Arn"]}
    assert int(redrive["maxReceiveCount"]) > setting(template, "ProcessFunction", "MAX_ATTEMPTS")


def test_queue_and_worker_timings_hold_together(template):
    visibility = int(template["Resources"]["GenerationQueue"]["Properties"]["VisibilityTimeout"])
    worker = timeout(template, "ProcessFunction")

    assert visibility >= 6 * worker
    assert setting(template, "ProcessFunction", "PROCESSING_LEASE_SECONDS") > worker
    assert setting(template, "ReconcileFunction", "STUCK_AFTER_SECONDS") >= visibility
    assert setting(template, "ProcessFunction", "GEMINI_TIMEOUT_SECONDS") < worker


def test_the_worker_reports_partial_batch_failures_with_bounded_concurrency(template):
    [event] = functions(template)["ProcessFunction"]["Events"].values()
    props = event["Properties"]

    assert event["Type"] == "SQS"
    assert props["Queue"] == {"Fn::GetAtt": ["GenerationQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    for setting_name, value in (
        ("BatchSize", props["BatchSize"]),
        ("MaximumConcurrency", props["ScalingConfig"]["MaximumConcurrency"]),
    ):
        assert value == {
            "Fn::FindInMap": ["FleetSizing", {"Ref": "ModelRequestsPerMinute"}, setting_name]
        }


def test_the_worker_fleet_is_sized_from_the_model_quota_as_the_domain_sizes_it(template):
    quota = template["Parameters"]["ModelRequestsPerMinute"]
    sizing = template["Mappings"]["FleetSizing"]

    assert [int(rpm) for rpm in quota["AllowedValues"]] == list(OFFERED_RPM)
    assert int(quota["Default"]) in OFFERED_RPM
    assert sizing == {
        str(rpm): {
            "MaximumConcurrency": fleet_size(rpm).concurrency,
            "BatchSize": fleet_size(rpm).batch_size,
        }
        for rpm in OFFERED_RPM
    }


def test_deploy_docs_sizing_table_is_the_templates_arithmetic():
    docs = (ROOT / "docs" / "deploy.md").read_text()
    for rpm in OFFERED_RPM:
        size = fleet_size(rpm)
        row = f"| {rpm:,} RPM | {size.records} | {size.concurrency} \u00d7 {size.batch_size} |"
        assert row in docs, row


# ------------------------------------------------------------------ APIs


def test_rest_routes_are_the_contract_routes_behind_cognito_with_open_preflights(template):
    routes, preflights = {}, set()
    for name, props in functions(template).items():
        for event in props.get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            p = event["Properties"]
            assert p["RestApiId"] == {"Ref": "RestApi"}
            if p["Method"] == "OPTIONS":
                assert name == "ApiFunction" and p["Auth"] == {"Authorizer": "NONE"}
                preflights.add(p["Path"])
            else:
                assert "Auth" not in p, "every route uses the default Cognito authorizer"
                routes[(p["Method"], p["Path"])] = name

    assert routes == REST_ROUTES
    assert preflights == {path for _, path in REST_ROUTES}
    auth = template["Resources"]["RestApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "CognitoAuthorizer"
    assert "UserPoolArn" in auth["Authorizers"]["CognitoAuthorizer"]


def test_websocket_connect_is_authorized_by_the_token_query_parameter(template):
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    [authorizer] = resources(template, "AWS::ApiGatewayV2::Authorizer").values()

    assert set(routes) == {"$connect", "$disconnect", "$default"}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    assert authorizer["Properties"]["IdentitySource"] == ["route.request.querystring.token"]
    assert "WsAuthorizerFunction.Arn" in authorizer["Properties"]["AuthorizerUri"]["Fn::Sub"]


def test_the_websocket_endpoint_names_the_stage_the_notifier_posts_to(template):
    endpoint = template["Globals"]["Function"]["Environment"]["Variables"]["WEBSOCKET_ENDPOINT"]
    stage = resources(template, "AWS::ApiGatewayV2::Stage")["WebSocketStage"]["Properties"]

    assert endpoint["Fn::Sub"].startswith("https://${WebSocketApi}.execute-api.")
    assert endpoint["Fn::Sub"].endswith("/${StageName}")
    assert stage["StageName"] == {"Ref": "StageName"}


# ------------------------------------------------------------------ security


@pytest.mark.parametrize("bucket", ["UploadBucket", "ResultBucket"])
def test_buckets_are_private_encrypted_tls_only_and_expire(template, bucket):
    props = template["Resources"][bucket]["Properties"]
    [policy] = [
        r["Properties"]["PolicyDocument"]
        for r in resources(template, "AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": bucket}
    ]

    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )
    assert props["CorsConfiguration"]["CorsRules"]
    [lifecycle] = props["LifecycleConfiguration"]["Rules"]
    assert lifecycle["Status"] == "Enabled"
    if bucket == "UploadBucket":
        assert lifecycle["ExpirationInDays"] == 1
    else:
        assert parameter_or_value(template, lifecycle["ExpirationInDays"])["Type"] == "Number"


def test_no_function_policy_grants_a_wildcard_resource(template):
    for name, props in functions(template).items():
        for policy in props.get("Policies", []):
            assert isinstance(policy, dict), f"{name}: managed policy {policy}"
            for statement in policy.get("Statement", []):
                resource = statement["Resource"]
                assert resource != "*" and "*" not in statement["Action"], name


def test_only_the_functions_that_push_may_manage_websocket_connections(template):
    managers = {
        name
        for name, props in functions(template).items()
        for policy in props.get("Policies", [])
        for statement in policy.get("Statement", [])
        if statement["Action"] == "execute-api:ManageConnections"
    }

    assert managers == {"ProcessFunction", "WebSocketFunction", "ReconcileFunction"}


def test_the_reconciler_runs_on_a_schedule(template):
    [event] = functions(template)["ReconcileFunction"]["Events"].values()

    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"].startswith("rate(")


# ------------------------------------------------------------------ alarms


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in resources(template, "AWS::CloudWatch::Alarm").items()}


def alarm_metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    return [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]


def test_every_alarm_notifies_the_topic(template):
    for name, alarm in alarms(template).items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name


def test_every_function_has_an_error_rate_alarm_above_five_percent(template):
    watched = set()
    for alarm in alarms(template).values():
        metrics = alarm_metrics(alarm)
        if {m.get("MetricName") for m in metrics} == {"Errors", "Invocations"}:
            assert alarm["Threshold"] == 5 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
            [function] = {m["Dimensions"][0]["Value"]["Ref"] for m in metrics}
            watched.add(function)

    assert watched == set(functions(template))


def test_the_queue_age_alarm_fires_after_five_minutes(template):
    [alarm] = [
        a
        for a in alarms(template).values()
        if a.get("MetricName") == "ApproximateAgeOfOldestMessage"
    ]

    assert alarm["Threshold"] == 300
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["GenerationQueue", "QueueName"]}


def test_the_throttle_alarm_watches_every_table(template):
    watched = {
        m["Dimensions"][0]["Value"]["Ref"]
        for alarm in alarms(template).values()
        for m in alarm_metrics(alarm)
        if m["Namespace"] == "AWS/DynamoDB" and "Throttle" in m["MetricName"]
    }

    assert watched == set(TABLES)


def test_the_gemini_failure_alarm_reads_the_metrics_the_worker_emits(template):
    alarm = alarms(template)["GenerationFailureRateAlarm"]
    shared = template["Globals"]["Function"]["Environment"]["Variables"]

    assert {(m["Namespace"], m["MetricName"]) for m in alarm_metrics(alarm)} == {
        (METRICS_NAMESPACE, "GenerationFailed"),
        (METRICS_NAMESPACE, "GenerationSucceeded"),
    }
    assert all(m["Dimensions"] == [SERVICE_DIMENSION] for m in alarm_metrics(alarm))
    assert alarm["Threshold"] == 10
    # Powertools Metrics takes its namespace and `service` dimension from these.
    assert shared["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE
    assert shared["POWERTOOLS_SERVICE_NAME"] == SERVICE_DIMENSION["Value"]


def test_outputs_give_what_a_client_needs(template):
    assert {"ApiUrl", "WebSocketUrl", "UserPoolId", "UserPoolClientId"} <= set(template["Outputs"])


@pytest.mark.parametrize("metric", ["ModelUnavailable", "ModelAccessDenied"])
def test_an_operator_error_pages_at_its_first_occurrence(template, metric):
    [alarm] = [a for a in alarms(template).values() if a.get("MetricName") == metric]
    assert (alarm["Namespace"], alarm["Dimensions"]) == (METRICS_NAMESPACE, [SERVICE_DIMENSION])
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"


AWS_NAMESPACES = {"AWS/Lambda", "AWS/SQS", "AWS/DynamoDB"}
EMITTERS = ("process.py", "http.py", "reconcile.py", "observability.py")


def emitted_metrics() -> set[str]:
    """Every EMF metric name the handlers emit: `count("X")`, `add_metric(name="X")` and
    the operator-error metrics the worker counts by code."""
    from profilephoto.entrypoints.aws_lambda.process import OPERATOR_ERRORS

    package = Path(importlib.import_module("profilephoto.entrypoints.aws_lambda").__file__).parent
    source = "".join((package / name).read_text() for name in EMITTERS)
    named = re.findall(r'count\(\s*"(\w+)"', source) + re.findall(r'name="(\w+)"', source)
    return set(named) | set(OPERATOR_ERRORS.values())


def dashboard_metrics(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, metric) of every metric and SEARCH expression on the dashboards."""
    found = []
    for board in resources(template, "AWS::CloudWatch::Dashboard").values():
        body = board["Properties"]["DashboardBody"]["Fn::Sub"]
        widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
        for widget in widgets:
            for row in widget["properties"]["metrics"]:
                if isinstance(row[0], str):
                    found.append((row[0], row[1]))
                for search in re.findall(
                    r"SEARCH\('\{(\w+)[^}]*\} MetricName=\"(\w+)\"",
                    json.dumps(row).replace('\\"', '"'),
                ):
                    found.append(search)
    return found


def test_the_dashboard_shows_only_metrics_that_exist(template):
    emitted = emitted_metrics()
    shown = dashboard_metrics(template)
    assert {
        "ImagesGenerated",
        "EstimatedCostUsd",
        "JobsFailed",
        "PhotosRejected",
        "LikenessScore",
        "LowLikeness",
        "LikenessRetries",
    } <= {metric for _, metric in shown}
    for namespace, metric in shown:
        assert namespace in AWS_NAMESPACES or (
            namespace == METRICS_NAMESPACE and metric in emitted
        ), (namespace, metric)


def test_the_dashboard_has_the_operators_views(template):
    shown = dashboard_metrics(template)
    durations = [m for m in shown if m == ("AWS/Lambda", "Duration")]
    assert len(durations) == 3 * len(resources(template, "AWS::Serverless::Function"))
    for metric in ("ApproximateAgeOfOldestMessage", "ReadThrottleEvents", "Errors"):
        assert any(name == metric for _, name in shown), metric


def test_every_alarm_watches_a_metric_that_exists(template):
    emitted = emitted_metrics()
    for name, alarm in alarms(template).items():
        metrics = alarm_metrics(alarm) or [alarm]
        for metric in metrics:
            namespace = metric["Namespace"]
            assert namespace in AWS_NAMESPACES or metric["MetricName"] in emitted, name


def test_the_deploy_guide_counts_the_templates_functions_as_they_are(template):
    words = {5: "five", 6: "six", 7: "seven", 8: "eight"}
    count = len(functions(template))
    intro = (ROOT / "docs" / "deploy.md").read_text().split("\n\n")[1]
    assert f"the {words[count]} Lambda functions" in " ".join(intro.split())


# ------------------------------------------------------------------ webhooks


def test_webhooks_are_delivered_from_their_own_queue_with_a_dead_letter_queue(template):
    [event] = functions(template)["WebhookFunction"]["Events"].values()
    props = event["Properties"]
    queue = template["Resources"]["WebhookQueue"]["Properties"]

    assert event["Type"] == "SQS"
    assert props["Queue"] == {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WebhookDeadLetterQueue", "Arn"]
    }
    # Above the backoff's attempts, so the DLQ only catches what failed by our fault.
    assert int(queue["RedrivePolicy"]["maxReceiveCount"]) > len(RETRY_DELAYS) + 1
    assert int(queue["VisibilityTimeout"]) >= 6 * timeout(template, "WebhookFunction")
    # An event outlives its 24 h of retries on the queue; no backoff exceeds SQS's 12 h.
    assert int(queue["MessageRetentionPeriod"]) > DELIVERY_WINDOW.total_seconds()
    assert max(RETRY_DELAYS).total_seconds() <= MAX_VISIBILITY_SECONDS
    assert timeout(template, "WebhookFunction") > 2 * TIMEOUT_SECONDS


def test_the_webhook_dead_letter_queue_has_an_alarm(template):
    watched = [
        a
        for a in alarms(template).values()
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["WebhookDeadLetterQueue", "QueueName"]}
    ]
    assert len(watched) == 1 and watched[0]["Threshold"] == 0


def test_every_function_that_ends_jobs_may_queue_webhook_events_and_only_one_signs(template):
    senders = {
        name
        for name, props in functions(template).items()
        for policy in props.get("Policies", [])
        if policy.get("SQSSendMessagePolicy", {}).get("QueueName")
        == {"Fn::GetAtt": ["WebhookQueue", "QueueName"]}
    }
    readers = {
        name
        for name, props in functions(template).items()
        for policy in props.get("Policies", [])
        for statement in policy.get("Statement", [])
        if statement["Action"] == "secretsmanager:GetSecretValue"
        and statement["Resource"] == {"Ref": "WebhookSecret"}
    }
    assert senders == {"ApiFunction", "ProcessFunction", "ReconcileFunction"}
    assert readers == {"WebhookFunction"}
    # The transactional outbox (docs/api.md §4.9): each of them writes an event's record in
    # the commit that ends a job and deletes it once queued; the reconciler also queries
    # StatusIndex for those left. DynamoDBCrudPolicy holds PutItem, DeleteItem and Query.
    crud = {
        name
        for name, props in functions(template).items()
        for policy in props.get("Policies", [])
        if policy.get("DynamoDBCrudPolicy", {}).get("TableName") == {"Ref": "ImageJobsTable"}
    }
    assert senders <= crud
    assert environment(template, "WebhookFunction")["WEBHOOK_ALLOW_PRIVATE"] == "off"


def inline_actions(template: dict[str, Any], function: str) -> dict[str, list[Any]]:
    """Each action the function's inline policy statements allow, with their resources."""
    allowed: dict[str, list[Any]] = {}
    for policy in functions(template)[function].get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                allowed.setdefault(action, []).append(statement["Resource"])
    return allowed


@pytest.mark.parametrize(
    ("function", "queue"),
    [("ProcessFunction", "GenerationQueue"), ("WebhookFunction", "WebhookQueue")],
)
def test_a_consumer_that_postpones_a_record_may_change_its_visibility(template, function, queue):
    # SqsRedelivery.postpone hands a record back with its visibility set to the backoff; the
    # SQS event source's managed role (AWSLambdaSQSQueueExecutionRole) receives and deletes
    # but does not change visibility, and moto enforces no IAM: only this test sees it.
    allowed = inline_actions(template, function)
    assert {"Fn::GetAtt": [queue, "Arn"]} in allowed.get("sqs:ChangeMessageVisibility", [])
