"""`python -m bot worker` at another survey pace than the app's 20 DMs a second, for
`bench/fanout.py --cap`: the app's pace is a constant (bot/core/runtime.py), matched to the
emulator's default cap, and a run of 100,000 invitations at 20 a second takes 90 minutes.

    python bench/_worker.py --rate 100
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core import logs  # noqa: E402
from bot.core.config import load_settings  # noqa: E402
from bot.core.runtime import build_runtime  # noqa: E402
from bot.scheduler import run_worker  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, required=True, help="survey DMs per second")
    rate = parser.parse_args().rate
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    asyncio.run(run_worker(build_runtime(settings, sends_per_second=rate)))
