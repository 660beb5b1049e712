"""Subject identifiers: site code, a three-digit number and a check digit, e.g. ``01-004-1``.

The check digit is the Luhn mod-10 digit (ISO/IEC 7812-1 Annex B) over the site code and number,
letters counting as 10-35, so a mistyped digit or two swapped neighbours is caught before a record
is filed under the wrong person.
"""

from __future__ import annotations

import re

from oncotrial.errors import InvalidInput

IDENTIFIER = re.compile(r"^(?P<site>[A-Za-z0-9]{1,8})-(?P<number>\d{3,})-(?P<check>\d)$")


def _digits(text: str) -> str:
    return "".join(str(int(character, 36)) for character in text.upper() if character.isalnum())


def compute_check_digit(text: str) -> str:
    """The Luhn check digit of a site code and number (``"01004"`` -> ``"1"``)."""
    total = 0
    for position, digit in enumerate(reversed(_digits(text))):
        value = int(digit)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def derive_subject_identifier(site_code: str, number: int) -> str:
    return f"{site_code}-{number:03d}-{compute_check_digit(f'{site_code}{number:03d}')}"


def check_subject_identifier(identifier: str) -> tuple[str, int]:
    """The (site code, number) of a well-formed identifier; InvalidInput naming the problem otherwise."""
    match = IDENTIFIER.match(identifier.strip())
    if not match:
        raise InvalidInput(f"subject identifier '{identifier}' is not of the form SITE-NNN-C",
                           field="subject", hint="e.g. 01-004-1: site code, number, check digit")
    site, number, check = match["site"], match["number"], match["check"]
    expected = compute_check_digit(f"{site}{number}")
    if check != expected:
        raise InvalidInput(f"subject identifier '{identifier}' has check digit {check}, expected "
                           f"{expected}: a digit is probably mistyped", field="subject")
    return site, int(number)
