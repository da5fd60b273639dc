"""An answer written in someone's own words keeps its lines and loses what would garble a terminal or a chat card."""

from __future__ import annotations

import pytest

from bot.names import clean_lines


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        # Windows and old Mac line ends both become one line break, never two and never nothing.
        ("first\r\nsecond\rthird", "first\nsecond\nthird"),
        # Line and paragraph separators are dropped (not line breaks here); the letters around them stay, X included.
        ("X marks\u2028the spot\u2029X", "X marksthe spotX"),
        # Indentation inside the answer stays; trailing spaces go.
        ("first   \n    indented\nlast", "first\n    indented\nlast"),
        # A run of blank lines becomes one blank line.
        ("above\n\n\n\nbelow", "above\n\nbelow"),
        ("tab\there", "tab    here"),
    ],
)
def test_written_text_keeps_its_lines_and_indentation_and_drops_separators(written: str, kept: str) -> None:
    assert clean_lines(written) == kept
