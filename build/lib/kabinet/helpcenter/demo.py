from .services import help_load


def seed_help() -> list[str]:
    added = help_load()
    return [f"Help: {added['articles']} articles added"]
