"""Which generator a runtime gets: Gemini with a key (plain or from SSM), else offline."""

import boto3
import pytest
from moto import mock_aws

from profilephoto.containers.generators import gemini_api_key, image_generator
from profilephoto.settings import ConfigurationError, load_settings


@pytest.fixture
def aws_env(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def test_without_a_key_the_offline_stylizer_is_used(aws_env):
    assert image_generator(load_settings()).model_name == "offline-stylizer"


def test_a_plain_key_selects_gemini_without_touching_ssm(aws_env):
    generator = image_generator(load_settings(GEMINI_API_KEY="k-123"))
    assert generator.model_name == "gemini-nano-banana-2.1"


def test_the_key_is_read_from_an_ssm_secure_string(aws_env):
    with mock_aws():
        boto3.client("ssm").put_parameter(
            Name="/profilephoto/gemini-api-key", Value="from-ssm", Type="SecureString"
        )
        settings = load_settings(GEMINI_API_KEY_PARAMETER="/profilephoto/gemini-api-key")
        assert gemini_api_key(settings) == "from-ssm"
        assert image_generator(settings).model_name == "gemini-nano-banana-2.1"


def test_a_missing_parameter_fails_naming_the_variable(aws_env):
    with mock_aws(), pytest.raises(ConfigurationError, match="GEMINI_API_KEY_PARAMETER"):
        gemini_api_key(load_settings(GEMINI_API_KEY_PARAMETER="/nope"))
