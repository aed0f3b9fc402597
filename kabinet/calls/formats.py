"""How calls read: durations as m:ss or h:mm:ss, numbers grouped for the eye."""

from __future__ import annotations


def duration(seconds: int) -> str:
    """125 → "2:05"; 3725 → "1:02:05"."""
    hours, rest = divmod(max(int(seconds), 0), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def phone(digits: str) -> str:
    """78124001001 → "+7 812 400-10-01" (Russian numbers); others → "+" and the digits."""
    if len(digits) == 11 and digits.startswith("7"):
        return f"+7 {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:]}"
    if len(digits) >= 7:
        return "+" + digits
    return digits
