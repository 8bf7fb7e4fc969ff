"""The lower bounds pyproject.toml declares are installed and run (docs/deploy.md, "Locked
installs").

A host may pin any version our ranges allow, not only the newest that the dev venv and the
other shipped installs get. `uv pip install --resolution lowest-direct .` installs every
direct dependency at the lowest version its range allows (what those need, at the newest),
with no test tools, under the oldest Python pyproject allows and under the Lambda runtime's
(built once per content of pyproject.toml and the locks, as .venv/shipped/<hash>/lowest-3.X,
beside tests/e2e/test_shipped_installs.py's). In each, as a host uses the package: every
direct dependency sits at its declared floor, every module imports, the library runs a job
on the memory and the local runtime, `profilephoto demo` makes an image with the offline
stylizer, `asgi_app` mounted in a Starlette server under uvicorn answers, and on moto's
server `profilephoto.aws()` queues a job that the worker function makes (through Gemini,
faked) and the library reads back.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from benchmarks.worker_image import IndexUnreachable, interpreter, python_version
from tests import shipping
from tests.e2e import test_shipped_installs as shipped
from tests.e2e.test_shipped_installs import Installs, project_copy, source_key

# A first build downloads ~150 MB of wheels per Python; later runs reuse the install.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("shipped-installs"),
    pytest.mark.timeout(1800),
]


def oldest_python() -> str:
    """The lowest Python pyproject.toml's requires-python allows ("3.11")."""
    found = re.search(r'requires-python\s*=\s*">=\s*(3\.\d+)', shipping.PYPROJECT.read_text())
    assert found, "requires-python is not `>=3.X`"
    return found.group(1)


PYTHONS = sorted({oldest_python(), python_version()}, key=Version)


def uv_install(venv: Path, *args: str) -> None:
    """uv as a host runs it, with the package index as its only source."""
    uv = Path(sys.executable).with_name("uv")  # a dev dependency (`make lock`)
    if not uv.exists():
        pytest.skip("uv is not installed beside this Python (pip install -e '.[dev]')")
    run = subprocess.run(
        [str(uv), "pip", "install", "--no-config", "--python", str(venv / "bin" / "python"), *args],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if run.returncode != 0:
        if "Failed to fetch" in run.stderr or "dns error" in run.stderr:
            raise IndexUnreachable(run.stderr[-300:])
        raise AssertionError(f"uv pip install {' '.join(args)} failed:\n{run.stderr[-4000:]}")


@pytest.fixture(scope="module", params=PYTHONS, ids=lambda version: f"py{version}")
def lowest(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv of the lowest-direct install. When src/ changed since, only the package is
    reinstalled from this checkout (its dependencies stay at their floors)."""
    version: str = request.param
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no Python {version} here")
    code = source_key()

    def build(venv: Path) -> None:
        subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
        source = project_copy(tmp_path_factory.mktemp("src"))
        uv_install(venv, "--resolution", "lowest-direct", str(source))
        (venv / ".project").write_text(code)

    venv = Installs().get(f"lowest-{version}", build)
    stamp = venv / ".project"
    if stamp.read_text() != code:
        source = project_copy(tmp_path_factory.mktemp("src"))
        uv_install(venv, "--no-deps", "--reinstall-package", "profilephoto", str(source))
        stamp.write_text(code)
    return venv


def host_env() -> dict[str, str]:
    """A host's shell without a Gemini key (the offline stylizer) or the test venv."""
    keep = ("HOME", "LANG", "TMPDIR")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "PATH": os.defpath,
        "PYTHONUNBUFFERED": "1",
    }


def run_in(venv: Path, program: str, *args: str, env: dict[str, str] | None = None) -> Any:
    """`program` run by the venv's Python; what it printed last, as JSON."""
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-c", program, *args],
        capture_output=True,
        text=True,
        env=env or host_env(),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


INSTALLED = """
import importlib.metadata, json
print(json.dumps({d.metadata["Name"]: d.version for d in importlib.metadata.distributions()}))
"""


def test_every_direct_dependency_installs_at_its_declared_floor(lowest):
    """A floor that another of our dependencies lifts (say google-genai needing a newer
    pydantic) is never installed, so never tested: the bound must say so itself."""
    version = lowest.name.removeprefix("lowest-")
    installed = {canonicalize_name(n): v for n, v in run_in(lowest, INSTALLED).items()}
    environment = {"python_version": version, "python_full_version": f"{version}.0"}
    off_floor = {}
    for requirement in shipping.runtime_requirements():
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        floors = [s.version for s in requirement.specifier if s.operator in (">=", "==")]
        name = canonicalize_name(requirement.name)
        assert floors, f"{requirement} declares no lower bound"
        if Version(installed[name]) != Version(floors[0]):
            off_floor[str(requirement)] = installed[name]
    assert off_floor == {}


IMPORT_ALL = """
import importlib, json, sys
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = f"{type(error).__name__}: {error}"
print(json.dumps(failed))
"""


def test_every_module_of_the_package_imports(lowest):
    # A `__main__` module runs its program when imported (python -m's entry), so it is left
    # out: the module it runs is imported on its own.
    modules = sorted(m for m in shipping.own_modules() if not m.endswith(".__main__"))
    assert run_in(lowest, IMPORT_ALL, *modules) == {}


LIBRARY = """
import json, sys, tempfile
import profilephoto
from profilephoto.entrypoints.sample_photo import public_domain_portrait

runtime = sys.argv[1]
opened = profilephoto.memory() if runtime == "memory" else profilephoto.local(tempfile.mkdtemp())
with opened as app:
    key = app.upload("alice", public_domain_portrait())
    job = app.generate("alice", key, style="professional")
    job = app.wait("alice", job.job_id, timeout=120)
    images = app.results("alice", job.job_id)
sizes = [len(image) for image in images]
print(json.dumps({"status": job.status, "metadata": job.metadata, "sizes": sizes}))
"""


@pytest.mark.parametrize(
    ("runtime", "model"), [("memory", "scripted-fake"), ("local", "offline-stylizer")]
)
def test_the_library_runs_a_job_end_to_end(lowest, runtime, model):
    job = run_in(lowest, LIBRARY, runtime)
    assert job["status"] == "completed", job
    assert job["metadata"]["model"] == model
    assert len(job["sizes"]) == 1 and job["sizes"][0] > 0
    assert len(job["metadata"]["likeness"]) == 1  # the face models ran (onnxruntime, numpy)


def test_demo_makes_a_labelled_image_with_the_offline_stylizer(lowest, tmp_path):
    out = tmp_path / "result.png"
    script = lowest / "bin" / "profilephoto"
    demo = subprocess.run(
        [str(script), "demo", "--out", str(out), "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env=host_env(),
        cwd=tmp_path,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr[-3000:]
    assert "model offline-stylizer" in demo.stdout
    inspect = subprocess.run(
        [str(script), "inspect", str(out)], capture_output=True, text=True, env=host_env()
    )
    assert inspect.returncode == 0, inspect.stdout + inspect.stderr  # C2PA signed and read back
    assert "made by AI" in inspect.stdout


ASGI_HOST = """
import json, socket, tempfile, threading, urllib.error, urllib.request
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
import profilephoto

listening = socket.socket()
listening.bind(("127.0.0.1", 0))
listening.listen()  # a request waits in the backlog until uvicorn accepts it
base = f"http://127.0.0.1:{listening.getsockname()[1]}"
answers = []
with profilephoto.local(tempfile.mkdtemp(), base_url=f"{base}/photos") as photos:
    api = profilephoto.asgi_app(photos, lambda request: request.headers.get("x-user"))
    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[Mount("/photos", app=api)]), log_level="warning")
    )
    serving = threading.Thread(target=server.run, kwargs={"sockets": [listening]})
    serving.start()
    try:
        for headers in ({"x-user": "alice"}, {}):
            request = urllib.request.Request(f"{base}/photos/usage", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    answers.append([response.status, json.load(response)])
            except urllib.error.HTTPError as error:
                answers.append([error.code, json.load(error)])
    finally:
        server.should_exit = True
        serving.join()
print(json.dumps(answers))
"""


def test_asgi_app_mounted_in_starlette_answers_under_uvicorn(lowest):
    (status, usage), (anonymous, refused) = run_in(lowest, ASGI_HOST)
    assert status == 200 and usage["used"] == 0 and usage["remainingQuota"] > 0, usage
    assert anonymous == 401 and refused["code"] == "unauthorized"


# ------------------------------------------------------------------ AWS, on moto's server

account = shipped.account  # template.yaml's resources on moto, named as the functions see them
gemini = shipped.gemini  # answers every job with the portrait it was sent

AWS_HOST = """
import json, sys
import profilephoto
from profilephoto.entrypoints.sample_photo import sample_portrait

with profilephoto.aws() as app:
    if sys.argv[1] == "queue":
        job = app.generate("alice", app.upload("alice", sample_portrait()), style="professional")
        print(json.dumps({"jobId": job.job_id, "status": job.status}))
    else:
        job = app.wait("alice", sys.argv[1], timeout=10)
        sizes = [len(image) for image in app.results("alice", job.job_id)]
        print(json.dumps({"status": job.status, "metadata": job.metadata, "sizes": sizes}))
"""


def test_the_aws_runtime_and_the_worker_function_run_a_job(lowest, account, tmp_path):
    """boto3 and botocore at their floors against moto, Powertools' batch handling too."""
    host = {**host_env(), **account.environment("ApiFunction")}  # buckets, queue, tables
    queued = run_in(lowest, AWS_HOST, "queue", env=host)
    assert queued["status"] == "queued", queued

    record = account.next_record()
    (site,) = lowest.glob("lib/python3.*/site-packages")
    handler = shipped.template_handlers()["ProcessFunction"]
    processed = shipped.invoke(
        str(lowest / "bin" / "python"),
        [site],
        account.environment("ProcessFunction"),  # its Gemini key read from SSM
        [{"handler": handler, "event": {"Records": [record]}}],
        tmp_path,
    )
    assert processed["answers"] == [{"batchItemFailures": []}]

    job = run_in(lowest, AWS_HOST, queued["jobId"], env=host)
    assert job["status"] == "completed", job
    assert job["metadata"]["model"] == shipped.DEFAULT_MODEL
    assert len(job["sizes"]) == 1 and job["sizes"][0] > 0
