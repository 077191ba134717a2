"""A throwaway CA and server certificate for the emulator's HTTPS endpoint."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass
class TestTLS:
    __test__ = False
    server_context: ssl.SSLContext
    ca_file: Path


def make_tls(folder: Path) -> TestTLS:
    """A CA (written to ``folder/ca.pem``) and a server context it signed."""
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    folder.mkdir(parents=True, exist_ok=True)
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TestTLS(server_context=context, ca_file=ca_file)
