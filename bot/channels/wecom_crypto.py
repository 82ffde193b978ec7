"""WeCom callback encryption (the WXBizMsgCrypt scheme), checked strictly.

AES-256-CBC itself comes from wechatpy's enterprise ``PrpCrypto``. Everything wechatpy leaves unchecked is
checked here; every failure is a ``BadSignature`` (403) or ``BadPayload`` (400) with a reason, never a 500:

* signature: SHA1 over the sorted token, timestamp, nonce and ciphertext, compared in constant time;
* replay window: a timestamp further than ``replay_window`` seconds from now is refused (0 turns it off);
* base64 (strict alphabet and padding), ciphertext length, PKCS#7 padding (1..32, every pad byte equal),
  the 4-byte big-endian message length, UTF-8, and the receive id (corp id for the app, "" for the AI bot).

Plaintext layout: 16 random bytes, 4-byte length, message, receive id; PKCS#7-padded to 32 bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from wechatpy.enterprise.crypto import PrpCrypto

from handlers.errors import BadPayload, BadSignature

BLOCK = 32  # PKCS#7 block of the scheme (not the AES block)


class _Prp(PrpCrypto):
    """wechatpy's PrpCrypto with a CSPRNG prefix (wechatpy uses ``random.sample``), or a fixed one (tests)."""

    def __init__(self, key: bytes, random_prefix: bytes | None = None) -> None:
        super().__init__(key)
        self._prefix = random_prefix

    def get_random_string(self) -> str | bytes:
        if self._prefix is not None:
            return self._prefix
        return base64.b64encode(secrets.token_bytes(12))  # 16 random ASCII bytes


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key from the 43-character EncodingAESKey; ``ValueError`` names what is wrong."""
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error:
        raise ValueError("EncodingAESKey is not base64") from None
    if len(key) != 32:
        raise ValueError("EncodingAESKey does not decode to 32 bytes")
    return key


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypt))).encode()).hexdigest()


class WecomCrypto:
    """One callback endpoint's token, key and receive id."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str, *, replay_window: int = 0,
                 clock: Callable[[], float] = time.time) -> None:
        self.token = token
        self.receive_id = receive_id
        self.replay_window = replay_window
        self._clock = clock
        self._key = aes_key(encoding_aes_key)
        self._prp = _Prp(self._key)
        self._rid = receive_id.encode()

    # --- signature and freshness ---------------------------------------------------------------------------

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self.token, timestamp, nonce, encrypt)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise ``BadSignature`` unless the signature matches and the timestamp is inside the window."""
        expected = self.sign(timestamp, nonce, encrypt).encode()
        given = msg_signature.strip().lower().encode("utf-8", "replace")
        if not hmac.compare_digest(given, expected):
            raise BadSignature("msg_signature mismatch")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            raise BadSignature("timestamp is not a number")
        if self.replay_window:
            skew = self._clock() - int(timestamp)
            if abs(skew) > self.replay_window:
                raise BadSignature(f"timestamp outside the replay window ({int(skew)} s off)")

    # --- decryption ----------------------------------------------------------------------------------------

    def decrypt(self, encrypt: str) -> str:
        """The message inside ``encrypt``; ``BadPayload`` for anything malformed or for another receive id."""
        if not encrypt:
            raise BadPayload("ciphertext is empty")
        try:
            raw = base64.b64decode(encrypt.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error) as e:
            raise BadPayload(f"ciphertext is not base64: {e}") from None
        if len(raw) < BLOCK or len(raw) % 16:
            raise BadPayload(f"ciphertext length {len(raw)} is not a whole number of AES blocks (min 32)")
        plain = self._prp.cipher.decrypt(raw)
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise BadPayload("bad PKCS#7 padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise BadPayload("plaintext too short for its length field")
        n = int.from_bytes(content[:4], "big")
        if n > len(content) - 4:
            raise BadPayload(f"message length {n} exceeds the plaintext ({len(content) - 4} bytes)")
        message, receive_id = content[4:4 + n], content[4 + n:]
        if receive_id != self._rid:
            raise BadPayload("receive id (corp id) does not match")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise BadPayload("message is not UTF-8") from None

    def verify_and_decrypt(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        self.verify(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    # --- encryption ----------------------------------------------------------------------------------------

    def encrypt(self, plaintext: str, nonce: str, timestamp: str, *,
                random_prefix: bytes | None = None) -> tuple[str, str]:
        """``(encrypt_b64, msg_signature)`` for a passive reply; ``random_prefix`` (16 bytes): tests only."""
        prp = self._prp if random_prefix is None else _Prp(self._key, random_prefix)
        encrypted = prp.encrypt(plaintext, self.receive_id)
        text = encrypted.decode("ascii") if isinstance(encrypted, bytes) else encrypted
        return text, self.sign(timestamp, nonce, text)


def query_params(query, *names: str) -> list[str]:
    """The named query parameters, all required: a missing one is ``BadSignature`` (nothing to check)."""
    values = []
    for name in names:
        value = query.get(name)
        if not value:
            raise BadSignature(f"query parameter {name} missing")
        values.append(value)
    return values
