"""The lab PKI and kubeconfig."""

import base64
import ipaddress
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from stswatch.lab.certs import write_pki
from stswatch.lab.kubeconfig import write_kubeconfig


def test_admin_cert_is_a_cluster_admin_signed_by_the_ca(tmp_path: Path) -> None:
    pki = write_pki(tmp_path)
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    admin = x509.load_pem_x509_certificate(pki.admin_cert.read_bytes())
    admin.verify_directly_issued_by(ca)
    assert admin.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kwok-admin"
    organization = admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert organization == "system:masters"
    sans = admin.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert pki.admin_key.stat().st_mode & 0o077 == 0


def test_kubeconfig_embeds_the_certs(tmp_path: Path) -> None:
    pki = write_pki(tmp_path)
    path = write_kubeconfig(tmp_path / "kubeconfig", server="https://127.0.0.1:1234", pki=pki)
    document = yaml.safe_load(path.read_text())
    cluster = document["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:1234"
    assert base64.b64decode(cluster["certificate-authority-data"]) == pki.ca_cert.read_bytes()
    assert document["current-context"] == document["contexts"][0]["name"]
