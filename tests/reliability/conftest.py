"""The push fixtures (fake WeCom, clock, workers) for the outbox's reliability tests."""

import os

from hypothesis import settings

from tests.push.conftest import clock, fake, http, make_worker, org_engine, pconfig, worker  # noqa: F401

# Bounded examples: a quick run locally, a larger fixed-seed one in CI (GRIDBOT_FUZZ_EXAMPLES overrides).
settings.register_profile("dev", max_examples=int(os.environ.get("GRIDBOT_FUZZ_EXAMPLES", "25")))
settings.register_profile("ci", max_examples=int(os.environ.get("GRIDBOT_FUZZ_EXAMPLES", "60")), derandomize=True,
                          print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
