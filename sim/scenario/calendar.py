"""Calendar time: a scenario's ``start_date`` (YYYY-MM) is the date of step 0 and step k is dated ``start_date`` + k
months. A dated event (``at: YYYY-MM``) takes effect in the month whose metrics row carries that date, i.e. in the
model step ``t = months from start_date to at`` (Mesa counts steps from 1; row ``t`` is the state after step t).
"""

from __future__ import annotations

import re

DATE_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
DEFAULT_START_DATE = "2020-01"  # the presets are read as starting in January 2020 (issue 11)
FIRST_YEAR, LAST_YEAR = 1990, 2100


def date_problem(text: object) -> str | None:
    """Why ``text`` is not a YYYY-MM date between 1990-01 and 2100-12, or None when it is one."""
    if not isinstance(text, str):
        return f"{text!r} is not a date; allowed: a 'YYYY-MM' string, e.g. '2020-01'"
    m = DATE_PATTERN.match(text)
    if not m:
        return f"{text!r} is not a date; allowed: 'YYYY-MM', e.g. '2020-01'"
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        return f"{text!r} has month {month}; allowed: months 01 to 12"
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return f"{text!r} has year {year}; allowed: years {FIRST_YEAR} to {LAST_YEAR}"
    return None


def check_date(text: str) -> str:
    """``text`` if it is a valid date, else ValueError naming what is allowed (for pydantic validators)."""
    problem = date_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def month_number(date: str) -> int:
    """``YYYY-MM`` as a month count (year x 12 + month - 1)."""
    year, month = date.split("-")
    return int(year) * 12 + int(month) - 1


def date_of(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def step_date(start_date: str, step: int) -> str:
    """The date of metrics row ``step``."""
    return date_of(month_number(start_date) + int(step))


def month_of_date(start_date: str, at: str) -> int:
    """The month index ``t`` during which an event dated ``at`` happens (its effect shows in the row dated ``at``)."""
    return month_number(at) - month_number(start_date)


def years_between(a: str, b: str) -> float:
    return (month_number(b) - month_number(a)) / 12.0
