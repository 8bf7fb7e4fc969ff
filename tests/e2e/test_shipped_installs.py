"""What ships is what is tested (docs/deploy.md, "Locked installs").

Three installs are built as they ship, without the test tools, once per content of the
requirement files, their locks and pyproject.toml (kept under .venv/shipped/<hash>/):
- `runtime`: a venv with `pip install .` and no extras (what `make run` installs). In it,
  with a Gemini key pointed at the fake endpoint: every handler the template names
  imports, `doctor` checks the model, `demo` and `serve` each make an image through the
  Gemini adapter.
- `layer`: layer/requirements.lock as layer/Makefile installs it, and `worker`:
  worker/requirements.lock as worker/Dockerfile installs it (--require-hashes, binary
  wheels), each for linux/arm64 (every wheel exists for the Lambda runtime) and for this
  machine under Python 3.12 (an arm64 wheel cannot load here) beside the runtime's boto3.
  On moto's server and the fake Gemini, with each function's variables from
  template.yaml: the zip functions presign, accept and report a job from the layer alone,
  and the worker makes it from the image's packages alone (its key read from SSM).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from cfnlint.decode import decode
from packaging.utils import canonicalize_name

from benchmarks.worker_image import IndexUnreachable, install, lambda_python
from profilephoto.adapters.aws.tables import TableNames, create_tables
from profilephoto.adapters.labels.c2pa_labeler import C2paContentLabeler
from profilephoto.adapters.local.keyfile import load_or_create_secret
from profilephoto.entrypoints.sample_photo import sample_portrait
from tests import shipping
from tests.e2e.aws_stack import REGION, fresh_account, moto_server, signing_secret
from tests.e2e.lambda_events import SUB, answer, load, rest
from tests.e2e.local_server import LocalServer
from tests.e2e.test_local_server import Client
from tests.integration.fake_gemini import FakeGemini, image_reply

# A first build installs ~300 MB of wheels (later runs reuse it): pip's time, not the suite's.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("shipped-installs"),
    pytest.mark.timeout(1800),
]

INPUTS = (
    shipping.PYPROJECT,
    shipping.LAYER_REQUIREMENTS,
    shipping.LAYER_LOCK,
    shipping.WORKER_REQUIREMENTS,
    shipping.WORKER_LOCK,
)
CACHE = shipping.ROOT / ".venv" / "shipped"
INVOKE = Path(__file__).parent / "lambda_invoke.py"
ELF_AARCH64 = 183  # e_machine of an arm64 ELF shared object
GEMINI_KEY = "AIzaSy-shipped-install-key"
DEFAULT_MODEL = "gemini-nano-banana-2.1"
# The packages only the worker's image brings: the zip functions never load them.
WORKER_MODULES = {"google", "PIL", "pillow_heif", "c2pa", "numpy", "onnxruntime", "ai_edge_litert"}


# ------------------------------------------------------------------ the installs


def inputs_key() -> str:
    digest = hashlib.sha256()
    for path in INPUTS:
        digest.update(path.relative_to(shipping.ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class Installs:
    """Each install built once into .venv/shipped/<hash>/<name> (a later run, or another
    test, finds it complete); installs of other contents are removed."""

    def __init__(self) -> None:
        self.root = CACHE / inputs_key()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        CACHE.mkdir(parents=True, exist_ok=True)
        with (CACHE / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another pytest process builds: wait for it
            yield

    def get(self, name: str, build: Callable[[Path], None]) -> Path:
        path = self.root / name
        if (path / ".complete").exists():
            return path
        with self._locked():
            if (path / ".complete").exists():
                return path
            for stale in CACHE.iterdir():
                if stale.is_dir() and stale != self.root:
                    shutil.rmtree(stale, ignore_errors=True)
            shutil.rmtree(path, ignore_errors=True)  # a build a killed run left half done
            path.mkdir(parents=True)
            started = time.monotonic()
            try:
                build(path)
            except IndexUnreachable as offline:
                shutil.rmtree(path, ignore_errors=True)
                pytest.skip(f"the package index is out of reach: {offline}")
            (path / ".complete").write_text(f"{time.monotonic() - started:.0f} s\n")
        return path


def project_copy(into: Path) -> Path:
    """The project as `pip install .` sees it, without this checkout's caches."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(shipping.ROOT / name, into / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(shipping.SRC, into / "src", ignore=ignore)
    return into


def pip_install(python: Path, *args: str) -> None:
    """pip as a user runs it. The builds pass --no-compile: a third of pip's time here goes
    to byte-compiling every module, and Python compiles what a test imports by itself."""
    run = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if run.returncode != 0:
        if any(marker in run.stderr for marker in ("NewConnectionError", "name resolution")):
            raise IndexUnreachable(run.stderr[-300:])
        raise AssertionError(f"pip install {' '.join(args)} failed:\n{run.stderr[-3000:]}")


@pytest.fixture(scope="module")
def installs() -> Installs:
    return Installs()


@pytest.fixture(scope="module")
def python312() -> str:
    found = lambda_python()
    if found is None:
        pytest.skip("no Python 3.12 here (the Lambda runtime's): the layer and image run on it")
    return found


@pytest.fixture(scope="module")
def runtime(installs: Installs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv of `pip install .` with no extras. When src/ changed since, only the
    package is reinstalled from this checkout (its dependencies stay)."""
    code = source_key()

    def build(venv: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        source = project_copy(tmp_path_factory.mktemp("src"))
        pip_install(venv / "bin" / "python", "--no-compile", str(source))
        (venv / ".project").write_text(code)

    venv = installs.get("runtime", build)
    stamp = venv / ".project"
    if not stamp.exists() or stamp.read_text() != code:  # the code changed since installed
        source = project_copy(tmp_path_factory.mktemp("src"))
        pip_install(venv / "bin" / "python", "--no-deps", "--force-reinstall", str(source))
        stamp.write_text(code)
    return venv


def source_key() -> str:
    """What `pip install .` takes from this checkout besides the requirements."""
    digest = hashlib.sha256((shipping.ROOT / "README.md").read_bytes())
    for path in sorted(shipping.PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(shipping.SRC).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def locked_install(lock: Path, python: str) -> Callable[[Path], None]:
    def build(into: Path) -> None:
        install(into, "--no-compile", "--require-hashes", "-r", str(lock), python=python)

    return build


@pytest.fixture(scope="module")
def layer(installs: Installs, python312: str) -> Path:
    return installs.get("layer", locked_install(shipping.LAYER_LOCK, python312))


@pytest.fixture(scope="module")
def worker(installs: Installs, python312: str) -> Path:
    return installs.get("worker", locked_install(shipping.WORKER_LOCK, python312))


@pytest.fixture(scope="module")
def lambda_runtime(installs: Installs, python312: str) -> Path:
    """boto3, which the Lambda Python runtime and base image bring themselves."""
    return installs.get(
        "lambda-runtime", lambda into: install(into, "--no-compile", "boto3", python=python312)
    )


# ------------------------------------------------------------------ arm64


def install_arm64(into: Path, lock: Path) -> None:
    """The lock's wheels for linux/arm64 and the Lambda Python, each checked against its hash.
    uv installs them when the test venv has it (seconds; pip takes a minute for the image):
    which wheel fits a platform and what its hash is read the same to both tools."""
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        install(into, "--require-hashes", "-r", str(lock), arm64=True)
        return
    run = subprocess.run(
        [
            *(str(uv), "pip", "install", "--quiet", "--require-hashes", "--only-binary", ":all:"),
            *("--python-platform", "aarch64-manylinux_2_28", "--python-version", "3.12"),
            *("--target", str(into), "-r", str(lock)),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if run.returncode != 0:
        if "Failed to fetch" in run.stderr or "dns error" in run.stderr:
            raise IndexUnreachable(run.stderr[-300:])
        raise AssertionError(f"uv pip install -r {lock.name} for arm64 failed:\n{run.stderr}")
    for rlib in into.rglob("*.rlib"):  # as the Dockerfile drops them
        rlib.unlink()


@pytest.mark.parametrize(
    "lock", [shipping.LAYER_LOCK, shipping.WORKER_LOCK], ids=["layer", "worker"]
)
def test_each_lock_installs_from_arm64_wheels_for_the_lambda_python(installs, lock):
    """Every locked package has a linux/arm64 wheel for Python 3.12 whose hash is locked;
    the install is checked, then only its verdict is kept (the image weighs ~300 MB)."""

    def build(into: Path) -> None:
        packages = into / "packages"
        install_arm64(packages, lock)
        libraries = list(packages.rglob("*.so")) + list(packages.rglob("*.so.*"))
        machines = {int.from_bytes(so.read_bytes()[18:20], "little") for so in libraries}
        assert libraries and machines == {ELF_AARCH64}, machines  # what arm64 Lambda loads
        assert not list(packages.rglob("*.rlib"))  # dropped as the Dockerfile drops them
        locked = set(shipping.locked(lock))
        installed = {canonicalize_name(d.name.split("-")[0]) for d in packages.glob("*.dist-info")}
        assert installed == locked
        (into / "verdict").write_text(f"{len(locked)} packages, {len(libraries)} arm64 libraries\n")
        shutil.rmtree(packages)

    verdict = installs.get(f"{lock.parent.name}-arm64", build) / "verdict"
    assert "packages" in verdict.read_text()


# ------------------------------------------------------------------ pip install .


@pytest.fixture(scope="module")
def gemini() -> Iterator[FakeGemini]:
    # Every job here uploads the sample portrait and gets it back: the likeness check passes.
    model = FakeGemini(default=image_reply(sample_portrait(), "image/jpeg")).start()
    yield model
    model.stop()


def runtime_env(gemini: FakeGemini, **more: str) -> dict[str, str]:
    """A user's shell with a Gemini key: nothing of the test venv on any path."""
    keep = ("HOME", "LANG", "TMPDIR")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "PATH": os.defpath,
        "GEMINI_API_KEY": GEMINI_KEY,
        "GOOGLE_GEMINI_BASE_URL": gemini.url,
        "NO_PROXY": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        **more,
    }


def template_handlers() -> dict[str, str]:
    """{function: module.function} of every function in template.yaml (the image's from
    its ImageConfig command)."""
    template = loaded_template()
    found = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            props = resource["Properties"]
            found[name] = props.get("Handler") or props["ImageConfig"]["Command"][0]
    return found


def test_pip_install_without_extras_imports_every_handler_the_template_names(runtime, gemini):
    modules = sorted({h.rsplit(".", 1)[0] for h in template_handlers().values()})
    run = subprocess.run(
        [
            str(runtime / "bin" / "python"),
            "-c",
            "import sys, importlib\n"
            "for m in sys.argv[1:]: assert callable(importlib.import_module(m).handler), m",
            *modules,
        ],
        capture_output=True,
        text=True,
        env=runtime_env(gemini),
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert {f"profilephoto.entrypoints.aws_lambda.{m}" for m in ("api", "process")} < set(modules)


def test_doctor_on_the_runtime_install_finds_the_model_for_the_key(runtime, gemini, tmp_path):
    load_or_create_secret(tmp_path, "token")  # as `profilephoto serve` leaves it
    run = subprocess.run(
        [str(runtime / "bin" / "profilephoto"), "doctor", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=runtime_env(gemini),
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert f"MODEL_NAME={DEFAULT_MODEL} exists for this key" in run.stdout
    assert run.stdout.rstrip().endswith("all is well")


def test_demo_on_the_runtime_install_makes_its_image_through_gemini(runtime, gemini, tmp_path):
    before = len(gemini.received)
    out = tmp_path / "result.png"
    run = subprocess.run(
        [
            str(runtime / "bin" / "profilephoto"),
            "demo",
            "--out",
            str(out),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        env=runtime_env(gemini),
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert f"model {DEFAULT_MODEL}" in run.stdout
    calls = [r for r in gemini.received[before:] if r.path.endswith(":generateContent")]
    assert calls and all(r.headers["x-goog-api-key"] == GEMINI_KEY for r in calls)
    assert out.stat().st_size > 0


def test_serve_on_the_runtime_install_makes_a_job_through_gemini(runtime, gemini, tmp_path):
    server = LocalServer(
        tmp_path / "data", env=runtime_env(gemini), script=runtime / "bin" / "profilephoto"
    )
    server.start(timeout=120)
    try:
        client = Client(server)
        assert client.http.get("/").status_code == 200  # the page
        assert client.http.get("/openapi.json").status_code == 200
        ticket = client.upload()
        accepted = client.generate(ticket["fileKey"])
        assert accepted.status_code == 202, accepted.text
        job = client.wait_for(accepted.json()["jobId"], {"completed", "failed"}, timeout=180)
        assert job["status"] == "completed", (job, server.output())
        assert job["metadata"]["model"] == DEFAULT_MODEL
        assert httpx.get(job["resultUrl"], timeout=10).status_code == 200
    finally:
        server.stop()


# ------------------------------------------------------------------ the layer and the image


def loaded_template() -> dict[str, Any]:
    template, problems = decode(str(shipping.TEMPLATE))
    assert not problems and template is not None, problems
    return dict(template)


def function_env(
    function: str, places: dict[str, str], queue: Callable[[str], str]
) -> dict[str, str]:
    """The variables Lambda sets on `function`: template.yaml's, each parameter at its
    default, a queue the template declares as a queue of that name on moto (`queue`), and
    what names another resource at the place `places` gives it on moto."""
    template = loaded_template()
    parameters, resources = template["Parameters"], template["Resources"]
    props = resources[function]["Properties"]
    variables = {
        **template["Globals"]["Function"]["Environment"]["Variables"],
        **props.get("Environment", {}).get("Variables", {}),
    }
    env = {}
    for name, value in variables.items():
        ref = value.get("Ref") if isinstance(value, dict) and len(value) == 1 else None
        if name in places:
            env[name] = places[name]
        elif isinstance(value, str):
            env[name] = value
        elif ref in parameters:
            env[name] = str(parameters[ref].get("Default", ""))
        elif ref in resources and resources[ref]["Type"] == "AWS::SQS::Queue":
            env[name] = queue(ref)
        else:
            raise AssertionError(f"{function}: say where {name} ({value}) points on moto")
    memory = props.get("MemorySize", template["Globals"]["Function"]["MemorySize"])
    return {
        **env,
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
    }


class Account:
    """The resources of template.yaml on moto's server, named as the functions see them."""

    def __init__(self, endpoint: str, gemini: FakeGemini) -> None:
        # moto's backends live in the process: another module on this test worker (the
        # lowest-bounds installs share this fixture) may have made these resources before.
        fresh_account()
        self.endpoint = endpoint
        self.gemini = gemini
        self.aws = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
        }
        self.s3 = self.client("s3")
        for bucket in ("pp-uploads", "pp-results"):
            self.s3.create_bucket(Bucket=bucket)
        self.queue_url = self.queue("GenerationQueue")
        tables = TableNames()
        create_tables(self.client("dynamodb"), tables)
        parameter = loaded_template()["Parameters"]["GeminiApiKeyParameterName"]["Default"]
        self.client("ssm").put_parameter(Name=parameter, Value=GEMINI_KEY, Type="SecureString")
        self.places = {
            "UPLOAD_BUCKET": "pp-uploads",
            "RESULT_BUCKET": "pp-results",
            "SQS_QUEUE_URL": self.queue_url,
            "USERS_TABLE": tables.users,
            "USAGE_TABLE": tables.usage,
            "JOBS_TABLE": tables.jobs,
            "CONNECTIONS_TABLE": tables.connections,
            "WEBSOCKET_ENDPOINT": endpoint,
            "C2PA_SECRET_ARN": signing_secret(endpoint),
            "COGNITO_ISSUER": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_shipped",
            "COGNITO_APP_CLIENT_IDS": "shipped-client",
        }

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)

    def next_record(self) -> dict[str, Any]:
        """The generation queue's next message as the SQS event source hands it over."""
        message = self.client("sqs").receive_message(
            QueueUrl=self.queue_url, AttributeNames=["All"], WaitTimeSeconds=5
        )["Messages"][0]
        return dict(
            load("sqs_batch")["Records"][0],
            messageId=message["MessageId"],
            body=message["Body"],
            receiptHandle=message["ReceiptHandle"],
            attributes=message["Attributes"],
        )

    def queue(self, name: str) -> str:
        """The URL of the queue template.yaml names `name` (made on first use)."""
        return str(self.client("sqs").create_queue(QueueName=name)["QueueUrl"])

    def environment(self, function: str) -> dict[str, str]:
        return {
            "PATH": os.defpath,
            "GOOGLE_GEMINI_BASE_URL": self.gemini.url,
            "NO_PROXY": "127.0.0.1",
            **self.aws,
            **function_env(function, self.places, self.queue),
        }


@pytest.fixture(scope="module")
def account(gemini: FakeGemini) -> Iterator[Account]:
    with pytest.MonkeyPatch.context() as env, moto_server() as endpoint:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.setenv(name, "testing")  # this process's own clients, on moto
        yield Account(endpoint, gemini)


def invoke(
    python: str, paths: list[Path], env: dict[str, str], calls: list[dict[str, Any]], tmp: Path
) -> dict[str, Any]:
    """The calls in one cold process of `python` with only `paths` (lambda_invoke.py)."""
    out = tmp / f"answers-{len(list(tmp.glob('answers-*')))}.json"
    run = subprocess.run(
        [python, "-S", "-I", str(INVOKE), str(out), *map(str, paths), str(shipping.SRC)],
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return dict(json.loads(out.read_text()))


def test_the_layer_and_the_worker_image_alone_run_a_job_end_to_end(
    layer, worker, lambda_runtime, python312, account, gemini, tmp_path
):
    handlers = template_handlers()

    def on_layer(function: str, *events: dict[str, Any] | None) -> dict[str, Any]:
        calls = [{"handler": handlers[function], "event": event} for event in events]
        # Importing reads no variable (nothing happens at import time): AWS's own suffice.
        env = account.environment(function) if any(events) else {"PATH": os.defpath, **account.aws}
        found = invoke(python312, [layer, lambda_runtime], env, calls, tmp_path)
        assert WORKER_MODULES & set(found["modules"]) == set(), function
        return found

    photo = sample_portrait()  # a real face (the photo check), which the fake model returns
    presign = rest(
        "presign", body={"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": len(photo)}
    )
    status, ticket = answer(on_layer("FileTransferFunction", presign)["answers"][0])
    assert status == 200, ticket
    put = urllib.request.Request(
        ticket["uploadUrl"], data=photo, method="PUT", headers=ticket["headers"]
    )
    with urllib.request.urlopen(put) as response:
        assert response.status == 200

    generate = rest("generate", body={"fileKey": ticket["fileKey"], "style": "professional"})
    accepted = on_layer("ApiFunction", generate, rest("styles"))["answers"]
    status, body = answer(accepted[0])
    assert status == 202, body
    assert answer(accepted[1])[0] == 200
    job_id = body["jobId"]

    record = account.next_record()
    before = len(gemini.received)
    env = account.environment("ProcessFunction")
    assert "GEMINI_API_KEY" not in env  # the worker reads its key from SSM
    processed = invoke(
        python312,
        [worker, lambda_runtime],
        env,
        [{"handler": handlers["ProcessFunction"], "event": {"Records": [record]}}],
        tmp_path,
    )
    assert processed["answers"] == [{"batchItemFailures": []}]
    calls = [r for r in gemini.received[before:] if r.path.endswith(":generateContent")]
    assert calls and all(r.headers["x-goog-api-key"] == GEMINI_KEY for r in calls)

    status, job = answer(
        on_layer("ApiFunction", rest("get_job", path=f"/jobs/{job_id}"))["answers"][0]
    )
    assert status == 200 and job["status"] == "completed", job
    assert job["metadata"]["model"] == DEFAULT_MODEL and job["aiGenerated"] is True
    (stored,) = account.s3.list_objects_v2(Bucket="pp-results")["Contents"]
    result = account.s3.get_object(Bucket="pp-results", Key=stored["Key"])["Body"].read()
    label = C2paContentLabeler(None).read(result)
    assert label is not None and label.signed and label.intact, label
    assert label.source_type.term == "trainedAlgorithmicMedia"

    # The WebSocket and the sweep answer from the layer too; every other zip function's
    # handler imports there.
    connect = load("ws_connect")
    assert connect["requestContext"]["authorizer"]["principalId"] == SUB
    assert on_layer("WebSocketFunction", connect)["answers"][0]["statusCode"] == 200
    on_layer("ReconcileFunction", load("schedule"))
    called = {"FileTransferFunction", "ApiFunction", "WebSocketFunction", "ReconcileFunction"}
    for function in sorted(set(handlers) - called - {"ProcessFunction"}):
        on_layer(function, None)
