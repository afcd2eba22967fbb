"""Keeping held send leases alive: one loop shared by the DM and the email deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

RENEWALS_PER_LEASE = 4  # held leases are renewed this often within one `SEND_LEASE`


async def renew_until(
    finished: asyncio.Event, lease_seconds: float, renew: Callable[[], Awaitable[None]]
) -> None:
    """Call `renew` every quarter lease until `finished` is set (then at once return)."""
    while not finished.is_set():
        try:
            await asyncio.wait_for(finished.wait(), lease_seconds / RENEWALS_PER_LEASE)
            return
        except TimeoutError:
            await renew()
