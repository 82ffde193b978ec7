"""jieba word segmentation, loaded fast and cut without jieba's per-word generators.

The classifier cuts every message once (HMM off: dictionary words only, deterministic).  Two costs
of plain jieba dominated: start-up, where ``marshal.load`` of jieba's 9 MB prefix-dictionary cache
takes 0.7-0.9 s on this machine, and cutting, where jieba walks nested generators and builds a DAG
dict per block.  :class:`Segmenter` keeps jieba's dictionary and algorithm and changes neither
result nor data:

* the prefix dictionary is cached in the temp directory as one UTF-8 word list and an int array
  (``dict(zip(...))`` of 500 k entries loads in about a third of marshal's time); the key names jieba's
  version and its dictionary file's size and mtime, a bad or stale file is rebuilt from jieba;
* :meth:`Segmenter.lcut` is jieba's ``Tokenizer.lcut(text, HMM=False)`` -- same blocks, same
  maximum-probability route with the same tie-breaking, same grouping of ASCII letters and digits --
  in one backward pass per block (``tests/nlp/test_segment.py`` compares both on every corpus line).
"""

from __future__ import annotations

import array
import logging
import os
import re
import struct
import sys
import tempfile
import threading
from math import log
from pathlib import Path

_LOG = logging.getLogger(__name__)
_MAGIC = b"GBJIEBA1"
# jieba's own block and skip patterns (jieba/__init__.py, 0.42): runs of CJK, ASCII alnum and +#&._%-
_HAN = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_SKIP = re.compile("(\r\n|\\s)", re.U)
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _cache_path(dict_file: Path, version: str) -> Path:
    st = dict_file.stat()
    name = f"gridbot-jieba-{version}-{st.st_size}-{st.st_mtime_ns}.bin"
    return Path(tempfile.gettempdir()) / name


def _read_cache(path: Path) -> tuple[dict[str, int], int] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 16
    if len(data) < head or not data.startswith(_MAGIC):
        return None
    total, count = struct.unpack_from("<qq", data, len(_MAGIC))
    freqs = array.array("q")
    end = head + 8 * count
    try:
        freqs.frombytes(data[head:end])
        if sys.byteorder != "little":
            freqs.byteswap()
        words = data[end:].decode("utf-8").split("\n")
    except (ValueError, UnicodeDecodeError):
        return None
    if len(words) != count or len(freqs) != count:
        return None
    return dict(zip(words, freqs, strict=True)), total


def _write_cache(path: Path, freq: dict[str, int], total: int) -> None:
    if any("\n" in w for w in freq):
        return  # cannot happen with jieba's line-based dictionary; never write an ambiguous file
    freqs = array.array("q", freq.values())
    if sys.byteorder != "little":
        freqs.byteswap()
    body = _MAGIC + struct.pack("<qq", total, len(freq)) + freqs.tobytes() + "\n".join(freq).encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".gridbot-jieba-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.replace(tmp, path)
    except OSError as e:  # a read-only temp dir only costs start-up time
        _LOG.debug("jieba dictionary cache not written: %s", e)


def _base_dictionary() -> tuple[dict[str, int], int]:
    """jieba's default prefix dictionary (word -> frequency, prefixes -> 0) and its total."""
    import jieba

    path = _cache_path(Path(jieba.__file__).with_name("dict.txt"), jieba.__version__)
    cached = _read_cache(path)
    if cached is not None:
        return cached
    tok = jieba.Tokenizer()
    tok.initialize()
    _write_cache(path, tok.FREQ, tok.total)
    return dict(tok.FREQ), tok.total


class Segmenter:
    """jieba's default dictionary plus a user dictionary; ``lcut`` equals ``Tokenizer.lcut(t, HMM=False)``."""

    def __init__(self, userdict: Path | None = None) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        freq, total = _base_dictionary()
        tok = jieba.Tokenizer()
        tok.FREQ, tok.total, tok.initialized = freq, total, True
        if userdict is not None:
            tok.load_userdict(str(userdict))
        self.tokenizer = tok  # a real jieba Tokenizer on the same dictionary (for anything else jieba offers)
        self._freq = tok.FREQ
        self._logtotal = log(tok.total)

    def lcut(self, text: str) -> list[str]:
        out: list[str] = []
        for blk in _HAN.split(text):
            if not blk:
                continue
            if _HAN.match(blk):
                self._cut_block(blk, out)
            else:
                for x in _SKIP.split(blk):
                    if _SKIP.match(x):
                        out.append(x)
                    else:
                        out.extend(x)
        return out

    def _cut_block(self, s: str, out: list[str]) -> None:
        """jieba's DAG + maximum-probability route (``get_DAG`` and ``calc`` fused), then its walk."""
        freq, logtotal = self._freq, self._logtotal
        n = len(s)
        value = [0.0] * (n + 1)
        nxt = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            best = None
            best_end = k
            i = k
            frag = s[k]
            while True:
                f = freq.get(frag)
                if f is None:
                    break
                if f:
                    v = log(f) - logtotal + value[i + 1]
                    # jieba takes max over (value, end) tuples: ties go to the longer word
                    if best is None or v >= best:
                        best, best_end = v, i
                i += 1
                if i >= n:
                    break
                frag = s[k : i + 1]
            if best is None:
                best = -logtotal + value[k + 1]  # log(1): an unknown single character
            value[k] = best
            nxt[k] = best_end + 1
        x = 0
        buf = ""
        while x < n:
            y = nxt[x]
            if y - x == 1 and s[x] in _ASCII_ALNUM:
                buf += s[x]
            else:
                if buf:
                    out.append(buf)
                    buf = ""
                out.append(s[x:y])
            x = y
        if buf:
            out.append(buf)


_LOCK = threading.Lock()
_SEGMENTERS: dict[str, Segmenter] = {}


def segmenter(userdict: Path) -> Segmenter:
    """The process-wide :class:`Segmenter` for ``userdict`` (built once)."""
    key = str(userdict)
    seg = _SEGMENTERS.get(key)
    if seg is None:
        with _LOCK:
            seg = _SEGMENTERS.get(key)
            if seg is None:
                seg = _SEGMENTERS[key] = Segmenter(Path(userdict))
    return seg
