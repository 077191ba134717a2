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
    """A CA (``folder/ca.pem``) and a server context it signed.

    A CA already in ``folder`` is used again (its key is kept beside it, mode
    0600), so a second emulator started from the same checkout does not
    invalidate the CA file the first one told its users to trust.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ca_file, key_file = folder / "ca.pem", folder / "ca.key"
    ca = _reused(ca_file, key_file)
    if ca is None:
        ca = trustme.CA()
        key_file.touch(mode=0o600)
        ca.private_key_pem.write_to_path(str(key_file))
        ca.cert_pem.write_to_path(str(ca_file))
    certificate = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    return TestTLS(server_context=context, ca_file=ca_file)


def _reused(ca_file: Path, key_file: Path) -> trustme.CA | None:
    try:
        return trustme.CA.from_pem(ca_file.read_bytes(), key_file.read_bytes())
    except (OSError, ValueError):
        return None
