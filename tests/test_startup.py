"""Start-up and runtime: the fast YAML path reads what yaml.safe_load reads, the collector pause, each surface's event loop."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
import yaml

from adapters.wiring import run_async
from bot.content import ContentError, default_content_dir, load_deck_file, parse_yaml
from bot.runtime import collector_paused_for_start_up

SHIPPED = default_content_dir() / "recsys-platform-engineer.yaml"


def _safe_load_outcome(text: str) -> object:
    try:
        return ("data", yaml.safe_load(text))
    except yaml.YAMLError as error:
        return ("error", type(error), str(error))


def _parse_outcome(text: str) -> object:
    try:
        return ("data", parse_yaml(text))
    except yaml.YAMLError as error:
        return ("error", type(error), str(error))


def test_the_shipped_deck_reads_the_same_as_with_safe_load() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert parse_yaml(text) == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    [
        "id: x\ntitle: [unclosed\n",  # libyaml words this error differently
        "a: b: c",
        "a: 'x",
        "- a\nb: 1",
        "a: &x 1\nb: *y",
        "--- 1\n--- 2",
        "a: \x07",
        "a:\t1",  # libyaml accepts a tab here; the pure-Python parser refuses it
        "a: [1,\t2]",
        "key:\n\t- 1",
        "a: !!python/object:os.system 1",
        "a: yes\nb: 0o14\nc: 1:20\nd: 2001-12-14\ne: ~\nf: .inf\n<<: {g: 1}",
    ],
)
def test_any_text_reads_or_fails_exactly_as_with_safe_load(text: str) -> None:
    assert _parse_outcome(text) == _safe_load_outcome(text)


def test_malformed_yaml_message_keeps_the_pure_python_wording(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_deck_file(path)
    (message,) = caught.value.messages
    assert message.endswith("line 3, column 1: malformed YAML: expected ',' or ']', but got '<stream end>'")


def test_the_collector_is_paused_until_ready_then_start_up_objects_are_frozen() -> None:
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    try:
        with collector_paused_for_start_up() as ready:
            assert not gc.isenabled()
            built = [[i] for i in range(1000)]
            ready()
            assert gc.isenabled()
            assert gc.get_freeze_count() >= frozen_before + len(built)
            ready()  # a second call changes nothing
            assert gc.isenabled()
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_an_error_during_start_up_turns_the_collector_back_on() -> None:
    with pytest.raises(RuntimeError), collector_paused_for_start_up():
        raise RuntimeError("broken decks")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused_for_start_up() as ready:
            ready()
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_serving_surface_runs_on_uvloop_and_the_terminal_on_asyncios_own_loop() -> None:
    uvloop = pytest.importorskip("uvloop")  # not built for Windows: there every surface runs on asyncio's loop

    async def on_uvloop() -> int:
        return int(isinstance(asyncio.get_running_loop(), uvloop.Loop))

    assert run_async(on_uvloop(), serving=True) == 1
    assert run_async(on_uvloop()) == 0
