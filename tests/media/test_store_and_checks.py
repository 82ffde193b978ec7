"""The blob store (local directory; S3 against moto's server on loopback) and the checks on the bytes."""

from __future__ import annotations

import io
import socket

import pytest

from storage import media
from storage.blobs import BlobNotFound, LocalBlobStore, S3BlobStore, digest
from tests.media.conftest import amr, jpeg_with_gps, png


def _exercise(store) -> None:
    photo = jpeg_with_gps()
    sha = store.put(photo)
    assert sha == digest(photo) and len(sha) == 64
    assert store.put(photo) == sha  # twice: once
    assert store.exists(sha) and store.get(sha) == photo
    assert store.delete(sha) and not store.exists(sha) and not store.delete(sha)
    with pytest.raises(BlobNotFound):
        store.get(sha)
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_the_local_store_is_content_addressed(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    _exercise(store)
    sha = store.put(b"%PDF-1.4 x")
    assert (tmp_path / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() == b"%PDF-1.4 x"
    assert not list((tmp_path / "blobs").rglob(".tmp-*"))


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_the_s3_store_against_a_local_s3_server(moto_endpoint):
    store = S3BlobStore.connect(bucket="gridbot-test", endpoint_url=moto_endpoint, region="us-east-1",
                                access_key_id="testing", secret_access_key="testing", prefix="att/")
    store._s3.create_bucket(Bucket="gridbot-test")
    _exercise(store)
    sha = store.put(png())
    keys = [o["Key"] for o in store._s3.list_objects_v2(Bucket="gridbot-test")["Contents"]]
    assert keys == [f"att/{sha}"]


def test_an_s3_store_needs_a_bucket():
    from bot.config import ConfigError
    from tests.conftest import example_config

    with pytest.raises(ConfigError, match=r"attachments: .*bucket"):
        example_config(attachments={"store": "s3"})


# --- the checks ----------------------------------------------------------------------------------------------


def test_exif_gps_is_stripped_unless_the_centre_keeps_it():
    photo = jpeg_with_gps()
    assert media.has_gps(photo)
    stripped = media.inspect("image", photo, media.Limits())
    assert stripped.stripped and not media.has_gps(stripped.data) and stripped.content_type == "image/jpeg"
    from PIL import Image

    assert Image.open(io.BytesIO(stripped.data)).getexif().get(0x010F) is None  # camera maker gone too
    assert media.inspect("image", photo, media.Limits()).data == stripped.data  # deterministic: dedup works
    kept = media.inspect("image", photo, media.Limits(keep_exif=True))
    assert kept.data == photo and media.has_gps(kept.data)


def test_types_come_from_the_bytes():
    assert media.sniff(amr()) == "audio/amr"
    assert media.sniff(png()) == "image/png"
    assert media.inspect("voice", amr(), media.Limits()).content_type == "audio/amr"
    for kind, data in (("image", amr()), ("voice", png()), ("file", b"MZ\x90\x00" + b"\0" * 100),
                       ("image", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), ("video", b"hello")):
        with pytest.raises(media.Refused) as e:
            media.inspect(kind, data, media.Limits())
        assert e.value.code == "bad_type", kind


def test_limits_per_kind_empty_files_and_broken_images():
    limits = media.Limits(max_bytes={"image": 100, "voice": 10_000})
    with pytest.raises(media.Refused, match="too_large"):
        media.inspect("image", jpeg_with_gps(), limits)
    assert media.inspect("voice", amr(0.5), limits).content_type == "audio/amr"
    with pytest.raises(media.Refused, match="empty"):
        media.inspect("image", b"", limits)
    truncated = jpeg_with_gps()[:120]
    with pytest.raises(media.Refused) as e:
        media.inspect("image", truncated, media.Limits())
    assert e.value.code == "broken_image"


def test_a_decompression_bomb_is_refused():
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, "PNG")  # 144 Mpixel in a few kB
    with pytest.raises(media.Refused) as e:
        media.inspect("image", out.getvalue(), media.Limits())
    assert e.value.code == "broken_image"
