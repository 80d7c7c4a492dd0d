"""An exec's channels read as the API server sends them (issue 19 items 4, 8, 12): the exit
status kept, binary output decoded with replacement, the output bounded and counted."""

import orjson

from stswatch.scenario.exec_stream import ERROR, KEEP_BYTES, STDERR, STDOUT, ExecOutput


def _frames(*frames: tuple[int, bytes]) -> ExecOutput:
    reader = ExecOutput()
    for channel, data in frames:
        reader.feed(bytes([channel]) + data)
    return reader


def _status(**status: object) -> bytes:
    return orjson.dumps({"metadata": {}, **status})


def test_success_is_exit_0_and_stdout_and_stderr_interleave() -> None:
    result = _frames(
        (STDOUT, b"one\n"), (STDERR, b"two\n"), (ERROR, _status(status="Success"))
    ).result()
    assert (result.output, result.output_bytes, result.exit_code, result.failure) == (
        "one\ntwo\n", 8, 0, ""
    )  # fmt: skip
    assert result.succeeded


def test_a_non_zero_exit_is_kept_with_the_servers_message() -> None:
    message = "command terminated with non-zero exit code: exit code 3"
    status = _status(
        status="Failure",
        message=message,
        reason="NonZeroExitCode",
        details={"causes": [{"reason": "ExitCode", "message": "3"}]},
    )
    result = _frames((STDOUT, b"boom"), (ERROR, status)).result()
    assert (result.exit_code, result.failure, result.succeeded) == (3, message, False)


def test_a_program_that_does_not_exist_has_no_exit_code_and_fails() -> None:
    message = 'exec: "nosuch": executable file not found in $PATH: unknown'
    result = _frames((ERROR, _status(status="Failure", message=message))).result()
    assert (result.exit_code, result.failure, result.succeeded) == (None, message, False)


def test_no_status_or_a_bad_one_is_a_failure_never_a_success() -> None:
    assert not _frames((STDOUT, b"x")).result().succeeded
    assert _frames((ERROR, b"{oops")).result().failure == (
        "the API server sent an unreadable exit status"
    )
    bad_code = _status(status="Failure", details={"causes": [{"reason": "ExitCode", "message": 9}]})
    assert _frames((ERROR, bad_code)).result().exit_code == 9
    huge = _status(
        status="Failure", details={"causes": [{"reason": "ExitCode", "message": "9" * 5000}]}
    )
    assert _frames((ERROR, huge)).result().exit_code is None


def test_binary_output_is_decoded_with_replacement() -> None:
    # kubernetes-asyncio's reader decoded strict UTF-8: a UnicodeDecodeError traceback.
    result = _frames((STDOUT, b"\xff\xfe\x00ok\xc3"), (ERROR, _status(status="Success"))).result()
    assert result.output == "\ufffd\ufffd\x00ok\ufffd"
    assert result.output_bytes == 6


def test_a_huge_output_keeps_a_bounded_head_and_tail_and_the_byte_count() -> None:
    # 100 MiB printed became 1.2 GB of memory, a 222 MB progress line and a 228 MB mark.
    reader = ExecOutput()
    chunk = b"x" * (1024 * 1024)
    reader.feed(bytes([STDOUT]) + b"HEAD" + chunk)
    for _ in range(98):
        reader.feed(bytes([STDOUT]) + chunk)
    reader.feed(bytes([STDOUT]) + chunk + b"TAIL")
    reader.feed(bytes([ERROR]) + _status(status="Success"))
    result = reader.result()
    assert result.output_bytes == 100 * 1024 * 1024 + 8
    assert len(result.output) < 2 * KEEP_BYTES + 100
    assert result.output.startswith("HEADxxx")
    assert result.output.endswith("xxxTAIL")
    left_out = result.output_bytes - 2 * KEEP_BYTES
    assert f"\n[… {left_out} bytes not kept …]\n" in result.output


def test_a_multibyte_character_across_frames_is_kept_whole() -> None:
    snowman = "☃".encode()
    result = _frames(
        (STDOUT, snowman[:1]), (STDOUT, snowman[1:]), (ERROR, _status(status="Success"))
    )
    assert result.result().output == "☃"
