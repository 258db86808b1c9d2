"""The environment of a process started as an operator would start it: only what a shell
provides, none of the variables the test settings put in this process's environment."""

import os

INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def operator_environment(**env: str) -> dict[str, str]:
    base = {name: os.environ[name] for name in INHERITED if name in os.environ}
    return {**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
