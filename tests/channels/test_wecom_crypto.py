"""The WXBizMsgCrypt scheme against Tencent's and well-known SDKs' published vectors, twice: the independent
reference implementation the end-to-end tests use, and the production ``WecomCrypto``."""

from __future__ import annotations

import base64
import json

import pytest

from bot.channels.wecom_crypto import WecomCrypto
from handlers.errors import BadPayload, BadSignature
from tests import wecom_reference as ref
from tests.conftest import shared_file

VECTORS = json.loads(shared_file("wecom/crypto_vectors.json").read_text(encoding="utf-8"))
IDS = [f"{i}-{v['flavour']}-{v['kind']}" for i, v in enumerate(VECTORS)]


def test_the_vector_file_has_both_flavours_and_kinds():
    assert len(VECTORS) == 14
    assert {v["flavour"] for v in VECTORS} == {"wecom", "mp"}
    assert {v["kind"] for v in VECTORS} == {"echostr", "message"}
    assert any("\n" in v["expected_plain"] for v in VECTORS)  # newlines must survive decryption


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_reference_reproduces_vector(v):
    assert ref.sign(v["token"], v["timestamp"], v["nonce"], v["encrypt"]) == v["msg_signature"]
    message, receive_id = ref.decrypt(v["encoding_aes_key"], v["encrypt"])
    assert message == v["expected_plain"]
    assert receive_id == v["app_id"]
    if "random_prefix" in v:
        prefix = v["random_prefix"].encode()
        again = ref.encrypt(v["encoding_aes_key"], v["expected_plain"], v["app_id"], prefix)
        assert again == v["encrypt"]


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_wecom_crypto_reproduces_vector(v):
    crypto = WecomCrypto(v["token"], v["encoding_aes_key"], v["app_id"])
    assert crypto.verify_and_decrypt(v["msg_signature"], v["timestamp"], v["nonce"], v["encrypt"]) \
        == v["expected_plain"]
    if "random_prefix" in v:
        enc, sig = crypto.encrypt(v["expected_plain"], v["nonce"], v["timestamp"],
                                  random_prefix=v["random_prefix"].encode())
        assert (enc, sig) == (v["encrypt"], v["msg_signature"])


@pytest.mark.parametrize("v", VECTORS, ids=IDS)
def test_wecom_crypto_refuses_the_vector_for_another_receive_id(v):
    crypto = WecomCrypto(v["token"], v["encoding_aes_key"], v["app_id"] + "x")
    with pytest.raises(BadPayload, match="receive id"):
        crypto.decrypt(v["encrypt"])


def test_round_trip_between_wecom_crypto_and_reference():
    key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    crypto = WecomCrypto("tok", key, "ww0123456789abcdef")
    text = "<xml>\n<Content><![CDATA[3号楼电梯坏了]]></Content>\n</xml>"
    enc, sig = crypto.encrypt(text, "nonce1", "1700000000")
    assert ref.sign("tok", "1700000000", "nonce1", enc) == sig
    assert ref.decrypt(key, enc) == (text, "ww0123456789abcdef")
    enc2 = ref.encrypt(key, text, "ww0123456789abcdef")
    assert crypto.decrypt(enc2) == text
    assert enc != crypto.encrypt(text, "nonce1", "1700000000")[0]  # a fresh random prefix each time


V0 = VECTORS[1]


def _crypto(**kw) -> WecomCrypto:
    return WecomCrypto(V0["token"], V0["encoding_aes_key"], V0["app_id"], **kw)


def test_signature_mismatch_is_bad_signature():
    bad = ("0" if V0["msg_signature"][0] != "0" else "1") + V0["msg_signature"][1:]
    with pytest.raises(BadSignature, match="mismatch"):
        _crypto().verify(bad, V0["timestamp"], V0["nonce"], V0["encrypt"])
    with pytest.raises(BadSignature):
        _crypto().verify(V0["msg_signature"], V0["timestamp"], V0["nonce"] + "1", V0["encrypt"])
    with pytest.raises(BadSignature):
        _crypto().verify("签名", V0["timestamp"], V0["nonce"], V0["encrypt"])


def test_replay_window():
    ts = int(V0["timestamp"])
    args = (V0["msg_signature"], V0["timestamp"], V0["nonce"], V0["encrypt"])
    _crypto(replay_window=300, clock=lambda: ts + 299).verify(*args)
    _crypto(replay_window=300, clock=lambda: ts - 299).verify(*args)
    with pytest.raises(BadSignature, match="replay window"):
        _crypto(replay_window=300, clock=lambda: ts + 301).verify(*args)
    with pytest.raises(BadSignature, match="replay window"):
        _crypto(replay_window=300, clock=lambda: ts - 301).verify(*args)
    _crypto(replay_window=0, clock=lambda: ts + 10**9).verify(*args)  # 0 turns the check off


def _sealed(raw_plain_padded: bytes) -> str:
    return ref.encrypt_padded(V0["encoding_aes_key"], raw_plain_padded)


@pytest.mark.parametrize("mangle, reason", [
    ("not base64 at all!", "not base64"),
    ("QUJD", "length"),  # 3 bytes
    (base64.b64encode(b"x" * 40).decode(), "length"),  # not a whole number of AES blocks
    ("QUJDRA", "not base64"),  # missing padding
    ("QUJD\nRA==", "not base64"),
    ("", "empty"),
    ("密文", "not base64"),
])
def test_malformed_base64_and_lengths_are_bad_payload(mangle, reason):
    with pytest.raises(BadPayload, match=reason):
        _crypto().decrypt(mangle)


def test_bad_padding_length_field_utf8_are_bad_payload():
    body = b"0123456789abcdef" + (5).to_bytes(4, "big") + b"hello" + V0["app_id"].encode()
    good = ref.pkcs7(body)
    assert _crypto().decrypt(_sealed(good)) == "hello"  # the construction itself is sound
    n = good[-1]
    with pytest.raises(BadPayload, match="padding"):
        _crypto().decrypt(_sealed(good[:-1] + bytes([0])))  # pad byte 0
    with pytest.raises(BadPayload, match="padding"):
        _crypto().decrypt(_sealed(good[:-1] + bytes([33])))  # pad byte over 32
    if n > 1:
        with pytest.raises(BadPayload, match="padding"):
            _crypto().decrypt(_sealed(good[:-2] + bytes([n + 1, n])))  # inconsistent pad bytes
    huge = b"0123456789abcdef" + (10**6).to_bytes(4, "big") + b"hello" + V0["app_id"].encode()
    with pytest.raises(BadPayload, match="exceeds"):
        _crypto().decrypt(_sealed(ref.pkcs7(huge)))
    short = ref.pkcs7(b"0123456789abcdef" + b"\x00\x00")
    with pytest.raises(BadPayload, match="too short"):
        _crypto().decrypt(_sealed(short))
    latin = b"0123456789abcdef" + (2).to_bytes(4, "big") + b"\xff\xfe" + V0["app_id"].encode()
    with pytest.raises(BadPayload, match="UTF-8"):
        _crypto().decrypt(_sealed(ref.pkcs7(latin)))


def test_a_bad_encoding_aes_key_stops_construction():
    with pytest.raises(ValueError, match="43"):
        WecomCrypto("t", "short", "")
    with pytest.raises(ValueError, match="base64"):
        WecomCrypto("t", "!" * 43, "")
