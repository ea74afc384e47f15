"""`ragkit serve`: run the HTTP service (announced to `ragkit ask` while it runs); `ragkit serve keys ...`: manage its
API keys."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from ragkit import InvalidInputError
from ragkit.cli_support import console, one_line_errors, printable

serve_app = typer.Typer(add_completion=False, help="The HTTP service: knowledge bases, cited answers, "
                                                   "OpenAI-compatible chat (model kb:NAME).")
keys_app = typer.Typer(add_completion=False, no_args_is_help=True, help="API keys (hashed at rest) of the service.")
serve_app.add_typer(keys_app, name="keys")

IndexesOpt = Annotated[Path | None, typer.Option(help="Directory of the knowledge bases (default $RAGKIT_INDEXES, "
                                                      "else ./indexes).")]
KeysFileOpt = Annotated[Path | None, typer.Option(help="API key file (default <indexes>/.keys/keys.json).")]


@serve_app.callback(invoke_without_command=True)
@one_line_errors
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1); any other requires keys.")]
    = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default 8000).")] = None,
    indexes: IndexesOpt = None,
    model: Annotated[str | None, typer.Option(help="Answering model: a preset or a .gguf path.")] = None,
    embedder: Annotated[str | None, typer.Option(help="Embedder of knowledge bases created without one.")] = None,
    workers: Annotated[int | None, typer.Option(help="Model workers generating at once (default 1).")] = None,
    queue: Annotated[int | None, typer.Option(help="Requests that may wait for a worker; more get 503 (default 8).")]
    = None,
    request_timeout_s: Annotated[float | None, typer.Option(help="Longest an answer may take (default 300).")] = None,
    api_keys: Annotated[str | None, typer.Option(help="'auto' (required off loopback) or 'required'.")] = None,
    keys_file: KeysFileOpt = None,
    allowed_host: Annotated[list[str] | None, typer.Option(
        help="A Host name clients use besides loopback ones and --host (repeat; '*': any).")] = None,
    allowed_origin: Annotated[list[str] | None, typer.Option(
        help="A web origin whose pages may call the server (CORS; repeat), e.g. https://app.example.")] = None,
    preload: Annotated[bool | None, typer.Option("--preload/--no-preload",
                                                 help="Load the model before accepting requests.")] = None,
    ray: Annotated[bool, typer.Option("--ray", help="Serve as a Ray Serve deployment (joins $RAY_ADDRESS, else "
                                                    "starts a local Ray).")] = False,
    replicas: Annotated[int, typer.Option(min=1, help="With --ray: copies of the app, each with its own workers.")]
    = 1,
    replica_cpus: Annotated[float, typer.Option(min=0, help="With --ray: CPUs Ray reserves per replica.")] = 1.0,
) -> None:
    """Serve every knowledge base under the indexes directory over HTTP (flags override RAGKIT_SERVE_* variables)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings(host=host, port=port, indexes=indexes, model=model, embedder=embedder, workers=workers,
                         queue=queue, request_timeout_s=request_timeout_s, api_keys=api_keys, keys_file=keys_file,
                         allowed_hosts=allowed_host, allowed_origins=allowed_origin, preload=preload)
    if not ray and (replicas != 1 or replica_cpus != 1.0):
        raise InvalidInputError("--replicas and --replica-cpus need --ray")
    keys = "required" if settings.keys_required() else "off (loopback)"
    how = f"Ray Serve, {replicas} replica{'s' if replicas > 1 else ''}" if ray else "uvicorn"
    console.print(f"serving {printable(str(settings.indexes_root()))} on http://{settings.host}:{settings.port} "
                  f"({how}; API keys {keys}; OpenAPI docs at /docs)", highlight=False, markup=False)
    if ray:
        from ragkit.server.ray_serve import run

        run(settings, replicas, replica_cpus)
        return
    import uvicorn

    from ragkit.server.app import create_app
    from ragkit.server.discovery import ServerInfo, announced

    app = create_app(settings)
    # `ragkit ask` finds a keyless loopback server through the state file and answers through it.
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    info = ServerInfo(url=f"http://{host}:{settings.port}", pid=os.getpid(), model=settings.model)
    findable = not settings.keys_required() and settings.port != 0
    with announced(settings.indexes_root(), info) if findable else contextlib.nullcontext():
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


@keys_app.command("add")
@one_line_errors
def add_key(
    index: Annotated[list[str], typer.Option("--index", "-i", help="Knowledge base the key may use ('*': all); "
                                                                   "repeat for several.")],
    scope: Annotated[str, typer.Option(help="read (ask, chat, list) or write (also upload, delete, re-index).")]
    = "read",
    note: Annotated[str, typer.Option(help="Who or what the key is for.")] = "",
    indexes: IndexesOpt = None,
    keys_file: KeysFileOpt = None,
) -> None:
    """Make an API key; it is printed once, only its sha256 is stored."""
    from ragkit import validated
    from ragkit.server.auth import Grant

    grants = [validated(Grant, index=name, scope=scope) for name in index]
    key, token = _store(indexes, keys_file).add(grants, note)
    console.print(token, highlight=False, markup=False)
    console.print(f"key {key.id}: {scope} on {', '.join(index)} (shown once; store it now)", style="dim",
                  highlight=False, markup=False)


@keys_app.command("list")
@one_line_errors
def list_keys(indexes: IndexesOpt = None, keys_file: KeysFileOpt = None) -> None:
    """Show the keys' ids, grants and notes (never the keys)."""
    for key in _store(indexes, keys_file).keys():
        grants = ", ".join(f"{g.scope}:{g.index}" for g in key.grants)
        console.print(f"{key.id}  {printable(grants)}  {printable(key.note)}", highlight=False, markup=False)


@keys_app.command("remove")
@one_line_errors
def remove_key(key_id: Annotated[str, typer.Argument(help="The key's id, as listed.")], indexes: IndexesOpt = None,
               keys_file: KeysFileOpt = None) -> None:
    """Revoke a key (a running server stops accepting it at once)."""
    _store(indexes, keys_file).remove(key_id)
    console.print(f"removed key {printable(key_id)}", highlight=False, markup=False)


def _settings(**flags: Any) -> Any:
    """ServerSettings from the flags given, the environment for the rest; invalid values are one-line errors."""
    from ragkit import validated
    from ragkit.server.settings import ServerSettings

    return validated(ServerSettings, **{key: value for key, value in flags.items() if value is not None})


def _store(indexes: Path | None, keys_file: Path | None) -> Any:
    from ragkit.server.auth import KeyStore

    return KeyStore(_settings(indexes=indexes, keys_file=keys_file).keys_path())
