"""Signing credentials for C2PA: a chain and its key, made locally or read from a secret.

C2PA's certificate profile (C2PA 2.x, "Certificate Profile"; what c2pa-rs checks): an
end-entity certificate that is not self-signed, not a CA, with a critical Key Usage that
has digitalSignature, an Extended Key Usage such as emailProtection (never anyEKU), and
Subject/Authority Key Identifiers; the chain is sent end-entity first, without the root.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_YEARS = 10
SIGNER_YEARS = 5
LOCAL_DIR = "c2pa"


@dataclass(frozen=True)
class SigningCredentials:
    """PEM certificate chain (end-entity first) and PKCS#8 PEM private key, ES256."""

    certificate_chain: bytes
    private_key: bytes
    # PEM of the root that anchors the chain, when we made it (for local verification).
    trust_anchor: bytes | None = None

    @classmethod
    def from_secret(cls, secret_string: str) -> SigningCredentials:
        """The JSON of docs/api.md: {"certificate_chain": PEM, "private_key": PEM};
        ValueError saying what is missing."""
        try:
            given = json.loads(secret_string)
            chain, key = given["certificate_chain"], given["private_key"]
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(
                'the secret must be JSON {"certificate_chain": "<PEM>", "private_key": "<PEM>"}'
                f" ({type(error).__name__})"
            ) from None
        if not (isinstance(chain, str) and isinstance(key, str)):
            raise ValueError("certificate_chain and private_key must be PEM strings")
        return cls(chain.encode(), key.encode())

    def signer_name(self) -> str:
        """The end-entity certificate's subject, as people read it."""
        return x509.load_pem_x509_certificates(self.certificate_chain)[0].subject.rfc4514_string()


def create_local_chain(now: datetime | None = None) -> SigningCredentials:
    """A fresh root CA and an end-entity signing certificate it issued, P-256 keys.

    For the local runtime and tests only: nobody else trusts this root (docs/deploy.md
    says how to get a certificate a C2PA trust list includes)."""
    now = now or datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("profilephoto local development CA")
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, CA_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(digital_signature=False, cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        _builder(_name("profilephoto local signer"), ca_name, key.public_key(), now, SIGNER_YEARS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(digital_signature=True, cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return SigningCredentials(
        certificate_chain=signer.public_bytes(pem),
        private_key=key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        trust_anchor=ca.public_bytes(pem),
    )


def load_or_create_local(data_dir: Path) -> SigningCredentials:
    """The data directory's chain (`c2pa/`), created once (key mode 0600); two processes
    starting at once agree on one chain (they take turns on a lock file)."""
    folder = Path(data_dir) / LOCAL_DIR
    chain, key, anchor = folder / "chain.pem", folder / "key.pem", folder / "ca.pem"
    if not key.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not key.exists():
                made = create_local_chain()
                _write(chain, made.certificate_chain, 0o644)
                _write(anchor, made.trust_anchor or b"", 0o644)
                _write(key, made.private_key, 0o600)  # last: its presence says "complete"
    return SigningCredentials(chain.read_bytes(), key.read_bytes(), anchor.read_bytes() or None)


def _write(path: Path, content: bytes, mode: int) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.replace(temp, path)


def local_anchor(data_dir: Path) -> bytes | None:
    """The local root's PEM when the data directory has one (what `inspect` trusts)."""
    path = Path(data_dir) / LOCAL_DIR / "ca.pem"
    return path.read_bytes() if path.exists() else None


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "profilephoto (local, not trusted)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: datetime,
    years: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _usage(*, digital_signature: bool, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
