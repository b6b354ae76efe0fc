"""Run as ``python -m tests.handlers.isolation.main_probe COUNTER``: a heavy ``__main__``
(like ``sekisho worker``) that counts how often it is imported while it cleans in children."""

from __future__ import annotations

import os
import sys

COUNTER = os.environ.get("SEKISHO_PROBE_COUNTER")
if COUNTER:
    with open(COUNTER, "a") as counter:
        counter.write(f"{os.getpid()} {__name__}\n")


def main() -> None:
    from handlers.isolation import run_isolated
    from tests.handlers.isolation import targets

    for _ in range(3):
        assert run_isolated(targets.echo, b"abc") == b"cba"
    print("done")


if __name__ == "__main__":
    main()
    sys.exit(0)
