"""Resident identity card numbers (居民身份证号码, GB 11643-1999). Pure.

18 characters: a 6-digit region code, the birth date YYYYMMDD, a 3-digit sequence whose
last digit is odd for men and even for women, and a check character computed over the
first 17 (ISO 7064 MOD 11-2; 10 is written X).
"""
from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def normalise(id_number: str) -> str:
    return id_number.strip().upper()


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def birth_date_of(id_number: str) -> date | None:
    text = id_number[6:14]
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def gender_of(id_number: str) -> str:
    return "male" if int(id_number[16]) % 2 else "female"


def problems(id_number: str, birth_date: date | None = None, gender: str | None = None,
             today: date | None = None) -> dict[str, list[str]]:
    """Field-level problems (bilingual), {} if the number is valid and matches the fields."""
    number = normalise(id_number)
    if len(number) != 18:
        return {"id_number": ["Must be 18 characters / 身份证号码应为 18 位"]}
    if not _SHAPE.match(number):
        return {"id_number": ["Must be 17 digits then a digit or X / 前 17 位应为数字，最后一位为数字或 X"]}
    if check_char(number[:17]) != number[17]:
        return {"id_number": ["Check digit does not match / 身份证号码校验位不正确"]}
    born = birth_date_of(number)
    if born is None or (today is not None and born > today) or born.year < 1880:
        return {"id_number": ["Contains no valid birth date / 身份证号码中的出生日期无效"]}
    found: dict[str, list[str]] = {}
    if birth_date is not None and birth_date != born:
        found["birth_date"] = [f"Does not match the ID number ({born.isoformat()}) / "
                               f"与身份证号码中的出生日期（{born.isoformat()}）不一致"]
    if gender is not None and gender != gender_of(number):
        found["gender"] = ["Does not match the ID number / 与身份证号码中的性别不一致"]
    return found
