"""Who did it, for the audit rows commands write (exports, erasures)."""

import getpass


def operator_login() -> str:
    """The operating-system login running this process, or "unknown"."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
