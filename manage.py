#!/usr/bin/env python
import os
import sys

# The production settings (and their guards: no debug, a long secret key) unless DJANGO_DEBUG
# is on, as `make demo` and the Makefile's development targets set it; then the base settings.
# DJANGO_SETTINGS_MODULE, when set, wins.
_TRUE = {"true", "on", "ok", "y", "yes", "1"}  # as django-environ reads DJANGO_DEBUG


def default_settings_module() -> str:
    if os.environ.get("DJANGO_DEBUG", "").strip().lower() in _TRUE:
        return "config.settings.base"
    return "config.settings.production"


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
