"""deploy/: two workers behind nginx (deploy/nginx.conf) with TLS, the body limit and the real client address,
by running deploy/try-behind-nginx.sh (.ci/run installs nginx from Debian when it is missing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, pg_problem


def test_two_workers_behind_nginx():
    missing = [t for t in ("nginx", "openssl", "curl") if not (shutil.which(t) or os.path.exists(f"/usr/sbin/{t}"))]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (.ci/run installs them with apt-get)")
    if (problem := pg_problem()) is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    run = subprocess.run(["bash", str(ROOT / "deploy" / "try-behind-nginx.sh")], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env=os.environ | {"PY": sys.executable})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "PASS: gridbot behind nginx" in run.stdout
