"""`pricewar viz`: serve the dashboard (a Solara server running `dashboards.app`) and print its address.

    pricewar viz [--scenario NAME|PATH] [--port N] [--host 127.0.0.1]

Found by `market.cli` through its PLUGINS list (`register(subparsers) -> {name: handler}`).
The server listens on 127.0.0.1 unless --host says otherwise (0.0.0.0 exposes it to the network:
do that deliberately). It runs as `python -m solara run dashboards.app` in a child process, with
Solara's telemetry off and its bundled front-end files, so it works with no internet.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable

from dashboards.settings import SCENARIO_ENV

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = "dashboards.app"
# What `python -m solara run dashboards.app` imports beyond pricewar's own dependencies
# (mesa.visualization needs altair and matplotlib; plotly's FigureWidget needs anywidget).
VIZ_MODULES = ("solara", "ipyvuetify", "ipyvue", "anywidget", "altair", "matplotlib")


def register(subparsers: argparse._SubParsersAction) -> dict[str, Callable[[argparse.Namespace], int]]:
    """Add `viz` to the `pricewar` command line."""
    viz = subparsers.add_parser(
        "viz", help="serve the interactive browser dashboard",
        description="Serve the interactive dashboard (Mesa SolaraViz) and print its address. "
                    "Needs the 'viz' extra: pip install 'pricewar[viz]'.")
    viz.add_argument("--scenario", default=None, metavar="NAME|PATH",
                     help="scenario selected when a page opens (default: history)")
    viz.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="N",
                     help=f"port to listen on, 1-65535, or 0 for any free one (default: {DEFAULT_PORT})")
    viz.add_argument("--host", default=DEFAULT_HOST, metavar="HOST",
                     help=f"address to listen on (default: {DEFAULT_HOST}, this machine only)")
    return {"viz": cmd_viz}


def cmd_viz(args: argparse.Namespace) -> int:
    from market.cli import UsageError
    from market.scenario import SCENARIO_DIR, resolve

    scenario = args.scenario
    if scenario is not None:
        path = resolve(scenario)  # ScenarioError (exit 2) for an unknown name or a missing file
        if path.parent != SCENARIO_DIR:
            scenario = str(path.resolve())  # a file: the server must find it from any directory
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, got {args.port}")
    missing = [name for name in VIZ_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"the dashboard needs the 'viz' extra ({', '.join(missing)} missing): "
                         "pip install 'pricewar[viz]'")
    try:
        port = args.port or free_port(args.host)
    except OSError as exc:
        raise UsageError(f"cannot listen on --host {args.host}: {exc.strerror or exc}") from None
    command = server_command(args.host, port)
    print(f"pricewar viz: serving the dashboard at {address(args.host, port)} (Ctrl-C to stop)", flush=True)
    if args.host in ("0.0.0.0", "::", ""):
        print("pricewar viz: listening on every network address: other machines can open it too", flush=True)
    return run_server(command, server_env(scenario))


def server_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "solara", "run", APP, "--host", host, "--port", str(port),
            "--production", "--no-open", "--log-level", "warning"]


def server_env(scenario: str | None) -> dict[str, str]:
    """The child's environment: the start scenario, and nothing that reaches for the internet."""
    env = dict(os.environ)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["SOLARA_TELEMETRY_SENTRY_ENABLE"] = "False"
    if scenario is not None:
        env[SCENARIO_ENV] = scenario
    else:
        env.pop(SCENARIO_ENV, None)
    return env


def address(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "localhost") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port the OS says is free now (another process could still take it before the server)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def run_server(command: list[str], env: dict[str, str]) -> int:
    """Run the server in the foreground until it ends. Ctrl-C stops it (not an error); a SIGTERM
    to this process is passed on, so stopping `pricewar viz` never leaves the server behind."""
    process = subprocess.Popen(command, env=env)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signum))
    try:
        while True:  # wait in short slices: a signal that lands on another thread is then handled
            try:
                return process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """End a child politely (SIGINT, as Ctrl-C), then firmly if it does not go."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
