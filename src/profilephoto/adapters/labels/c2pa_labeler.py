"""ContentLabeler on c2pa-python: XMP, then a signed C2PA manifest; and reading both back."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import c2pa

from profilephoto import __version__
from profilephoto.adapters.labels import xmp
from profilephoto.adapters.labels.certificates import SigningCredentials
from profilephoto.domain.errors import LabelingFailed
from profilephoto.domain.labels import DigitalSourceType, FoundLabel
from profilephoto.domain.models import GeneratedImage, ImageData

log = logging.getLogger(__name__)

GENERATOR = "profilephoto"
# Every C2PA manifest store is a JUMBF box labelled "c2pa"; bytes without it carry none.
JUMBF_LABEL = b"c2pa"
ACTIONS = "c2pa.actions"
# No thumbnail of anything (the result is the only picture a manifest may show, and the
# user's photo is never an ingredient); nothing fetched from the network while signing or
# reading (no timestamp authority, no OCSP, no remote manifests: the worker has no need).
SETTINGS: dict[str, Any] = {
    "builder": {"thumbnail": {"enabled": False}},
    "verify": {"ocsp_fetch": False, "remote_manifest_fetch": False},
}


class C2paContentLabeler:
    """Implements ContentLabeler. `credentials` is called once, on first use (the local
    chain from the data directory, or the AWS secret); None means C2PA_SIGNING=off: XMP
    only. `trust_anchors` (PEM) are the roots `read` reports as trusted."""

    def __init__(
        self,
        credentials: Callable[[], SigningCredentials] | None,
        trust_anchors: bytes | None = None,
    ) -> None:
        self._load = credentials
        self._credentials: SigningCredentials | None = None
        self._anchors = trust_anchors
        self._lock = threading.Lock()

    @property
    def signs(self) -> bool:
        return self._load is not None

    def label(self, image: ImageData, origin: GeneratedImage) -> ImageData:
        creator = f"{GENERATOR} {__version__} ({origin.model})"
        try:
            marked = xmp.embed(
                image.data, image.content_type, xmp.packet(origin.source_type, creator)
            )
        except xmp.NotAnImage as error:
            raise LabelingFailed(f"The result could not carry its label ({error})") from None
        if self._load is None:
            return image.model_copy(update={"data": marked})
        signed = self._sign(marked, image.content_type, origin)
        return image.model_copy(update={"data": signed})

    def read(self, data: bytes) -> FoundLabel | None:
        properties = xmp.read(data)
        manifest = self._manifest(data)
        source = _source_type(properties.get("Iptc4xmpExt:DigitalSourceType"))
        if manifest is None:
            if source is None:
                return None
            return FoundLabel(source, _model_of(properties), signed=False, intact=True)
        active = manifest.get("manifests", {}).get(manifest.get("active_manifest"), {})
        created = _created_action(active)
        signed_source = _source_type(created.get("digitalSourceType")) if created else None
        source = signed_source or source
        if source is None:
            return None
        agent = created.get("softwareAgent") if created else None
        model = agent.get("name") if isinstance(agent, dict) else None
        signature = active.get("signature_info") or {}
        state = manifest.get("validation_state")
        return FoundLabel(
            source,
            model or _model_of(properties),
            signed=True,
            intact=state in ("Valid", "Trusted"),
            signer=_signer(signature, trusted=state == "Trusted"),
        )

    def _sign(self, data: bytes, content_type: str, origin: GeneratedImage) -> bytes:
        try:
            credentials = self._credentials_once()
            manifest = _manifest(content_type, origin)
            with (
                c2pa.Context.from_dict(SETTINGS) as context,
                c2pa.Signer.from_info(
                    c2pa.C2paSignerInfo(
                        alg=c2pa.C2paSigningAlg.ES256,
                        sign_cert=credentials.certificate_chain,
                        private_key=credentials.private_key,
                        ta_url=None,
                    )
                ) as signer,
                c2pa.Builder(manifest, context) as builder,
            ):
                if self._carries_manifest(origin):
                    # The model's own credentials stay, as the parent of ours.
                    builder.add_ingredient(
                        {"title": "model answer", "relationship": "parentOf"},
                        origin.content_type,
                        io.BytesIO(origin.data),
                    )
                out = io.BytesIO()
                builder.sign(signer, content_type, io.BytesIO(data), out)
                return out.getvalue()
        except LabelingFailed:
            raise
        except Exception as error:  # c2pa.C2paError and its kin: one place, one domain error
            log.error(
                "C2PA signing failed",
                extra={"error": type(error).__name__, "detail": str(error)[:200]},
            )
            raise LabelingFailed(f"C2PA signing failed ({type(error).__name__})") from None

    def _credentials_once(self) -> SigningCredentials:
        with self._lock:
            if self._credentials is None:
                assert self._load is not None
                try:
                    self._credentials = self._load()
                except LabelingFailed:
                    raise
                except Exception as error:
                    log.error(
                        "C2PA signing credentials could not be loaded",
                        extra={"error": type(error).__name__, "operatorError": True},
                    )
                    raise LabelingFailed(
                        f"The signing certificate could not be loaded ({type(error).__name__})"
                    ) from None
            return self._credentials

    def _carries_manifest(self, origin: GeneratedImage) -> bool:
        return self._manifest(origin.data, content_type=origin.content_type) is not None

    def _manifest(self, data: bytes, content_type: str | None = None) -> dict[str, Any] | None:
        """The manifest store `data` carries, validated, or None when it has none."""
        kind = content_type or _sniff(data)
        if kind is None or JUMBF_LABEL not in data:
            return None  # no store can be there: skip parsing the whole file
        settings: dict[str, Any] = json.loads(json.dumps(SETTINGS))
        if self._anchors:
            settings["trust"] = {"trust_anchors": self._anchors.decode()}
        try:
            with c2pa.Context.from_dict(settings) as context:
                reader = c2pa.Reader.try_create(kind, io.BytesIO(data), None, context)
                if reader is None:
                    return None
                with reader:
                    found: dict[str, Any] = json.loads(reader.json())
                    return found
        except Exception as error:
            # A store so broken it cannot be read: there is one, and it is not intact.
            log.info("C2PA manifest unreadable", extra={"error": type(error).__name__})
            return {"validation_state": "Invalid", "manifests": {}}


def _manifest(content_type: str, origin: GeneratedImage) -> dict[str, Any]:
    """Our claim: profilephoto made it, with this model, from no photo of anyone."""
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": __version__}],
        "title": "profile photo",
        "format": content_type,
        "assertions": [
            {
                "label": ACTIONS,
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": str(origin.source_type),
                            "softwareAgent": {"name": origin.model},
                        }
                    ]
                },
            }
        ],
    }


def _created_action(manifest: dict[str, Any]) -> dict[str, Any] | None:
    for assertion in manifest.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                if action.get("action") == "c2pa.created":
                    return dict(action)
    return None


def _source_type(value: object) -> DigitalSourceType | None:
    try:
        return DigitalSourceType(str(value)) if value else None
    except ValueError:
        return None


def _model_of(properties: dict[str, str]) -> str | None:
    tool = properties.get("xmp:CreatorTool", "")
    return tool[tool.find("(") + 1 : -1] if tool.endswith(")") and "(" in tool else None


def _signer(signature: dict[str, Any], trusted: bool) -> str | None:
    issuer = signature.get("issuer")
    name = signature.get("common_name") or issuer
    if not name:
        return None
    return f"{name}{'' if trusted else ' (not on a trust list)'}"


def _sniff(data: bytes) -> str | None:
    if data.startswith(xmp.PNG_SIGNATURE):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
