"""Who of an audience is asked: a random sample, stratified by segment, reproducible by seed.

`--sample 30%` asks 30% of the audience (rounded to the nearest person), `--sample 200`
asks 200 of them. Each segment gives its share of the sample (largest remainders decide
the last places), so a 30% sample of 60 enterprise and 40 smb contacts asks 18 and 12.
The draw is a pure function of the seed and the audience (ordered by contact id): the same
seed on the same audience picks the same people.
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.domain.errors import UserError

T = TypeVar("T")
MAX_SEED = 999_999
_SAMPLE = re.compile(r"(\d{1,7}(?:\.\d+)?)\s*(%?)")


@dataclass(frozen=True)
class Sample:
    """A share of the audience (`percent`) or a number of people (`count`)."""

    percent: float | None = None
    count: int | None = None

    def size(self, population: int) -> int:
        if self.count is not None:
            return min(self.count, population)
        assert self.percent is not None
        return min(population, int(population * self.percent / 100 + 0.5))

    def __str__(self) -> str:
        if self.count is not None:
            return str(self.count)
        return f"{self.percent:g}%"


@dataclass(frozen=True)
class Drawn:
    """What a draw did, as `send` prints it."""

    sample: Sample
    seed: int
    chosen: int
    population: int
    by_segment: tuple[tuple[str, int, int], ...]  # segment, chosen, of


def parse_sample(text: str) -> Sample:
    """`30%`, `2.5%` or `200`; anything else, 0, or above 100% is refused in one line."""
    found = _SAMPLE.fullmatch(text.strip())
    if not found:
        raise UserError(f'"{text[:20]}" is not a sample: write it like 30% or 200')
    number, percent = found.groups()
    if percent:
        value = float(number)
        if not 0 < value <= 100:
            raise UserError("A sample is more than 0% and at most 100%, e.g. 30%")
        return Sample(percent=value)
    if "." in number or int(number) < 1:
        raise UserError("A sample of people is a whole number from 1, e.g. 200")
    return Sample(count=int(number))


def parse_seed(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_SEED:
        raise UserError(f'"{text[:20]}" is not a seed: use the number a sample printed')
    return int(text)


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED) + 1


def draw(
    items: Sequence[T],
    sample: Sample,
    seed: int,
    *,
    stratum: Callable[[T], Hashable],
    order: Callable[[T], int],
) -> tuple[list[T], Drawn]:
    """The sampled items (in `order`), and what was drawn per stratum."""
    ordered = sorted(items, key=order)
    groups: dict[str, list[T]] = {}
    for item in ordered:
        groups.setdefault(str(stratum(item) or "none"), []).append(item)
    wanted = sample.size(len(ordered))
    quotas = _allocate(wanted, {name: len(group) for name, group in sorted(groups.items())})
    rng = random.Random(seed)
    chosen: list[T] = []
    counts = []
    for name in sorted(groups):
        picked = rng.sample(groups[name], quotas[name])
        chosen += picked
        counts.append((name, quotas[name], len(groups[name])))
    chosen.sort(key=order)
    drawn = Drawn(sample, seed, len(chosen), len(ordered), tuple(counts))
    return chosen, drawn


def _allocate(total: int, sizes: dict[str, int]) -> dict[str, int]:
    """Proportional quotas summing to `total`; the largest remainders get the spare places."""
    population = sum(sizes.values())
    if not population:
        return dict.fromkeys(sizes, 0)
    exact = {name: total * size / population for name, size in sizes.items()}
    quotas = {name: int(share) for name, share in exact.items()}
    spare = total - sum(quotas.values())
    by_remainder = sorted(exact, key=lambda name: (-(exact[name] - quotas[name]), name))
    for name in by_remainder[:spare]:
        quotas[name] += 1
    return quotas


def one_in(every: int, before: int) -> bool:
    """Whether an event is asked, one in `every`, after `before` events of its trigger:
    the first is asked, then every N-th after it."""
    return every <= 1 or before % every == 0


EVERY_TRIGGERS = ("support", "onboarding", "training", "renewal")  # the instant event surveys


def parse_every(value: object) -> dict[str, int] | None:
    """SURVEY_EVERY: `support=3,training=2` asks one in 3 closed tickets, one in 2 trainings."""
    if value is None or value == "":
        return None
    pairs: list[tuple[object, ...]]
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = [tuple(part.split("=", 1)) for part in value.split(",") if part.strip()]
    else:
        raise ValueError("write it like support=3,training=2")
    every: dict[str, int] = {}
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError("write it like support=3,training=2")
        trigger, number = str(pair[0]).strip().lower(), str(pair[1]).strip()
        if trigger not in EVERY_TRIGGERS:
            raise ValueError(f"{trigger!r} is not a trigger: use {', '.join(EVERY_TRIGGERS)}")
        if not number.isdigit() or not 1 <= int(number) <= 1000:
            raise ValueError(f"{trigger}={number}: N is a whole number from 1 to 1000")
        every[trigger] = int(number)
    return every
