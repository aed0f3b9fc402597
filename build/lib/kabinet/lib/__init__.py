def is_db_id(value: str) -> bool:
    """ASCII digits that fit a database id. ``str.isdigit`` also takes "²" or "١", which
    ``int()`` refuses, and digits past a bigint overflow the query."""
    return value.isascii() and value.isdigit() and 0 < len(value) <= 18
