"""What error answers say, in Chinese: the HTTP statuses' own texts and the reasons of a 422.

A 422 names each field and why; it never carries the input back (nor pydantic's `input`, `ctx` or `url`),
so a page or a log never shows what was sent, whatever it was."""

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

STATUS_TEXT = {
    400: "请求有误",
    401: "未登录",
    403: "无权进行此操作",
    404: "页面不存在，或您无权查看",
    405: "不支持该请求方式",
    406: "无法提供所请求的格式",
    409: "与当前状态冲突，请刷新后重试",
    413: "提交的内容过大",
    415: "不支持的提交格式",
    422: "提交的内容不完整或格式不对",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后重试；如一再出现，请联系系统管理员",
    503: "服务暂时不可用，请稍后重试",
}

# pydantic's error types → the reason in Chinese; {name} are numbers or lengths from the error's limits.
REASONS = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "decimal_parsing": "应为数字",
    "bool_parsing": "应为是或否（true/false）", "bool_type": "应为是或否（true/false）",
    "string_type": "应为文字", "bytes_type": "应为文字",
    "date_parsing": "应为日期（YYYY-MM-DD）", "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）", "datetime_parsing": "应为时间（ISO 8601）",
    "datetime_from_date_parsing": "应为时间（ISO 8601）", "datetime_type": "应为时间（ISO 8601）",
    "string_too_short": "至少 {min_length} 个字符", "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项", "too_long": "最多 {max_length} 项",
    "greater_than": "应大于 {gt}", "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}", "less_than_equal": "应不大于 {le}",
    "string_pattern_mismatch": "格式不对", "literal_error": "不是可选的值之一", "enum": "不是可选的值之一",
    "dict_type": "应为对象（键值对）", "model_type": "应为对象（键值对）",
    "model_attributes_type": "应为对象（键值对）",
    "list_type": "应为列表", "json_invalid": "不是有效的 JSON", "json_type": "不是有效的 JSON",
    "uuid_parsing": "格式不对", "url_parsing": "应为网址", "none_required": "应为空",
    "value_error": "取值无效", "assertion_error": "取值无效",
}
NUMBERS = ("gt", "ge", "lt", "le", "min_length", "max_length")


def status_text(status: int, detail: object) -> str:
    """A route's own (Chinese) detail as it is; Starlette's English status phrase in Chinese."""
    text = str(detail) if detail is not None else ""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    if not text or text == phrase:
        return STATUS_TEXT.get(status, f"请求未能完成（{status}）")
    return text


def field_name(loc: Sequence[Any]) -> str:
    """`body.values.x` → `values.x`: where the field is, without saying body/query/path."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(parts) or "请求内容"


def reason(error: dict[str, Any]) -> str:
    text = REASONS.get(str(error.get("type", "")), "取值无效")
    limits = error.get("ctx") or {}
    safe = {k: limits[k] for k in NUMBERS if isinstance(limits.get(k), int | float)}
    try:
        return text.format(**safe)
    except (KeyError, IndexError):  # a limit that is not a number
        return "取值无效"


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Each error as `loc`, a Chinese `msg` and `type` only: no `input`, `ctx` or `url`."""
    found = []
    for error in errors:
        loc = [p if isinstance(p, int | str) else str(p) for p in error.get("loc", ())]
        found.append({"loc": loc, "msg": reason(error), "type": str(error.get("type", "value_error"))})
    return found


def validation_message(errors: Sequence[Any]) -> str:
    return "提交的内容不完整或格式不对：" + "；".join(
        f"{field_name(e['loc'])} {e['msg']}" for e in validation_errors(errors))
