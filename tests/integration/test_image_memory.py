"""Memory bombs inside the pixel limit: refused by shape, drafted, or queued behind a budget."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from dependency_injector import providers
from PIL import Image

from profilephoto.adapters.decode_budget import MB, DecodeBudget, OverBudget, budget_bytes
from profilephoto.adapters.image_limits import ShapeLimits
from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import ImageTooLarge, InvalidImage
from profilephoto.domain.job_lifecycle import is_refunded
from profilephoto.domain.models import JobStatus
from profilephoto.services.processing import Outcome
from tests.conftest import ALICE, make_world
from tests.integration.image_bytes import encode, png_header_only, webp_header_only, zero_png

ROOT = Path(__file__).resolve().parents[2]


def watched() -> PillowImageProcessor:
    """A processor whose budget shows whether anything was ever decoded."""
    return PillowImageProcessor(budget=DecodeBudget(64 * MB))


def test_a_png_one_pixel_wide_and_fifty_million_tall_is_refused_before_decoding():
    processor = watched()
    with pytest.raises(InvalidImage, match="1 by 49999999"):
        processor.normalize_upload(png_header_only(1, 49_999_999))
    assert processor.budget.peak == 0


def test_a_two_kilobyte_webp_of_16383_by_3051_is_refused_before_decoding():
    bomb = webp_header_only(16_383, 3_051)
    assert len(bomb) < 4096
    processor = watched()
    with pytest.raises(InvalidImage, match="16383 by 3051"):
        processor.normalize_upload(bomb)
    assert processor.budget.peak == 0


@pytest.mark.parametrize(
    ("width", "height"),
    [(1, 40_000), (40_000, 1), (10_001, 2_600), (4_001, 1_000), (700, 2_801)],
)
def test_absurd_shapes_under_the_pixel_limit_are_refused(width, height):
    assert ShapeLimits().refusal(width, height) is not None
    with pytest.raises(InvalidImage, match=f"{width} by {height}"):
        watched().normalize_upload(png_header_only(width, height))


@pytest.mark.parametrize(
    ("width", "height"),
    [(8064, 6048), (6048, 8064), (4032, 3024), (8192, 5464), (8160, 6120), (4000, 1000)],
)
def test_every_phone_or_camera_shape_under_50_megapixels_may_be_decoded(width, height):
    assert ShapeLimits().refusal(width, height) is None


def test_a_4_to_1_panorama_is_still_a_photo():
    processor = watched()
    out = processor.normalize_upload(zero_png(4000, 1000))
    with Image.open(io.BytesIO(out.data)) as image:
        assert image.size == (processor.max_side, processor.max_side // 4)


def test_a_big_jpeg_is_decoded_at_a_fraction_of_the_memory_of_the_same_png():
    picture = Image.new("RGB", (6000, 4000), (90, 60, 30))
    as_jpeg, as_png = (PillowImageProcessor(budget=DecodeBudget(1024 * MB)) for _ in "ab")
    as_jpeg.normalize_upload(encode(picture, "JPEG"))
    as_png.normalize_upload(zero_png(6000, 4000))
    assert 0 < as_jpeg.budget.peak < as_png.budget.peak / 3


def test_decodes_that_do_not_fit_together_wait_for_each_other():
    budget = DecodeBudget(100)
    first_in, second_in, release_first = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with budget.reserve(60):
            first_in.set()
            release_first.wait(60)

    def second() -> None:
        first_in.wait(60)
        with budget.reserve(60):
            second_in.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_in.wait(60)
    assert not second_in.wait(0.2)  # not a timing claim: it must not get in at all yet
    assert budget.in_use == 60
    release_first.set()
    assert second_in.wait(60)
    for thread in threads:
        thread.join(60)
    assert budget.peak == 60 and budget.in_use == 0


def test_a_reservation_is_given_back_when_the_decode_raises():
    budget = DecodeBudget(100)
    with pytest.raises(RuntimeError), budget.reserve(80):
        raise RuntimeError("decoder blew up")
    with budget.reserve(100):
        assert budget.in_use == 100


def test_a_decode_larger_than_the_whole_budget_is_refused_without_waiting():
    with pytest.raises(OverBudget), DecodeBudget(100).reserve(101):
        pass


def test_the_budget_is_sized_from_the_functions_memory_unless_set():
    assert budget_bytes(1024) == 614 * MB
    assert budget_bytes(3008) == 1804 * MB
    assert budget_bytes(1024, decode_memory_mb=200) == 200 * MB


def test_a_photo_over_the_whole_budget_fails_at_once_refunded_as_image_too_large():
    world = make_world()
    world.container.images.override(
        providers.Object(PillowImageProcessor(budget=DecodeBudget(16 * MB)))
    )
    accepted = world.generation.request_generation(
        ALICE, GenerationRequest(world.upload(data=zero_png(3000, 3000)), "professional")
    )
    (message,) = world.queue.drain()

    assert world.processing.process(message).outcome is Outcome.FAILED

    job = world.uow.jobs.get(accepted.job_id)
    assert job.status is JobStatus.FAILED and job.error is not None
    assert job.error.code == ImageTooLarge.code and is_refunded(job.error.code)
    assert world.queries.get_usage(ALICE).used == 0
    assert world.generator.calls == []


def run_probe(build: str, budget_mb: int, threads: int, address_space_mb: int = 0) -> dict:
    """decode_probe in a fresh interpreter, so its peak memory is this decode's alone."""
    code = (
        "from tests.integration import decode_probe, image_bytes as b\n"
        f"decode_probe.main(lambda: {build})\n"
    )
    args = [str(budget_mb), str(threads)] + ([str(address_space_mb)] if address_space_mb else [])
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


BUDGET_MB = 160


def test_five_bombs_in_one_batch_decode_one_after_another_inside_the_budget():
    # Five 16 MP all-black PNGs (~70 MB each to decode, 30 KB each to upload) at once.
    build = "{f'bomb-{n}': b.zero_png(4000, 4000 + n) for n in range(5)}"
    report = run_probe(build, budget_mb=BUDGET_MB, threads=5)
    assert set(report["outcomes"].values()) == {"accepted"}
    assert report["budgetPeakMb"] <= BUDGET_MB
    assert report["peakMb"] <= BUDGET_MB, report


def test_a_memory_error_while_decoding_is_image_too_large_and_the_worker_carries_on():
    # The address space is capped below what a 40 MP decode needs, so malloc really fails.
    build = "{'bomb': b.zero_png(8000, 5000), 'next photo': b.zero_png(640, 480)}"
    report = run_probe(build, budget_mb=2048, threads=1, address_space_mb=120)
    assert report["outcomes"] == {"bomb": ImageTooLarge.code, "next photo": "accepted"}
