"""A real OpenLDAP server for tests and benchmarks: Debian's ``/usr/sbin/slapd`` as a child process.

The server gets its own ``cn=config`` (built with ``slapadd -n0`` from an LDIF written here): the mdb backend,
the accesslog overlay (binds and writes, failures included), the ppolicy overlay with a default policy that locks
an account after three failures, ``olcLastBind`` (so ``pwdLastSuccess`` is kept), LDAPS and StartTLS with a
certificate from a test CA generated with ``cryptography`` at start, and ``-d stats`` so the stats log lines a
vendor would ship are captured to a file. The directory is filled offline with ``slapadd`` (fast even for the
10,000-account benchmark). ``slapd_server`` (module scope) gives a started server and stops it afterwards.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
MODULE_PATH = "/usr/lib/ldap"
SCHEMA_DIR = Path("/etc/ldap/schema")

BASE_DN = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "admin-secret"
SERVICE_DN = f"cn=vendorwatch,ou=services,{BASE_DN}"
SERVICE_PASSWORD = "service-secret"
LIMITED_DN = f"cn=limited,ou=services,{BASE_DN}"  # a reader whose searches stop after 10 entries
USER_PASSWORD = "user-secret-1"
POLICY_DN = f"cn=default,ou=policies,{BASE_DN}"
ADMINS_DN = f"cn=admins,ou=groups,{BASE_DN}"
MAX_FAILURE = 3
REFERRAL = "ldap://ldap.elsewhere.example/"  # where slapd refers searches outside its naming contexts


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _write_ca(directory: Path, name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{name.replace(' ', '-').lower()}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def make_certificates(directory: Path) -> tuple[Path, Path, Path, Path]:
    """A test CA, a server certificate and key it signed (localhost, 127.0.0.1), and an unrelated CA."""
    ca_key, ca_cert, ca_path = _write_ca(directory, "VendorWatch Test CA")
    _, _, wrong_ca_path = _write_ca(directory, "Unrelated Test CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path = directory / "server.pem"
    key_path = directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path, wrong_ca_path


def config_ldif(directory: Path, ca: Path, cert: Path, key: Path, size_limit: int,
                config_reader: str | None = None) -> str:
    """The ``cn=config`` of the test server (readable by nobody, or by ``config_reader``)."""
    config_access = f'by dn.exact="{config_reader}" read ' if config_reader else ""
    schemas = "".join(f"include: file://{SCHEMA_DIR / name}.ldif\n" for name in ("core", "cosine", "nis",
                                                                                  "inetorgperson"))
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {directory}/slapd.pid
olcArgsFile: {directory}/slapd.args
olcTLSCACertificateFile: {ca}
olcTLSCertificateFile: {cert}
olcTLSCertificateKeyFile: {key}
olcLogLevel: stats
olcReferral: {REFERRAL}

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULE_PATH}
olcModuleLoad: {{0}}back_mdb
olcModuleLoad: {{1}}accesslog
olcModuleLoad: {{2}}ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: {size_limit}

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * {config_access}by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {directory}/accesslog
olcSuffix: cn=accesslog
olcRootDN: {ADMIN_DN}
olcDbMaxSize: 1073741824
olcDbIndex: default eq
olcDbIndex: objectClass,entryCSN,reqStart,reqEnd,reqResult,reqDN
olcAccess: {{0}}to * by dn.exact="{SERVICE_DN}" read by * none

dn: olcDatabase={{2}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{2}}mdb
olcDbDirectory: {directory}/data
olcSuffix: {BASE_DN}
olcRootDN: {ADMIN_DN}
olcRootPW: {ADMIN_PASSWORD}
olcLastBind: TRUE
olcDbMaxSize: 1073741824
olcDbIndex: objectClass eq
olcDbIndex: uid,cn,member,memberUid eq
olcAccess: {{0}}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{SERVICE_DN}" read by dn.exact="{LIMITED_DN}" read by self read by * none
olcLimits: {{0}}dn.exact="{SERVICE_DN}" size.prtotal=unlimited size.pr=unlimited size.soft=unlimited size.hard=unlimited
olcLimits: {{1}}dn.exact="{LIMITED_DN}" size.soft=10 size.hard=10 size.prtotal=10

dn: olcOverlay={{0}}ppolicy,olcDatabase={{2}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {{0}}ppolicy
olcPPolicyDefault: {POLICY_DN}
olcPPolicyUseLockout: FALSE

dn: olcOverlay={{1}}accesslog,olcDatabase={{2}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcAccessLogConfig
olcOverlay: {{1}}accesslog
olcAccessLogDB: cn=accesslog
olcAccessLogOps: bind writes
olcAccessLogSuccess: FALSE
olcAccessLogPurge: 07+00:00 01+00:00
"""


def _entry(dn: str, **attributes: str | list[str]) -> str:
    lines = [f"dn: {dn}"]
    for name, value in attributes.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{name}: {item}")
    return "\n".join(lines) + "\n\n"


def user_uid(index: int) -> str:
    """The uid of the n-th generated account."""
    return f"user{index:05d}"


def user_dn(index: int) -> str:
    """The DN of the n-th generated account."""
    return f"uid={user_uid(index)},ou=people,{BASE_DN}"


def directory_ldif(accounts: int) -> str:
    """The directory: organisation, service account, password policy, ``accounts`` people and their groups.

    Every 10th account is an administrator (``cn=admins``), every 4th a developer; every 15th account's
    ``shadowExpire`` lies in the past (day 19000 = 2022-01-08). ``cn=staff`` is a posixGroup listing uids.
    """
    parts = [
        _entry(BASE_DN, objectClass=["top", "dcObject", "organization"], o="Example Vendor", dc="example"),
        *(_entry(f"ou={ou},{BASE_DN}", objectClass="organizationalUnit", ou=ou)
          for ou in ("people", "groups", "services", "policies")),
        _entry(SERVICE_DN, objectClass=["organizationalRole", "simpleSecurityObject"], cn="vendorwatch",
               userPassword=SERVICE_PASSWORD, description="read-only account for VendorWatch"),
        _entry(LIMITED_DN, objectClass=["organizationalRole", "simpleSecurityObject"], cn="limited",
               userPassword=SERVICE_PASSWORD, description="a reader with a size limit of 10"),
        _entry(POLICY_DN, objectClass=["top", "device", "pwdPolicy"], cn="default",
               pwdAttribute="userPassword", pwdMaxFailure=str(MAX_FAILURE), pwdLockout="TRUE",
               pwdLockoutDuration="900", pwdMaxAge="7776000", pwdMinLength="12", pwdInHistory="5",
               pwdFailureCountInterval="0"),
    ]
    admins: list[str] = []
    developers: list[str] = []
    staff: list[str] = []
    for index in range(1, accounts + 1):
        uid = user_uid(index)
        attributes: dict[str, str | list[str]] = {
            "objectClass": ["inetOrgPerson", "posixAccount", "shadowAccount"],
            "uid": uid, "cn": f"User {index}", "sn": f"Number{index}", "displayName": f"利用者 {index}",
            "mail": f"{uid}@vendor.example", "uidNumber": str(10000 + index), "gidNumber": "10000",
            "homeDirectory": f"/home/{uid}", "userPassword": USER_PASSWORD,
        }
        if index % 15 == 0:
            attributes["shadowExpire"] = "19000"
        parts.append(_entry(user_dn(index), **attributes))
        if index % 10 == 0:
            admins.append(user_dn(index))
        if index % 4 == 0:
            developers.append(user_dn(index))
        staff.append(uid)
    parts.append(_entry(ADMINS_DN, objectClass="groupOfNames", cn="admins", member=admins or [ADMIN_DN]))
    parts.append(_entry(f"cn=developers,ou=groups,{BASE_DN}", objectClass="groupOfNames", cn="developers",
                        member=developers or [ADMIN_DN]))
    parts.append(_entry(f"cn=staff,ou=groups,{BASE_DN}", objectClass="posixGroup", cn="staff",
                        gidNumber="10000", memberUid=staff))
    return "".join(parts)


@dataclass
class SlapdServer:
    """A running slapd and what a test needs to reach it."""

    directory: Path
    ldap_port: int
    ldaps_port: int
    ca_file: Path
    wrong_ca_file: Path
    stats_log: Path
    accounts: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    base_dn: str = BASE_DN
    admin_dn: str = ADMIN_DN
    admin_password: str = ADMIN_PASSWORD
    service_dn: str = SERVICE_DN
    service_password: str = SERVICE_PASSWORD
    limited_dn: str = LIMITED_DN
    user_password: str = USER_PASSWORD
    policy_dn: str = POLICY_DN
    admins_dn: str = ADMINS_DN

    @property
    def ldaps_url(self) -> str:
        """The LDAPS URL (by name, so the certificate's DNS name is checked)."""
        return f"ldaps://localhost:{self.ldaps_port}"

    @property
    def ldap_url(self) -> str:
        """The plain LDAP URL (for StartTLS)."""
        return f"ldap://localhost:{self.ldap_port}"

    def stop(self) -> None:
        """Stop slapd (SIGTERM, then SIGKILL if it does not go)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr[-3000:]}")


def start_slapd(directory: Path, accounts: int = 50, size_limit: int = 500,
                config_reader: str | None = None) -> SlapdServer:
    """Build a config and a directory of ``accounts`` people under ``directory`` and start slapd on free ports
    (``config_reader``: a DN that may read ``cn=config``, as few service accounts may)."""
    if not Path(SLAPD).exists():
        raise RuntimeError(f"{SLAPD} is missing: install Debian's slapd (bash scripts/test.sh does it as root)")
    directory.mkdir(parents=True, exist_ok=True)
    config_dir = directory / "slapd.d"
    for sub in ("slapd.d", "data", "accesslog"):
        (directory / sub).mkdir(exist_ok=True)
    ca, cert, key, wrong_ca = make_certificates(directory)
    (directory / "config.ldif").write_text(config_ldif(directory, ca, cert, key, size_limit, config_reader), encoding="utf-8")
    _run([SLAPADD, "-n0", "-F", str(config_dir), "-l", str(directory / "config.ldif")])
    (directory / "data.ldif").write_text(directory_ldif(accounts), encoding="utf-8")
    _run([SLAPADD, "-q", "-F", str(config_dir), "-b", BASE_DN, "-l", str(directory / "data.ldif")])
    ldap_port, ldaps_port = free_port(), free_port()
    stats_log = directory / "stats.log"
    log = stats_log.open("wb")
    environment = dict(os.environ)
    # -d stats keeps slapd in the foreground (a child we own) and writes the stats lines to stderr.
    process = subprocess.Popen(
        [SLAPD, "-h", f"ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/", "-F", str(config_dir),
         "-d", "stats"],
        stdout=log, stderr=subprocess.STDOUT, env=environment,
    )
    log.close()
    server = SlapdServer(directory, ldap_port, ldaps_port, ca, wrong_ca, stats_log, accounts, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited ({process.returncode}): {stats_log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", ldaps_port), timeout=1):
                pass
            with socket.create_connection(("127.0.0.1", ldap_port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("slapd did not start listening within 30 s")


@pytest.fixture(scope="module")
def slapd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    """A started slapd with ~50 accounts, the accesslog and ppolicy overlays and TLS; stopped after the module."""
    directory = tmp_path_factory.mktemp("slapd")
    server = start_slapd(directory, accounts=50, size_limit=500)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory / "data", ignore_errors=True)
