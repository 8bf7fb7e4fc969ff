"""The worker's container image holds what the worker needs: worker/requirements.txt
installs for linux/arm64 (every package has a wheel for the image), and the same file,
installed alone, runs the worker under the image's Python; the zip functions' slim layer
alone runs theirs (docs/deploy.md, "How the code is packaged")."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from benchmarks.worker_image import (
    REQUIREMENTS,
    ROOT,
    IndexUnreachable,
    install,
    lambda_python,
    python_version,
)
from tests.photos import photo_path

# A first run installs ~250 MB of wheels per test (later runs reuse them): pip's own time
# limit (900 s, benchmarks/worker_image.py) rather than the suite's 300 s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

TARGET_PYTHON = Path(lambda_python() or f"/no/python{python_version()}")
ELF_AARCH64 = 183  # e_machine of an arm64 ELF shared object


def installed(into: Path, *requirements: str, **options: object) -> Path:
    """The requirements installed once per content and options, kept between runs (in the
    system's temp directory): a second `make test` on the same file does not install again."""
    wanted = requirements or ("-r", str(REQUIREMENTS))
    files = [Path(wanted[n + 1]).read_bytes() for n, arg in enumerate(wanted) if arg == "-r"]
    key = hashlib.sha256(repr((wanted, sorted(options.items()), files)).encode()).hexdigest()[:16]
    kept = Path(tempfile.gettempdir()) / f"profilephoto-worker-image-{into.name}-{key}"
    if not kept.is_dir():
        try:
            install(into, *wanted, **options)  # type: ignore[arg-type]
        except IndexUnreachable as offline:
            pytest.skip(f"the package index is out of reach: {offline}")
        with contextlib.suppress(OSError):  # another run kept it first: theirs is as good
            shutil.copytree(into, kept.with_suffix(".part"), symlinks=True)
            kept.with_suffix(".part").rename(kept)
        if not kept.is_dir():  # another run is keeping it right now: use our own install
            return into
    return kept


def test_every_worker_package_has_a_linux_arm64_wheel_for_the_images_python(tmp_path):
    packages = installed(tmp_path / "arm64", arm64=True)
    (library,) = packages.glob("c2pa/libs/*.so")
    machine = int.from_bytes(library.read_bytes()[18:20], "little")
    assert machine == ELF_AARCH64  # what the function's arm64 image will load
    assert not list(packages.rglob("*.rlib"))


@pytest.mark.skipif(not TARGET_PYTHON.exists(), reason=f"no Python {python_version()} here")
def test_the_requirements_alone_run_the_worker_under_the_images_python(tmp_path):
    # Installed for this machine (an arm64 wheel cannot load on it), from the same file,
    # plus boto3 as the Lambda base image brings it; nothing else on the path.
    packages = installed(tmp_path / "packages", python=str(TARGET_PYTHON))
    runtime = installed(tmp_path / "runtime", "boto3", python=str(TARGET_PYTHON))
    probe = ROOT / "tests" / "e2e" / "worker_image_probe.py"
    path = [str(packages), str(runtime), str(ROOT / "src")]
    run = subprocess.run(
        [str(TARGET_PYTHON), "-S", "-I", str(probe), str(photo_path("astronaut")), *path],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "worker ok: 1 face(s), label trainedAlgorithmicMedia" in run.stdout


@pytest.mark.skipif(not TARGET_PYTHON.exists(), reason=f"no Python {python_version()} here")
def test_the_slim_layer_alone_runs_the_zip_functions(tmp_path):
    layer = installed(
        tmp_path / "layer",
        "-r",
        str(ROOT / "layer" / "requirements.lock"),
        python=str(TARGET_PYTHON),
    )
    runtime = installed(tmp_path / "runtime", "boto3", python=str(TARGET_PYTHON))
    probe = ROOT / "tests" / "e2e" / "layer_probe.py"
    run = subprocess.run(
        [str(TARGET_PYTHON), "-S", "-I", str(probe), str(layer), str(runtime), str(ROOT / "src")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "layer ok: 5 handlers" in run.stdout
