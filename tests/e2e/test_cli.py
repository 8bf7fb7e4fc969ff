"""`profilephoto demo` and `token` as a newcomer runs them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from subprocess import CompletedProcess
from typing import Any

import pytest
from PIL import Image

from profilephoto.adapters.local.auth import LocalAuth
from profilephoto.adapters.local.keyfile import load_or_create_secret
from tests.e2e.local_server import command, free_port
from tests.integration.fake_gemini import FakeGemini, bad_key
from tests.photos import faceless_jpeg

pytestmark = pytest.mark.slow


def profilephoto(*args: str, timeout: float = 120, **options: Any) -> CompletedProcess[str]:
    """`profilephoto ARGS` as a newcomer types it, run to its end, its output captured."""
    return subprocess.run(
        command(*args), capture_output=True, text=True, timeout=timeout, **options
    )


def test_demo_without_an_image_writes_a_styled_sample_and_shows_each_stage(tmp_path):
    out = tmp_path / "result.png"
    run = profilephoto("demo", "--style", "casual", "--out", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert [line.split("]")[0][1:4] for line in run.stdout.splitlines()] == [
        "1/5",
        "2/5",
        "3/5",
        "4/5",
        "5/5",
    ]
    assert "offline-stylizer" in run.stdout
    assert "public-domain portrait of Eileen Collins" in run.stdout  # a real photo, not a drawing
    # The likeness check compared the result with the photo: the stylizer keeps the face.
    assert re.search(r"likeness 0\.\d{3} \(bar 0\.363\): looks like you", run.stdout)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] >= 256


def test_demo_with_two_variants_in_4_to_5_writes_each_in_that_shape(tmp_path):
    out = tmp_path / "me.png"
    two = ("demo", "--count", "2", "--aspect-ratio", "4:5", "--out", str(out))
    run = profilephoto(*two, cwd=tmp_path, timeout=180)
    assert run.returncode == 0, run.stderr
    assert str(tmp_path / "me-1.png") in run.stdout and "4:5" in run.stdout
    assert not out.exists()
    for name in ("me-1.png", "me-2.png"):
        with Image.open(tmp_path / name) as image:
            width, height = image.size
            assert abs(width / height - 4 / 5) < 0.02, (name, image.size)
    # Two units bought two different pictures, as a model's variants are.
    assert (tmp_path / "me-1.png").read_bytes() != (tmp_path / "me-2.png").read_bytes()


def test_demo_refuses_an_aspect_ratio_it_does_not_know(tmp_path):
    run = profilephoto("demo", "--aspect-ratio", "16:9", "--out", str(tmp_path / "r.png"))
    assert run.returncode == 2 and "16:9" in run.stderr


def test_demo_explains_a_file_that_is_not_a_photo(tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 512)
    run = profilephoto("demo", str(fake), "--out", str(tmp_path / "r.png"))
    assert run.returncode == 1
    assert "invalid_image" in run.stderr
    assert not (tmp_path / "r.png").exists()


def test_demo_says_why_a_photo_of_no_one_is_not_used_and_that_it_cost_nothing(tmp_path):
    cup = tmp_path / "cup.jpg"
    cup.write_bytes(faceless_jpeg())
    run = profilephoto("demo", str(cup), "--out", str(tmp_path / "r.png"))
    assert run.returncode == 1
    assert "photo not used (no_face)" in run.stderr
    assert "couldn't find a face" in run.stderr and "not charged" in run.stderr
    assert not (tmp_path / "r.png").exists()


def test_token_prints_a_token_for_the_data_dirs_secret(tmp_path):
    load_or_create_secret(tmp_path, "token")  # as `serve` leaves it
    run = profilephoto("token", "dana", "--data-dir", str(tmp_path), check=True)
    claims = LocalAuth(load_or_create_secret(tmp_path, "token")).verify(run.stdout.strip())
    assert claims["sub"] == "dana"


def test_token_refuses_to_invent_a_secret_the_server_would_not_know(tmp_path):
    run = profilephoto("token", "dana", "--data-dir", str(tmp_path / "never-served"))
    assert run.returncode == 2
    assert "profilephoto serve" in run.stderr and run.stdout == ""
    assert not (tmp_path / "never-served").exists()


def test_token_from_another_directory_uses_the_same_default_data_dir_as_serve(tmp_path):
    data_home = tmp_path / "data-home"
    secret = load_or_create_secret(data_home / "profilephoto", "token")
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    env.pop("PROFILEPHOTO_DATA_DIR", None)
    run = profilephoto("token", "erin", cwd=elsewhere, env=env)
    assert run.returncode == 0, run.stderr
    assert LocalAuth(secret).verify(run.stdout.strip())["sub"] == "erin"


def test_serve_on_a_busy_port_names_the_port_option_before_printing_a_url(tmp_path):
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        run = profilephoto("serve", "--port", str(port), "--data-dir", str(tmp_path))
    assert run.returncode != 0
    assert "--port" in run.stderr and str(port) in run.stderr
    assert "http://" not in run.stdout and "token" not in run.stdout


def test_demo_with_an_unknown_style_lists_the_styles_and_uploads_nothing(tmp_path):
    run = profilephoto("demo", "--style", "pirate", "--data-dir", str(tmp_path / "run"))
    assert run.returncode == 2
    assert "pirate" in run.stderr and "professional" in run.stderr
    assert not (tmp_path / "run").exists()


def test_doctor_exits_non_zero_naming_a_shut_down_model_and_its_fix(tmp_path):
    env = {**os.environ, "MODEL_NAME": "gemini-2.5-flash-image", "QUALITY_CHECK": "off"}
    env.pop("GEMINI_API_KEY", None)
    run = profilephoto("doctor", "--data-dir", str(tmp_path), env=env)
    assert run.returncode == 1
    assert "was shut down by Google on 2026-10-02" in run.stdout
    assert "fix: set MODEL_NAME to a live image model" in run.stdout


def test_inspect_reads_the_demos_label_and_signer_and_refuses_a_tampered_or_plain_file(tmp_path):
    out, data = tmp_path / "result.png", tmp_path / "run"
    demo = profilephoto("demo", "--out", str(out), "--data-dir", str(data), cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr

    def inspect(path) -> CompletedProcess[str]:
        return profilephoto("inspect", str(path), "--data-dir", str(data))

    labelled = inspect(out)
    assert labelled.returncode == 0, labelled.stdout + labelled.stderr
    assert "made by AI (algorithmicMedia)" in labelled.stdout  # the offline stylizer
    assert "model:  offline-stylizer" in labelled.stdout
    assert "signer: profilephoto local signer" in labelled.stdout
    assert "valid signed manifest" in labelled.stdout

    tampered = bytearray(out.read_bytes())
    tampered[-40] ^= 0x01
    (tmp_path / "tampered.png").write_bytes(bytes(tampered))
    changed = inspect(tmp_path / "tampered.png")
    assert changed.returncode == 1 and "INVALID" in changed.stdout

    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    plain = inspect(tmp_path / "plain.png")
    assert plain.returncode == 1 and "no AI label" in plain.stdout


def test_help_names_every_command_and_demo_help_names_the_sample_and_the_most_variants():
    top = profilephoto("--help", check=True).stdout
    description = top.split("positional arguments")[0].split("\n\n", 1)[1]  # after usage
    for name in ("serve", "token", "demo", "doctor", "admin", "inspect"):
        assert name in description, name
    demo = profilephoto("demo", "--help", check=True)
    assert "generated sample" not in demo.stdout
    assert "Eileen Collins" in demo.stdout
    assert "1 to MAX_VARIANTS (4 unless" in " ".join(demo.stdout.split())


def test_demo_refuses_more_variants_than_max_variants_before_uploading_anything(tmp_path):
    run = profilephoto("demo", "--count", "9", "--data-dir", str(tmp_path / "run"))
    assert run.returncode == 2
    assert "9 is not from 1 to 4 (MAX_VARIANTS)" in run.stderr
    assert run.stdout == "" and not (tmp_path / "run").exists()


def test_demo_of_a_huge_picture_says_why_without_the_libraries_noise(tmp_path):
    huge = tmp_path / "huge.png"
    Image.new("1", (12_000, 9_000)).save(huge)  # 108 MP: Pillow warns from 89 MP
    run = profilephoto("demo", str(huge), "--out", str(tmp_path / "r.png"))
    assert run.returncode == 1
    assert "more than the 50 megapixels we accept" in run.stderr
    everything = run.stdout + run.stderr
    assert "XNNPACK" not in everything  # LiteRT's notice on fd 2
    assert "DecompressionBombWarning" not in everything


def test_serve_on_a_busy_port_under_make_run_names_make_runs_port_variable(tmp_path):
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        make_run = {**os.environ, "MAKELEVEL": "1"}  # what make sets for `make run`
        run = profilephoto("serve", "--port", str(port), "--data-dir", str(tmp_path), env=make_run)
    assert run.returncode != 0
    assert f"make run PORT={port + 1}" in run.stderr and "--port" in run.stderr


@pytest.mark.parametrize("gemini", ["refuses the key", "is out of reach"])
def test_doctor_says_what_is_wrong_in_its_report_and_prints_no_stray_log_line(tmp_path, gemini):
    fake = FakeGemini(models={"gemini-nano-banana-2.1"}).start()
    try:
        url = fake.url
        if gemini == "refuses the key":
            fake.then(bad_key())
        else:
            url = f"http://127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "GEMINI_API_KEY": "AIzaSy-not-a-good-key-0123456789",
            "GOOGLE_GEMINI_BASE_URL": url,
            "NO_PROXY": "127.0.0.1",
            "QUALITY_CHECK": "off",
        }
        run = profilephoto("doctor", "--data-dir", str(tmp_path), env=env)
    finally:
        fake.stop()
    assert run.returncode == 1
    assert "PROBLEM Gemini" in run.stdout
    assert run.stderr == ""
