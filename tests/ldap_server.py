"""A real OpenLDAP server (Debian's slapd) for the LDAP sign-in tests: a temporary directory
with its own slapd.conf (mdb backend, suffix dc=pemda,dc=go,dc=id), the fixture people loaded
with slapadd, a CA and a server certificate made here with `cryptography`, and slapd listening
on free ports of 127.0.0.1 for ldap:// (StartTLS offered) and ldaps://. Skips, with the reason,
where /usr/sbin/slapd is missing (`.ci/run` installs it)."""

import base64
import datetime
import hashlib
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SLAPD_SKIP = "slapd is not installed (/usr/sbin/slapd; Debian package slapd, .ci/run installs it)"
SUFFIX = "dc=pemda,dc=go,dc=id"
PEOPLE = f"ou=people,{SUFFIX}"
SERVICE_DN = f"cn=cergas-service,ou=services,{SUFFIX}"
SERVICE_PASSWORD = "layanan-rahasia-9"
SCHEMA_DIR = "/etc/ldap/schema"
MODULE_DIR = "/usr/lib/ldap"


@dataclass(frozen=True)
class Person:
    uid: str
    nip: str
    name: str
    mail: str
    unit: str
    password: str


# The fixture directory: NIPs are 18 digits; units are codes of the test office.
PEOPLE_ENTRIES = (
    Person("siti", "198701012010012001", "Siti Rahma", "siti@pemda.go.id", "BKD", "siti-ldap-1"),
    Person("budi", "199002022015031002", "Budi Santoso", "budi@pemda.go.id", "BKD", "budi-ldap-2"),
    Person("rina", "199105052019032003", "Rina Wati", "rina@pemda.go.id", "BKD", "rina-ldap-3"),
    # Twins: one filter value matching two entries must find nobody.
    Person("kembar1", "199201012020011111", "Kembar Satu", "k1@pemda.go.id", "BKD", "kembar-pw"),
)


def ssha(password: str) -> str:
    """An {SSHA} userPassword, as slappasswd makes it."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ldif() -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: pemda\no: Pemda",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: cergas-service\nuserPassword: {ssha(SERVICE_PASSWORD)}",
    ]
    for person in PEOPLE_ENTRIES:
        surname = person.name.split()[-1]
        blocks.append(
            f"dn: uid={person.uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {person.uid}\n"
            f"cn: {person.name}\nsn: {surname}\nmail: {person.mail}\n"
            f"employeeNumber: {person.nip}\ndepartmentNumber: {person.unit}\n"
            f"userPassword: {ssha(person.password)}"
        )
    # The second twin: another entry with the first twin's uid as its employeeNumber.
    blocks.append(
        f"dn: uid=kembar2,{PEOPLE}\nobjectClass: inetOrgPerson\nuid: kembar2\ncn: Kembar Dua\n"
        f"sn: Dua\nemployeeNumber: kembar1\nuserPassword: {ssha('kembar-pw')}"
    )
    return "\n\n".join(blocks) + "\n"


def _slapd_conf(folder: Path) -> str:
    schemas = "\n".join(
        f"include {SCHEMA_DIR}/{name}.schema" for name in ("core", "cosine", "nis", "inetorgperson")
    )
    return f"""{schemas}
modulepath {MODULE_DIR}
moduleload back_mdb
pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args
TLSCACertificateFile {folder}/ca.pem
TLSCertificateFile {folder}/server.pem
TLSCertificateKeyFile {folder}/server-key.pem
disallow bind_anon
require authc

database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "cn=admin,{SUFFIX}"
directory {folder}/data
index objectClass eq
index uid,employeeNumber eq
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by users read
  by * none
"""


def make_certificates(folder: Path, name: str = "ca") -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Cergas test {name}")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = {
        "ca": folder / f"{name}.pem",
        "cert": folder / "server.pem",
        "key": folder / "server-key.pem",
    }
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    if name == "ca":
        files["cert"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
        files["key"].write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return files


@dataclass
class Directory:
    folder: Path
    port: int
    tls_port: int
    ca_file: Path
    wrong_ca_file: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def listen(self) -> str:
        # Also on 127.0.0.2, a loopback address the certificate does not name.
        urls = (self.url, self.ldaps_url, f"ldaps://127.0.0.2:{self.tls_port}")
        return " ".join(f"{url}/" for url in urls)

    def config(self, **extra) -> dict:
        """The app settings for signing in through this directory (plain LDAP on loopback)."""
        return {
            "LDAP_URL": self.url,
            "LDAP_START_TLS": False,
            "LDAP_CA_FILE": None,
            "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "LDAP_BASE_DN": PEOPLE,
            "LDAP_USER_FILTER": "(|(employeeNumber={login})(uid={login}))",
            "LDAP_ATTR_NIP": "employeeNumber",
            "LDAP_ATTR_NAME": "cn",
            "LDAP_ATTR_EMAIL": "mail",
            "LDAP_ATTR_UNIT": "departmentNumber",
            "LDAP_CREATE_USERS": False,
            "LDAP_SYNC": False,
            "LDAP_TIMEOUT": 5,
            **extra,
        }

    def start(self) -> None:
        self.process = subprocess.Popen(
            [SLAPD, "-h", self.listen, "-f", str(self.folder / "slapd.conf")] + ["-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace")
                raise RuntimeError(f"slapd stopped at start: {error[-2000:]}")
            try:
                with (
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
                    socket.create_connection(("127.0.0.1", self.tls_port), timeout=0.2),
                ):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("slapd did not answer within 15 seconds")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None


def build_directory() -> Directory:
    """Write the configuration, certificates and data of a fresh directory (not started)."""
    if not (os.access(SLAPD, os.X_OK) and os.access(SLAPADD, os.X_OK)):
        pytest.skip(SLAPD_SKIP)
    folder = Path(tempfile.mkdtemp(prefix="cergas-slapd-"))
    (folder / "data").mkdir()
    files = make_certificates(folder)
    wrong = make_certificates(folder, "other-ca")
    (folder / "slapd.conf").write_text(_slapd_conf(folder))
    (folder / "people.ldif").write_text(_ldif())
    loaded = subprocess.run(
        [SLAPADD, "-f", str(folder / "slapd.conf"), "-l", str(folder / "people.ldif")],
        capture_output=True,
        text=True,
    )
    if loaded.returncode != 0:
        raise RuntimeError(f"slapadd failed: {loaded.stderr[-2000:]}")
    return Directory(folder, free_port(), free_port(), files["ca"], wrong["ca"])


def running_directory():
    """A running slapd with the fixture people, until the generator is closed: for a
    session-scoped fixture, `yield from running_directory()`."""
    found = build_directory()
    found.start()
    try:
        yield found
    finally:
        found.stop()
        shutil.rmtree(found.folder, ignore_errors=True)
