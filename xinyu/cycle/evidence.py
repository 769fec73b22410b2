"""Evidence a task asks for: typed values from form or CLI text, checked against the pack's fields."""

import re
from datetime import date, datetime
from typing import Any

from xinyu.clock import SHANGHAI
from xinyu.packs import EvidenceField
from xinyu.text_input import unsafe_character

TRUE_WORDS = {"是", "有", "已", "true", "yes", "y", "1", "√"}
FALSE_WORDS = {"否", "无", "未", "false", "no", "n", "0", "×"}


class EvidenceError(ValueError):
    """Evidence that cannot be accepted; the message says which field and what is expected."""


def parse_evidence(fields: tuple[EvidenceField, ...], values: dict[str, Any]) -> dict[str, Any]:
    by_name = {f.name: f for f in fields}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        known = "、".join(f"{f.name}（{f.label}）" for f in fields) or "无"
        raise EvidenceError(f"此任务没有字段 {', '.join(unknown)}；可填写：{known}")
    parsed: dict[str, Any] = {}
    problems = []
    for field in fields:
        raw = values.get(field.name)
        if field.type == "file":  # files come as uploads (xinyu.evidence_files), checked there
            if raw is not None and not (isinstance(raw, str) and not raw.strip()):
                problems.append(f"“{field.label}”（{field.name}）应上传文件，不能填写文字")
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if field.required:
                problems.append(f"缺少必填项“{field.label}”（{field.name}）")
            continue
        try:
            parsed[field.name] = _convert(field, raw)
            if field.required and parsed[field.name] == []:
                problems.append(f"缺少必填项“{field.label}”（{field.name}）")
        except ValueError as exc:
            problems.append(f"“{field.label}”（{field.name}）{exc}")
    if problems:
        raise EvidenceError("；".join(problems))
    return parsed


def _convert(field: EvidenceField, raw: Any) -> Any:
    if field.type == "students":
        return split_picks(raw)
    text = str(raw).strip()
    bad = unsafe_character(text, multiline=field.type == "text")
    if bad is not None:  # the same refusal as xinyu.text_input.check_text, under the field's label
        raise ValueError(f"含有不可见的控制字符（{bad[1]}，第 {bad[0]} 个字符），请删除后重新输入")
    if field.type == "int":
        digits = text[1:] if text[:1] in "-+" else text
        if isinstance(raw, bool) or not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"应为整数，实为 {text!r}")
        value, (low, high) = int(text), field.bounds
        if not low <= value <= high:
            raise ValueError(f"应在 {low} 到 {high} 之间，实为 {value}")
        return value
    if field.type == "bool":
        if isinstance(raw, bool):
            return raw
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(f"应为 是/否，实为 {text!r}")
    if field.type == "date":
        try:
            return date.fromisoformat(text.replace("/", "-")).isoformat()
        except ValueError:
            raise ValueError(f"应为日期 YYYY-MM-DD，实为 {text!r}") from None
    if field.type == "datetime":  # a wall time in Asia/Shanghai, as a datetime-local picker sends it
        try:
            moment = datetime.fromisoformat(text.replace("/", "-").replace(" ", "T", 1))
        except ValueError:
            raise ValueError(f"应为日期时间 YYYY-MM-DD HH:MM，实为 {text!r}") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(SHANGHAI).replace(tzinfo=None)
        return moment.strftime("%Y-%m-%d %H:%M")
    if field.type == "choice":
        if text not in field.choices:
            raise ValueError(f"应为 {' / '.join(field.choices)} 之一，实为 {text!r}")
        return text
    return text


PICK_SEPARATORS = re.compile(r"[,，、;；\s]+")


def split_picks(raw: Any) -> list[str]:
    """Student numbers picked from a class list: a list, or text separated by commas (学号1,学号2), once each.
    Which class they belong to is checked where the task is known (xinyu.cycle.student_picks)."""
    items = [str(v) for v in raw] if isinstance(raw, list | tuple) else PICK_SEPARATORS.split(str(raw))
    picks = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        bad = unsafe_character(item)
        if bad is not None:
            raise ValueError(f"含有不可见的控制字符（{bad[1]}，第 {bad[0]} 个字符），请删除后重新输入")
        if len(item) > 32:
            raise ValueError(f"学号 {item[:32]!r}… 过长")
        picks.append(item)
    return list(dict.fromkeys(picks))


def describe_fields(fields: tuple[EvidenceField, ...]) -> list[dict[str, Any]]:
    """The form a client builds: name, label, type, required, choices (students: student numbers of the class,
    comma-separated; `proposes`: B when each pick proposes a ledger B entry)."""
    return [
        {"name": f.name, "label": f.label, "type": f.type, "required": f.required, "choices": list(f.choices),
         **({"min": f.bounds[0], "max": f.bounds[1]} if f.type == "int" else {}),
         **({"accept": list(f.accept), "max_mb": f.file_limits[0] / 1024 / 1024, "max_files": f.file_limits[1]}
            if f.type == "file" else {}),
         **({"proposes": f.proposes} if f.type == "students" else {})}
        for f in fields
    ]
