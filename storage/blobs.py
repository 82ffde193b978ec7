"""The blob store: attachment bytes by their SHA-256, behind one small interface.

``LocalBlobStore`` (the default) keeps each blob once in a directory, ``ab/cd/abcdef…`` by its hash, so a
photo sent twice is stored once; a blob is written to a temporary file, fsynced and renamed into place, so a
crash never leaves half a file under a real name. ``S3BlobStore`` keeps them in an S3-compatible bucket
(AWS S3, MinIO, Ceph RGW, COS/OSS in S3 mode) through boto3, for several gridbot servers sharing one store.

The calls are synchronous (file and network I/O): the server runs them in a thread.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_HEX = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(KeyError):
    """No blob with that hash (never stored, or purged)."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check(sha256: str) -> str:
    if not _HEX.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store ``data`` (once however often it is put); returns its SHA-256 hex digest."""

    def get(self, sha256: str) -> bytes:
        """The bytes, or ``BlobNotFound``."""

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> bool:
        """Remove the blob; False if it was not there."""


class LocalBlobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        _check(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha = digest(data)
        path = self._path(sha)
        if path.exists():
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha256: str) -> bytes:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def delete(self, sha256: str) -> bool:
        try:
            self._path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True


class S3BlobStore:
    """Blobs as objects ``<prefix><sha256>`` in one bucket; ``client`` is a boto3 S3 client."""

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self._s3 = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def connect(cls, *, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                access_key_id: str | None = None, secret_access_key: str | None = None,
                prefix: str = "") -> S3BlobStore:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30),
        )
        return cls(client, bucket, prefix)

    def _key(self, sha256: str) -> str:
        return self.prefix + _check(sha256)

    def put(self, data: bytes) -> str:
        sha = digest(data)
        if not self.exists(sha):
            self._s3.put_object(Bucket=self.bucket, Key=self._key(sha), Body=data,
                                ChecksumSHA256=_b64_sha(data))
        return sha

    def get(self, sha256: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            obj = self._s3.get_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise BlobNotFound(sha256) from None
            raise
        return obj["Body"].read()

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._s3.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def delete(self, sha256: str) -> bool:
        if not self.exists(sha256):
            return False
        self._s3.delete_object(Bucket=self.bucket, Key=self._key(sha256))
        return True


def _b64_sha(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
