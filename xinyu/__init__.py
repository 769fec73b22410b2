"""心育闭环: the domain core. Plain functions over a session and a clock; no Prefect, no web."""
