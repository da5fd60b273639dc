"""The digest's chart is a real PNG of the expected size, drawn without a display, for any number of topics."""

from __future__ import annotations

import io
import struct
import subprocess
import sys

import pytest

from bot.chart import DPI, HEIGHT_INCHES, WIDTH_INCHES, TopicWeek, accuracy_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which the format puts first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("topics", [0, 1, 5, 15])
def test_the_chart_is_a_png_of_1200_by_675_whatever_the_number_of_topics(topics: int) -> None:
    rows = [TopicWeek(f"Topic number {n} with a long name", 0.1 * (n % 10), None if n % 3 == 0 else 0.5) for n in range(topics)]
    data = accuracy_chart(rows, "Accuracy per topic: this week against last")
    assert png_size(data) == (int(WIDTH_INCHES * DPI), int(HEIGHT_INCHES * DPI)) == (1200, 675)
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (675, 1200)


def test_importing_the_core_for_play_does_not_import_matplotlib() -> None:
    code = "import bot.chart, bot.engine, sys; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "False"
