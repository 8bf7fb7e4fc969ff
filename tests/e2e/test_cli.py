"""`profilephoto demo` and `token` as a newcomer runs them."""

from __future__ import annotations

import subprocess

import pytest
from PIL import Image

from profilephoto.adapters.local.auth import LocalAuth
from profilephoto.adapters.local.keyfile import load_or_create_secret
from tests.e2e.local_server import command

pytestmark = pytest.mark.slow


def test_demo_without_an_image_writes_a_styled_sample_and_shows_each_stage(tmp_path):
    out = tmp_path / "result.png"
    run = subprocess.run(
        command("demo", "--style", "casual", "--out", str(out)),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert [line.split("]")[0][1:4] for line in run.stdout.splitlines()] == [
        "1/5",
        "2/5",
        "3/5",
        "4/5",
        "5/5",
    ]
    assert "offline-stylizer" in run.stdout
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] >= 256


def test_demo_explains_a_file_that_is_not_a_photo(tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 512)
    run = subprocess.run(
        command("demo", str(fake), "--out", str(tmp_path / "r.png")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "invalid_image" in run.stderr
    assert not (tmp_path / "r.png").exists()


def test_token_prints_a_token_for_the_data_dirs_secret(tmp_path):
    run = subprocess.run(
        command("token", "dana", "--data-dir", str(tmp_path)),
        capture_output=True,
        text=True,
        check=True,
    )
    claims = LocalAuth(load_or_create_secret(tmp_path, "token")).verify(run.stdout.strip())
    assert claims["sub"] == "dana"
