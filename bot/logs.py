"""One logging set-up for the CLI and every ``serve --workers`` child, so both log the same lines.

At INFO a message gets one line from the handlers saying what was decided; aiohttp's access log (one line per
request) and alembic's plugin chatter come only with ``-v``.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s {prefix}%(name)s %(message)s"


def configure(verbose: bool, *, prefix: str = "") -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format=FORMAT.format(prefix=prefix), stream=sys.stderr)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not verbose:
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
