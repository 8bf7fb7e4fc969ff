"""`profilephoto doctor`: configuration problems, each with its fix (docs/api.md §6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from profilephoto.domain.errors import ModelAccessDenied, TransientGenerationError

if TYPE_CHECKING:
    from profilephoto.settings import Settings


class ModelCatalog(Protocol):
    def model_exists(self, name: str) -> bool:
        """Whether the key may call `name`; ModelAccessDenied / TransientGenerationError."""


# Image models Google has shut down (docs/gemini.md, "Models"): a deployment naming one
# fails every job, so doctor says so before any job does.
SHUT_DOWN = {
    "gemini-2.5-flash-image": "2026-10-02",
    "gemini-2.5-flash-image-preview": "2026-01-15",
    "gemini-3-pro-image-preview": "2026-06-25",
    "gemini-3.1-flash-image-preview": "2026-06-25",
}
LIVE_MODEL = "gemini-nano-banana-2.1"


@dataclass(frozen=True)
class Finding:
    """One line of the report; a problem (not a note) makes doctor exit non-zero."""

    message: str
    fix: str = ""
    problem: bool = True
    warning: bool = False  # not a problem, but what an operator must decide knowingly


def diagnose(
    data_dir: Path, catalog_for: Callable[[str], ModelCatalog] | None = None
) -> list[Finding]:
    """Every finding about the configuration the environment describes."""
    from profilephoto.containers.generators import gemini_api_key
    from profilephoto.settings import ConfigurationError, load_settings

    try:
        settings = load_settings()
    except ConfigurationError as error:
        return [Finding(str(error), "set the variable it names as docs/api.md §1 describes")]
    findings = [*_retired(settings.model_name, settings.fallbacks)]
    if settings.model_name not in settings.price_table().prices:
        findings.append(
            Finding(
                f"MODEL_NAME={settings.model_name} has no price: jobs record no metadata.costUsd",
                'add it to MODEL_PRICES, e.g. {"<model>": {"input": 0.5, "textOutput": 3, '
                '"imageOutput": 60}} (dollars per million tokens)',
                problem=False,
            )
        )
    findings += _deprecated(settings.model_name)
    findings += _labels(settings.c2pa_signing)
    findings += _quality_check(settings.quality_check)
    findings += _data_dir(data_dir)
    try:
        key = gemini_api_key(settings)
    except ConfigurationError as error:
        return [*findings, Finding(str(error), "create the SecureString or fix its name")]
    if not key:
        return [
            *findings,
            Finding(
                "no GEMINI_API_KEY: jobs use the offline stylizer (metadata.model "
                "'offline-stylizer'), and MODEL_NAME is not checked",
                "set GEMINI_API_KEY (or GEMINI_API_KEY_PARAMETER on AWS) to use Gemini",
                problem=False,
            ),
        ]
    catalog = (catalog_for or _gemini(settings))(key)
    return [*findings, *_models_exist(catalog, settings.model_name, settings.fallbacks)]


def report(findings: list[Finding]) -> tuple[str, int]:
    """The printed report and the exit status: 0 only when no finding is a problem."""
    lines = []
    for finding in findings:
        level = "PROBLEM" if finding.problem else "WARNING" if finding.warning else "note"
        lines.append(f"{level:<8}{finding.message}")
        if finding.fix:
            lines.append(f"{'':<8}fix: {finding.fix}")
    problems = sum(f.problem for f in findings)
    lines.append("all is well" if not problems else f"{problems} problem(s) to fix")
    return "\n".join(lines), 0 if not problems else 1


def _retired(model: str, fallbacks: list[str]) -> list[Finding]:
    named = [("MODEL_NAME", model)] + [("MODEL_FALLBACKS", m) for m in fallbacks]
    return [
        Finding(
            f"{variable}={name} was shut down by Google on {SHUT_DOWN[name]}: every call fails",
            f"set {variable} to a live image model, e.g. {LIVE_MODEL}",
        )
        for variable, name in named
        if name in SHUT_DOWN
    ]


def _deprecated(model: str) -> list[Finding]:
    from profilephoto.adapters.gemini_models import DEPRECATED, SUCCESSOR

    if model not in DEPRECATED:
        return []
    return [
        Finding(
            f"MODEL_NAME={model} was deprecated by Google on {DEPRECATED[model]} "
            "(no shutdown date yet): it may be shut down with little notice",
            f"set MODEL_NAME={SUCCESSOR} and keep {model} in MODEL_FALLBACKS",
            problem=False,
        )
    ]


def _labels(signing: str) -> list[Finding]:
    """The AI label: off is a choice to make knowingly; on needs c2pa-python."""
    if signing == "off":
        return [
            Finding(
                "C2PA_SIGNING=off: results are labelled as AI-made in XMP only, with no signed "
                "C2PA manifest (EU AI Act Art. 50(2) asks for machine-readable marking)",
                'set C2PA_SIGNING=auto (docs/deploy.md, "Signing certificate")',
                problem=False,
                warning=True,
            )
        ]
    try:
        import c2pa  # noqa: F401
    except ImportError:
        return [
            Finding(
                "C2PA_SIGNING=auto but c2pa-python is not installed: every job would fail",
                "pip install c2pa-python (it is a dependency of profilephoto), or set "
                "C2PA_SIGNING=off",
            )
        ]
    return []


def _quality_check(mode: str) -> list[Finding]:
    if mode == "off":
        return []
    try:
        import profilephoto.adapters.photo_check.litert  # noqa: F401
    except ImportError as missing:
        return [
            Finding(
                f"QUALITY_CHECK=on but the photo check cannot load ({missing.name} is missing)",
                "install ai-edge-litert and numpy (Python <= 3.12), or set QUALITY_CHECK=off",
            )
        ]
    return []


def _data_dir(data_dir: Path) -> list[Finding]:
    from profilephoto.adapters.local.keyfile import secret_path

    if secret_path(data_dir, "token").exists():
        return []
    return [
        Finding(
            f"{data_dir} has no signing key yet: `profilephoto token` will refuse",
            f"run `profilephoto serve --data-dir {data_dir}` once (it creates the key)",
            problem=False,
        )
    ]


def _gemini(settings: Settings) -> Callable[[str], ModelCatalog]:
    from profilephoto.adapters.gemini import GeminiImageGenerator

    timeout = min(settings.gemini_timeout_seconds, 20.0)  # a check, not a generation
    return lambda key: GeminiImageGenerator(api_key=key, timeout_seconds=timeout)


def _models_exist(catalog: ModelCatalog, model: str, fallbacks: list[str]) -> list[Finding]:
    """models.get for MODEL_NAME and each fallback, with what to do about each answer."""
    findings = []
    for variable, name in [("MODEL_NAME", model)] + [("MODEL_FALLBACKS", m) for m in fallbacks]:
        try:
            found = catalog.model_exists(name)
        except ModelAccessDenied:
            return [
                Finding(
                    "Gemini refused GEMINI_API_KEY (401/403 or API_KEY_INVALID)",
                    "create a key in Google AI Studio for a project with the Gemini API "
                    "enabled and billing on, and set GEMINI_API_KEY (or its SSM parameter)",
                )
            ]
        except TransientGenerationError as error:
            return [
                Finding(
                    f"Gemini could not be asked whether {name} exists ({error.message})",
                    "check the network (and GOOGLE_GEMINI_BASE_URL if set), then run doctor again",
                )
            ]
        if found:
            findings.append(Finding(f"{variable}={name} exists for this key", problem=False))
        else:
            findings.append(
                Finding(
                    f"{variable}={name} does not exist for this key (models.get answered 404)",
                    f"set {variable} to a live image model, e.g. {LIVE_MODEL}, "
                    "or list one in MODEL_FALLBACKS",
                )
            )
    return findings
