"""The `medgraph` command: serve, worker, migrate, seed, tenant, export-schema, persisted."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.settings import Settings, get_settings

if TYPE_CHECKING:
    from schema.module import Module

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "graphql" / "schema.graphql"


async def prepare_database(settings: Settings, migrate: bool, demo: bool, scale: int = 1) -> str:
    """Start the embedded server if needed, migrate and seed (`scale` times the demo
    catalog and orders); return the owner URL."""
    from app.db import create_engine, resolve_owner_url

    owner_url = await resolve_owner_url(settings)
    if migrate:
        await run_migrations(owner_url, settings)
    if demo:
        from app.crypto import cipher_for
        from medgraph.demo import DEMO_PASSWORD, seed_demo

        engine = create_engine(owner_url, settings)
        try:
            logins = await seed_demo(engine, cipher_for(settings.phi_key_bytes), scale)
        finally:
            await engine.dispose()
        print(
            f"demo data ready; sign in as any of {', '.join(logins[:3])}, … "
            f"(password {DEMO_PASSWORD!r}, see README)",
            file=sys.stderr,
        )
    return owner_url


async def run_migrations(
    owner_url: str, settings: Settings, modules: tuple[Module, ...] | None = None
) -> None:
    """Upgrade to the head revision, then sync the permission catalog of the installed
    modules (`modules` stands in for them in tests) into every tenant's baseline roles."""
    from app import migrate
    from app.db import create_engine
    from medgraph.installed import catalog, migration_locations
    from modules.tenancy import sync_permission_catalog

    await migrate.upgrade(owner_url, locations=migration_locations(modules))
    engine = create_engine(owner_url, settings)
    try:
        async with engine.begin() as conn:
            await sync_permission_catalog(conn, catalog(modules))
    finally:
        await engine.dispose()


def cmd_serve(args: argparse.Namespace) -> None:
    from app.db import api_url_for
    from app.logging import configure_logging
    from medgraph.serving import serve, worker_count

    settings = get_settings()
    settings.check_production()
    workers = worker_count(args.workers, settings)
    configure_logging(settings.log_level, settings.log_json)
    owner_url = asyncio.run(prepare_database(settings, args.migrate, args.demo))
    host, port = args.host or settings.host, args.port or settings.port
    processes = "one process" if workers == 1 else f"{workers} worker processes"
    print(f"medgraph: GraphiQL at http://{host}:{port}/graphql ({processes})", file=sys.stderr)
    if not args.with_worker:
        serve(settings, api_url_for(owner_url, settings), host, port, workers)
        return
    from medgraph.serving import beside_a_worker

    api_url = api_url_for(owner_url, settings)
    with beside_a_worker(api_url):
        serve(settings, api_url, host, port, workers)


def cmd_worker(args: argparse.Namespace) -> None:
    from app.db import api_url_for
    from app.logging import configure_logging
    from medgraph.worker import run_workers

    settings = get_settings()
    settings.check_production()
    configure_logging(settings.log_level, settings.log_json)
    if settings.api_database_url:  # beside `serve --with-worker`, or on a host of its own
        api_url = api_url_for("", settings)
    else:
        api_url = api_url_for(asyncio.run(prepare_database(settings, migrate=False, demo=False)), settings)
    processes = args.processes or settings.worker_processes
    threads = args.threads or settings.worker_threads
    broker = settings.broker_url and settings.broker_url.split("@")[-1] or "PostgreSQL"
    print(f"medgraph: worker, {processes} process(es) x {threads} threads, broker {broker}", file=sys.stderr)
    run_workers(settings, api_url, processes, threads, args.imports or ())


def cmd_migrate(_: argparse.Namespace) -> None:
    asyncio.run(prepare_database(get_settings(), migrate=True, demo=False))
    print("migrations at head", file=sys.stderr)


def cmd_seed(args: argparse.Namespace) -> None:
    if not args.demo:
        sys.exit("nothing to seed: pass --demo")
    asyncio.run(prepare_database(get_settings(), migrate=True, demo=True, scale=args.scale))


def cmd_tenant(args: argparse.Namespace) -> None:
    """Operators provision tenants here: the API only ever sees the tenant it signs in to."""
    asyncio.run(_tenant(args))


async def _tenant(args: argparse.Namespace) -> None:
    import os

    from app.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
    from app.db import create_engine, tenant_transaction
    from medgraph.installed import catalog
    from modules.tenancy import create_owner, provision_tenant, set_tenant_active

    settings = get_settings()
    owner_url = await prepare_database(settings, migrate=True, demo=False)
    engine = create_engine(owner_url, settings)
    try:
        if args.action == "create":
            password = os.environ.get("MEDGRAPH_OWNER_PASSWORD", "")
            if len(password) < MIN_PASSWORD_LENGTH:
                sys.exit(f"set MEDGRAPH_OWNER_PASSWORD ({MIN_PASSWORD_LENGTH}+ characters) for the owner")
            async with engine.begin() as conn:
                tenant_id = await provision_tenant(conn, args.slug, args.name or args.slug, catalog())
            async with tenant_transaction(engine, str(tenant_id)) as conn:
                await create_owner(conn, tenant_id, args.owner_email, "Owner", hash_password(password))
            print(f"tenant {args.slug} ready; owner {args.owner_email}", file=sys.stderr)
        else:
            async with engine.begin() as conn:
                if not await set_tenant_active(conn, args.slug, args.action == "activate"):
                    sys.exit(f"no tenant {args.slug!r}")
            print(f"tenant {args.slug} {args.action}d", file=sys.stderr)
    finally:
        await engine.dispose()


def cmd_export_schema(args: argparse.Namespace) -> None:
    from medgraph.schema import build_schema

    text = build_schema(get_settings()).as_str() + "\n"
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"wrote {output}", file=sys.stderr)


def cmd_persisted(args: argparse.Namespace) -> None:
    """The registered documents' hashes, for a front-end build to check its own against."""
    from app.persisted import Registered

    directory = Path(args.directory) if args.directory else get_settings().persisted_documents
    if not directory.is_dir():
        sys.exit(f"no directory {directory}")
    print(json.dumps(Registered.read(directory).manifest(), indent=2))


def _scale(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="medgraph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the GraphQL API (GraphiQL at /graphql)")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--demo", action="store_true", help="load demo data first (idempotent)")
    serve.add_argument("--host", help="bind address (default MEDGRAPH_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default MEDGRAPH_PORT, 8000)")
    serve.add_argument(
        "--workers", type=int, help="API processes (default MEDGRAPH_WORKERS, else one per core)"
    )
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="run `medgraph worker` beside the API (the quickstart does)",
    )
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run background jobs (Dramatiq workers and the outbox relay)")
    worker.add_argument(
        "--processes", type=int, help="worker processes (default MEDGRAPH_WORKER_PROCESSES, 1)"
    )
    worker.add_argument(
        "--threads", type=int, help="threads per process (default MEDGRAPH_WORKER_THREADS, 4)"
    )
    worker.add_argument(
        "--import",
        dest="imports",
        action="append",
        metavar="MODULE",
        help="import this Python module too (more jobs, or checks registered into a pipeline); repeatable",
    )
    worker.set_defaults(func=cmd_worker)
    migrate = sub.add_parser("migrate", help="upgrade the database to the latest migration")
    migrate.set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed", help="load data (migrates first)")
    seed.add_argument("--demo", action="store_true", help="the two demo tenants (idempotent)")
    seed.add_argument(
        "--scale",
        type=_scale,
        default=1,
        help="size of the demo catalog and orders, per tenant: 38 products and 24 orders at 1 (the "
        "default), about 1,100 products and 550 orders more a step (10: about 10,000 products and "
        "5,000 orders, for benchmarks); seeding a larger scale adds to a smaller one",
    )
    seed.set_defaults(func=cmd_seed)
    tenant = sub.add_parser("tenant", help="create, deactivate or activate a tenant (operators)")
    tenant.add_argument("action", choices=["create", "deactivate", "activate"])
    tenant.add_argument("slug", help="the tenant's sign-in slug, e.g. acme-medical")
    tenant.add_argument("--name", help="display name (create)")
    tenant.add_argument(
        "--owner-email",
        help="the first user, with the owner role (create); password from MEDGRAPH_OWNER_PASSWORD",
    )
    tenant.set_defaults(func=cmd_tenant)
    export = sub.add_parser("export-schema", help="write the SDL to graphql/schema.graphql")
    export.add_argument("--output", default=str(SCHEMA_FILE), help="where to write the SDL")
    export.set_defaults(func=cmd_export_schema)
    persisted = sub.add_parser("persisted", help="the registered persisted documents")
    persisted.add_argument("action", choices=["list"], help="list: print {sha256: file name} as JSON")
    persisted.add_argument("--directory", help="default MEDGRAPH_PERSISTED_DOCUMENTS (graphql/operations)")
    persisted.set_defaults(func=cmd_persisted)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
