import pytest

from profilephoto.domain.commands import GenerationRequest
from profilephoto.domain.errors import Forbidden, InvalidRequest
from profilephoto.domain.job_options import ASPECT_RATIOS, JobOptions, parse_options

KEYS = [f"uploads/alice/1764460800000_{n:032x}.jpg" for n in range(4)]
BOBS = "uploads/bob/1764460800000_" + "b" * 32 + ".jpg"


def parse(file_key=None, file_keys=None, count=None, aspect_ratio=None, max_variants=4):
    asked = GenerationRequest(
        file_key, "professional", file_keys=file_keys, count=count, aspect_ratio=aspect_ratio
    )
    return parse_options("alice", asked, max_variants=max_variants)


def test_a_request_of_the_original_api_is_one_photo_one_square_image():
    options = parse(KEYS[0])
    assert options == JobOptions((KEYS[0],), 1, "1:1")
    assert options.is_default and options.main_key == KEYS[0]


def test_up_to_three_photos_are_kept_in_order_main_first():
    options = parse(file_keys=KEYS[:3], count=4, aspect_ratio="4:5")
    assert options == JobOptions(tuple(KEYS[:3]), 4, "4:5")
    assert options.main_key == KEYS[0] and not options.is_default


@pytest.mark.parametrize(
    "request_",
    [
        {"file_key": KEYS[0], "file_keys": [KEYS[1]]},
        {"file_keys": []},
        {"file_keys": KEYS[:4]},
        {"file_keys": [KEYS[0], KEYS[0]]},
        {"file_keys": KEYS[0]},
        {"file_keys": [KEYS[0], 7]},
        {},
        {"file_key": KEYS[0], "count": 0},
        {"file_key": KEYS[0], "count": 5},
        {"file_key": KEYS[0], "count": True},
        {"file_key": KEYS[0], "count": "2"},
        {"file_key": KEYS[0], "count": 2.0},
        {"file_key": KEYS[0], "aspect_ratio": "16:9"},
        {"file_key": KEYS[0], "aspect_ratio": ["1:1"]},
        {"file_key": KEYS[0], "aspect_ratio": ""},
    ],
)
def test_a_malformed_choice_is_invalid_request(request_):
    with pytest.raises(InvalidRequest) as raised:
        parse(**request_)
    assert raised.value.code == "invalid_request"


def test_another_users_photo_among_several_is_forbidden():
    with pytest.raises(Forbidden):
        parse(file_keys=[KEYS[0], BOBS])


def test_every_listed_aspect_ratio_and_the_deployments_maximum_count_are_accepted():
    for ratio in ASPECT_RATIOS:
        assert parse(KEYS[0], aspect_ratio=ratio).aspect_ratio == ratio
    assert parse(KEYS[0], count=6, max_variants=6).count == 6
