"""What the routes share in their parameters and their refusals, so the API documents them one way."""

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel

MAX_ID = 2**31 - 1  # PostgreSQL integer: a larger id is simply not found
MONTH = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"

SchoolId = Annotated[int, Path(ge=1, le=MAX_ID, description="学校编号")]


class Problem(BaseModel):
    """Every refusal's body: one message in Chinese, shown to the person as it is."""

    detail: str


def problems(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an API route: each refusal it can give, and what it means."""
    return {code: {"model": Problem, "description": text} for code, text in descriptions.items()}
