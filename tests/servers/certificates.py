"""Certificates made in the tests: a CA, a TLS server certificate for 127.0.0.1 / localhost, an S/MIME signer."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class CertificateFiles:
    """PEM files of one certificate, its key and the CA that signed it."""

    certificate: Path
    key: Path
    ca: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _pem_key(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def make_ca(folder: Path, name: str = "VendorWatch Test CA") -> tuple[x509.Certificate, rsa.RSAPrivateKey, Path]:
    """A self-signed CA valid for a day either side of now."""
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = _write(folder / "ca.pem", certificate.public_bytes(serialization.Encoding.PEM))
    return certificate, key, path


def _issue(folder: Path, stem: str, ca: tuple[x509.Certificate, rsa.RSAPrivateKey, Path], subject: x509.Name,
           extensions: list[tuple[x509.ExtensionType, bool]], password: bytes | None = None) -> CertificateFiles:
    ca_certificate, ca_key, ca_path = ca
    key = _key()
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_certificate.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    certificate = builder.sign(ca_key, hashes.SHA256())
    return CertificateFiles(
        _write(folder / f"{stem}.pem", certificate.public_bytes(serialization.Encoding.PEM)),
        _write(folder / f"{stem}-key.pem", _pem_key(key, password)),
        ca_path,
    )


def make_server_certificate(folder: Path) -> CertificateFiles:
    """A TLS server certificate for 127.0.0.1 and localhost, signed by a new CA."""
    ca = make_ca(folder)
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    return _issue(folder, "server", ca, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
                  [(names, False), (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)])


def make_smime_certificate(folder: Path, email: str, password: bytes | None = None) -> CertificateFiles:
    """An S/MIME signing certificate for an address (emailProtection, rfc822Name), signed by a new CA."""
    ca = make_ca(folder, "VendorWatch Test Mail CA")
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, email), x509.NameAttribute(NameOID.EMAIL_ADDRESS, email)])
    return _issue(folder, "smime", ca, subject,
                  [(x509.SubjectAlternativeName([x509.RFC822Name(email)]), False),
                   (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False),
                   (x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                  data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                  encipher_only=False, decipher_only=False), True)],
                  password)
