"""``python -m qwen_helpers.mock``: serve the DashScope mock until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from aiohttp import web

from .keys import DEMO_KEY
from .server import MockConfig, create_app, quiet_parse_errors


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m qwen_helpers.mock", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--key", action="append", default=[],
                        help="also accept this key (repeatable)")
    parser.add_argument("--region", default="cn-beijing", help="the region the mock plays")
    parser.add_argument("--seed", type=int, default=0, help="seed of the request ids")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--ttft", type=float, default=0.05, help="seconds to the first token")
    parser.add_argument("--tokens-per-second", type=float, default=400.0)
    parser.add_argument("--rpm", type=int, default=600,
                        help="requests per minute, counted per key and model")
    parser.add_argument("--tpm", type=int, default=1_000_000,
                        help="tokens per minute, counted per key and model")
    parser.add_argument("--recordings", type=Path, action="append", default=[],
                        help="another folder of recordings to answer from")
    parser.add_argument("--record", metavar="UPSTREAM",
                        help="record mode: forward to this base URL with the caller's key")
    parser.add_argument("--record-to", type=Path, default=Path("recordings"),
                        help="where record mode saves recordings (default: ./recordings)")
    parser.add_argument("--idle-timeout", type=float, default=75.0,
                        help="seconds before a silent connection is closed, and for a "
                             "request's body to come whole (else 408)")
    parser.add_argument("--random-ids", action="store_true",
                        help="random request ids and real timestamps")
    args = parser.parse_args(argv)
    for name in ("latency", "ttft"):
        if getattr(args, name) < 0:
            parser.error(f"--{name} must be 0 or more, got {getattr(args, name)}")
    if args.tokens_per_second <= 0 or args.rpm <= 0 or args.tpm <= 0:
        parser.error("--tokens-per-second, --rpm and --tpm must be above 0")
    if args.record and not args.record.startswith(("http://", "https://")):
        parser.error(f"--record takes a base URL such as https://dashscope.aliyuncs.com, "
                     f"got {args.record!r}")
    try:
        config_from(args)  # every other limit, checked by MockConfig before anything starts
    except ValueError as exc:
        parser.error(str(exc))
    return args


def config_from(args: argparse.Namespace) -> MockConfig:
    base = MockConfig()
    return MockConfig(
        keys=frozenset(args.key), region=args.region, seed=args.seed, latency=args.latency,
        ttft=args.ttft, tokens_per_second=args.tokens_per_second, rpm=args.rpm, tpm=args.tpm,
        recordings=base.recordings + tuple(args.recordings), upstream=args.record,
        record_to=args.record_to if args.record else None, deterministic=not args.random_ids,
        idle_timeout=args.idle_timeout,
    )


async def serve(args: argparse.Namespace) -> None:
    """Serve until cancelled (Ctrl-C or SIGTERM)."""
    config = config_from(args)
    runner = web.AppRunner(create_app(config), handler_cancellation=True, access_log=None,
                           shutdown_timeout=1.0, keepalive_timeout=config.idle_timeout)
    await runner.setup()
    quiet_parse_errors(runner)
    try:
        await web.TCPSite(runner, args.host, args.port).start()
        host, port = runner.addresses[0][:2]
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        print(f"DashScope mock on {url}  (Ctrl-C stops it)", flush=True)
        print(f"  OpenAI-compatible base URL: {url}/compatible-mode/v1", flush=True)
        print(f"  native base URL:            {url}/api/v1", flush=True)
        print(f"  demo key:                   {DEMO_KEY}", flush=True)
        if args.record:
            print(f"  recording from {args.record} into {args.record_to}/", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loop = asyncio.new_event_loop()
    task = loop.create_task(serve(args))
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
              f"Pick another port with --port (0 picks a free one).", file=sys.stderr)
        return 2
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
