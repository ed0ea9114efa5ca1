"""Validation messages in both languages: marshmallow writes English, users read Chinese.

Every field error the API returns reads "English / 中文". Messages our own validators
write are bilingual already (they contain Chinese) and pass through unchanged.
"""
from __future__ import annotations

import re
from typing import Any

_ZH = [(re.compile(en), zh) for en, zh in (
    (r"^Missing data for required field\.$", "缺少必填字段"),
    (r"^Field may not be null\.$", "不能为空"),
    (r"^Unknown field\.$", "未知字段"),
    (r"^Invalid value\.$", "值无效"),
    (r"^Invalid (input )?type\.$", "类型无效"),
    (r"^Not a valid string\.$", "应为字符串"),
    (r"^Not a valid integer\.$", "应为整数"),
    (r"^Not a valid number\.$", "应为数字"),
    (r"^Not a valid boolean\.$", "应为布尔值"),
    (r"^Not a valid list\.$", "应为列表"),
    (r"^Not a valid mapping type\.$", "应为对象"),
    (r"^Not a valid date\.$", "日期无效（格式 YYYY-MM-DD）"),
    (r"^Not a valid (aware )?datetime\.$", "时间无效（ISO 8601，须带时区，如 +08:00）"),
    (r"^String does not match expected pattern\.$", "格式不正确"),
    (r"^Must be one of: (.*)\.$", r"必须是以下之一：\1"),
    (r"^Shorter than minimum length (\d+)\.$", r"长度不能少于 \1"),
    (r"^Longer than maximum length (\d+)\.$", r"长度不能超过 \1"),
    (r"^Length must be between (\d+) and (\d+)\.$", r"长度应在 \1 到 \2 之间"),
    (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
     r"应在 \1 到 \2 之间"),
    (r"^Must be greater than or equal to (\S+)\.$", r"不能小于 \1"),
    (r"^Must be less than or equal to (\S+)\.$", r"不能大于 \1"),
)]
_CJK = re.compile(r"[\u4e00-\u9fff]")


def bilingual(messages: Any) -> Any:
    """marshmallow's messages (nested as it nests them), each as "English / 中文"."""
    if isinstance(messages, dict):
        return {str(k): bilingual(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [bilingual(m) for m in messages]
    text = str(messages)
    if _CJK.search(text):
        return text
    for pattern, zh in _ZH:
        if pattern.match(text):
            return f"{text} / {pattern.sub(zh, text)}"
    return f"{text} / 输入有误"
