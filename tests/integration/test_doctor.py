"""`profilephoto doctor` against the fake Gemini endpoint: each problem with its fix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from profilephoto.adapters.local.keyfile import load_or_create_secret
from profilephoto.entrypoints.cli import main
from tests.integration.fake_gemini import FakeGemini, bad_key, error_reply

KEY = "AIzaSy-doctor-key-0123456789"
GEMINI_SETTINGS = (
    "GEMINI_API_KEY",
    "GEMINI_API_KEY_PARAMETER",
    "MODEL_NAME",
    "MODEL_FALLBACKS",
    "MODEL_PRICES",
    "IMAGE_SIZE",
    "C2PA_SIGNING",
)
MODELS = ("gemini-nano-banana-2.1", "gemini-3.1-flash-image", "gemini-3-pro-image")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    server = FakeGemini(models=set(MODELS)).start()
    for name in GEMINI_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("QUALITY_CHECK", "off")  # the detector's own check is its own test
    yield server
    server.stop()


@pytest.fixture
def served(tmp_path):
    load_or_create_secret(tmp_path, "token")  # as `profilephoto serve` leaves it
    return tmp_path


def doctor(capsys, data_dir) -> tuple[int, str]:
    status = main(["doctor", "--data-dir", str(data_dir)])
    return status, capsys.readouterr().out


def test_with_a_key_and_a_live_model_all_is_well(fake, monkeypatch, capsys, served):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    status, out = doctor(capsys, served)
    assert status == 0
    assert "MODEL_NAME=gemini-nano-banana-2.1 exists for this key" in out
    assert "MODEL_FALLBACKS=gemini-3.1-flash-image exists for this key" in out
    assert out.rstrip().endswith("all is well")
    assert [r.path for r in fake.received] == [f"/v1beta/models/{m}" for m in MODELS]
    assert fake.received[0].headers["x-goog-api-key"] == KEY
    assert KEY not in out


def test_a_model_the_key_cannot_find_is_a_problem_with_its_fix(fake, monkeypatch, capsys, served):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("MODEL_NAME", "gemini-9-imaginary")
    monkeypatch.setenv("MODEL_FALLBACKS", "gemini-3-pro-image")
    status, out = doctor(capsys, served)
    assert status == 1
    assert "MODEL_NAME=gemini-9-imaginary does not exist for this key" in out
    assert "fix: set MODEL_NAME to a live image model, e.g. gemini-nano-banana-2.1" in out
    assert "MODEL_FALLBACKS=gemini-3-pro-image exists for this key" in out


def test_a_shut_down_model_is_named_with_its_date_even_without_a_key(
    fake, monkeypatch, capsys, served
):
    monkeypatch.setenv("MODEL_NAME", "gemini-2.5-flash-image")
    status, out = doctor(capsys, served)
    assert status == 1
    assert "MODEL_NAME=gemini-2.5-flash-image was shut down by Google on 2026-10-02" in out
    assert "offline stylizer" in out  # no key: said, but not a problem of its own
    assert fake.received == []


@pytest.mark.parametrize("reply", [bad_key(), error_reply(403, "denied", "PERMISSION_DENIED")])
def test_a_refused_key_is_a_problem_that_says_how_to_get_a_good_one(
    fake, monkeypatch, capsys, served, reply
):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    fake.then(reply)
    status, out = doctor(capsys, served)
    assert status == 1
    assert "Gemini refused GEMINI_API_KEY" in out
    assert "fix: create a key in Google AI Studio" in out
    assert KEY not in out


def test_gemini_out_of_reach_is_a_problem_not_a_crash(fake, monkeypatch, capsys, served):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    fake.then(error_reply(503, "overloaded", "UNAVAILABLE"))
    status, out = doctor(capsys, served)
    assert status == 1
    assert "could not be asked whether gemini-nano-banana-2.1 exists" in out


def test_a_malformed_variable_is_named_with_its_fix(fake, monkeypatch, capsys, served):
    monkeypatch.setenv("IMAGE_SIZE", "8K")
    status, out = doctor(capsys, served)
    assert status == 1
    assert "IMAGE_SIZE" in out and "fix: set the variable it names" in out


def test_notes_alone_exit_zero(fake, capsys, tmp_path):
    status, out = doctor(capsys, tmp_path / "never-served")  # no key, no signing key: notes
    assert status == 0
    assert sum(line.startswith("note") for line in out.splitlines()) == 2
    assert "PROBLEM" not in out


def test_a_model_without_a_price_is_a_note_naming_model_prices(fake, monkeypatch, capsys, served):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("MODEL_NAME", "my-tuned-image")
    fake.models.add("my-tuned-image")
    status, out = doctor(capsys, served)
    assert status == 0
    assert "MODEL_NAME=my-tuned-image has no price" in out and "MODEL_PRICES" in out


def test_a_size_the_model_does_not_offer_is_a_problem_naming_size_and_model(
    fake, capsys, served, monkeypatch
):
    monkeypatch.setenv("IMAGE_SIZE", "512")
    status, out = doctor(capsys, served)
    assert status == 1
    assert "IMAGE_SIZE=512 is not offered by MODEL_NAME=gemini-nano-banana-2.1" in out


def test_the_deprecated_3_1_as_main_model_is_a_note_naming_its_successor(
    fake, capsys, served, monkeypatch
):
    monkeypatch.setenv("MODEL_NAME", "gemini-3.1-flash-image")
    status, out = doctor(capsys, served)
    assert status == 0
    assert "deprecated by Google on 2026-10-06" in out
    assert "set MODEL_NAME=gemini-nano-banana-2.1" in out


def test_signing_off_is_a_warning_that_says_how_to_turn_it_on(fake, capsys, served, monkeypatch):
    monkeypatch.setenv("C2PA_SIGNING", "off")
    status, out = doctor(capsys, served)
    assert status == 0
    (line,) = [line for line in out.splitlines() if line.startswith("WARNING")]
    assert "XMP only" in line and "C2PA" in line
    assert "set C2PA_SIGNING=auto" in out
