"""An independent WXBizMsgCrypt implementation for tests: ``cryptography`` AES-CBC and ``hashlib`` only.

It imports neither wechatpy nor bot code, so a shared mistake cannot make both sides agree. It also builds
the malformed ciphertexts the adapters must refuse (bad padding, bad length field, another receive id).
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def key_of(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    assert len(key) == 32
    return key


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def pkcs7(data: bytes, block: int = 32) -> bytes:
    n = block - len(data) % block
    return data + bytes([n]) * n


def aes_encrypt_raw(key: bytes, padded: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return enc.update(padded) + enc.finalize()


def aes_decrypt_raw(key: bytes, data: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return dec.update(data) + dec.finalize()


def layout(message: str, receive_id: str, prefix: bytes | None = None) -> bytes:
    body = message.encode()
    return (prefix or os.urandom(16)) + struct.pack(">I", len(body)) + body + receive_id.encode()


def encrypt(encoding_aes_key: str, message: str, receive_id: str, prefix: bytes | None = None) -> str:
    key = key_of(encoding_aes_key)
    return base64.b64encode(aes_encrypt_raw(key, pkcs7(layout(message, receive_id, prefix)))).decode()


def encrypt_padded(encoding_aes_key: str, plaintext_padded: bytes) -> str:
    """Encrypt bytes as they are (the caller chose the padding): for malformed-ciphertext tests."""
    return base64.b64encode(aes_encrypt_raw(key_of(encoding_aes_key), plaintext_padded)).decode()


def decrypt(encoding_aes_key: str, encrypt_b64: str) -> tuple[str, str]:
    """``(message, receive_id)``; asserts on anything malformed (this is a test oracle, not an edge)."""
    plain = aes_decrypt_raw(key_of(encoding_aes_key), base64.b64decode(encrypt_b64, validate=True))
    pad = plain[-1]
    assert 1 <= pad <= 32 and plain[-pad:] == bytes([pad]) * pad, "bad padding"
    content = plain[16:-pad]
    (n,) = struct.unpack(">I", content[:4])
    return content[4:4 + n].decode(), content[4 + n:].decode()


class Sender:
    """What the WeCom platform does: encrypt a plaintext and sign it for one endpoint."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token, self.key, self.receive_id = token, encoding_aes_key, receive_id

    def seal(self, message: str, timestamp: str, nonce: str) -> tuple[str, str]:
        enc = encrypt(self.key, message, self.receive_id)
        return enc, sign(self.token, timestamp, nonce, enc)

    def open(self, encrypt_b64: str, timestamp: str, nonce: str, signature: str) -> str:
        assert sign(self.token, timestamp, nonce, encrypt_b64) == signature, "reply signature mismatch"
        message, rid = decrypt(self.key, encrypt_b64)
        assert rid == self.receive_id, f"reply receive id {rid!r}"
        return message
