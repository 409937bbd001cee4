"""Text shown on a terminal or in a chat client carries no control characters.

A file name, title or document text such as ``"report\\x1b]8;;http://evil\\x07.pdf"`` or ``"\\x1b[2J"`` would
otherwise move the cursor, clear the screen, set the window title or plant a hyperlink.
"""

from __future__ import annotations

import re

# ANSI/VT escape sequences: CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-byte ESC sequences,
# and their 8-bit C1 forms (CSI U+009B, OSC U+009D).
ESCAPE_RE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d|\x1bP|\x90|\x1b_|\x9f|\x1b\^|\x9e)(?:.*?)(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b[@-Z\\-_]?",
    re.S,
)
# What is left: C0 controls except tab and newline, DEL, C1 controls, and bidi overrides that reorder text.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """``text`` without escape sequences and control characters (tab and newline kept)."""
    return CONTROL_RE.sub("", ESCAPE_RE.sub("", text))
