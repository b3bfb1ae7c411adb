"""RS256 signing for id_tokens and JWT access tokens, and the JWKS that publishes the key.

Clients verify id_tokens against the published key, so the sandbox signs real JWTs. Generating
an RSA key costs tens of milliseconds; tests start many sandboxes, so one key per process is
shared unless a caller asks for a fresh one.
"""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_shared_lock = threading.Lock()
_shared: SigningKey | None = None


def b64url(raw: bytes) -> str:
    """Base64url without padding, as JOSE wants it."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _int_b64url(number: int) -> str:
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


class SigningKey:
    """One RSA key pair with a key id."""

    def __init__(self, private_key: rsa.RSAPrivateKey, kid: str) -> None:
        self.private_key = private_key
        self.kid = kid

    @classmethod
    def generate(cls, kid: str = "sandbox-key-1") -> SigningKey:
        """A fresh 2048-bit key."""
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), kid)

    @classmethod
    def shared(cls) -> SigningKey:
        """The process-wide key (generated once)."""
        global _shared
        with _shared_lock:
            if _shared is None:
                _shared = cls.generate()
            return _shared

    def sign_jwt(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        """A compact RS256 JWS over the claims."""
        header = {"alg": "RS256", "kid": self.kid, "typ": typ}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = self.private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 7517)."""
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "e": _int_b64url(numbers.e),
            "n": _int_b64url(numbers.n),
        }

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS document that publishes this key."""
        return {"keys": [self.public_jwk()]}

    def public_pem(self) -> bytes:
        """The public key in PEM, for tests that verify with another library."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
