"""``oncotrial serve | migrate | createuser | demo | audit verify``: the web application's verbs.

Django is imported inside the handlers so that other verbs of the command line stay fast.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from oncotrial.errors import InvalidInput


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncotrial.web.settings")
    import django

    django.setup()


def migrate_database(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def register(subparsers) -> None:
    _register_server(subparsers)
    _register_accounts(subparsers)
    _register_study(subparsers)
    _register_tokens(subparsers)
    audit = subparsers.add_parser("audit", help="audit trail tools")
    audit_verbs = audit.add_subparsers(dest="audit_command", metavar="VERB", required=True)
    verify = audit_verbs.add_parser("verify", help="check the hash chain: edited, deleted or reordered rows")
    verify.set_defaults(func=audit_verify_command)


def _register_server(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="migrate the database and serve the web application")
    serve.add_argument("--demo", action="store_true", help="build the demo database first if it is empty")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--threads", type=int, default=8, help="threads per worker process (default 8)")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (default 1: waitress in this process; more: gunicorn)")
    serve.add_argument("--no-migrate", action="store_true",
                       help="do not migrate first (several hosts: run `oncotrial migrate` once per release)")
    serve.set_defaults(func=serve_command)
    migrate = subparsers.add_parser("migrate", help="create or upgrade the database tables")
    migrate.set_defaults(func=migrate_command)
    demo = subparsers.add_parser("demo", help="build the deterministic demo database (both seed trials)")
    demo.add_argument("--seed", type=int, default=20241, help="random seed (default 20241)")
    demo.add_argument("--reset", action="store_true",
                      help="start from an empty database: delete the SQLite file, or drop every PostgreSQL table")
    demo.set_defaults(func=demo_command)


def _register_accounts(subparsers) -> None:
    createuser = subparsers.add_parser("createuser", help="create a user and optionally grant a role")
    createuser.add_argument("username")
    createuser.add_argument("--email", default="")
    createuser.add_argument("--name", default="", help="full name")
    createuser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    createuser.add_argument("--admin", action="store_true", help="administrator of every study")
    createuser.add_argument("--role", help="role to grant in --study (investigator, coordinator, ...)")
    createuser.add_argument("--study", help="study code for --role")
    createuser.add_argument("--site", help="site code for --role (site roles need one)")
    createuser.add_argument("--totp", action="store_true", help="set up a TOTP authenticator and print its URI")
    createuser.set_defaults(func=createuser_command)


def _register_tokens(subparsers) -> None:
    token = subparsers.add_parser("token", help="API tokens for scripts (Authorization: Bearer ...)")
    verbs = token.add_subparsers(dest="token_command", metavar="VERB", required=True)
    create = verbs.add_parser("create", help="create a token acting as USER; printed once")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="what uses the token, e.g. 'nightly export'")
    create.add_argument("--days", type=int, default=90, help="lifetime in days (default 90, at most 366)")
    create.set_defaults(func=token_create_command)
    revoke = verbs.add_parser("revoke", help="revoke a token by its first 8 characters")
    revoke.add_argument("prefix")
    revoke.add_argument("--reason", required=True)
    revoke.set_defaults(func=token_revoke_command)


def _register_study(subparsers) -> None:
    study = subparsers.add_parser("study", help="create studies from protocols, amend them, add sites")
    study_verbs = study.add_subparsers(dest="study_command", metavar="VERB", required=True)
    create = study_verbs.add_parser("create", help="create a study from a built-in protocol id or a YAML file")
    create.add_argument("protocol", help="built-in protocol id (see `oncotrial protocols list`) or a .yaml path")
    create.add_argument("--code", default="", help="study code (default: the protocol id)")
    create.add_argument("--effective", type=_date, default=None, help="date the protocol takes effect (default today)")
    create.set_defaults(func=study_create_command)
    amend = study_verbs.add_parser("amend", help="store a new protocol version (an amendment)")
    amend.add_argument("code")
    amend.add_argument("file", help="the amended protocol YAML (same id, new version)")
    amend.add_argument("--reason", required=True)
    amend.add_argument("--effective", type=_date, default=None)
    amend.set_defaults(func=study_amend_command)
    add_site = study_verbs.add_parser("add-site", help="add a site (its code prefixes subject identifiers)")
    add_site.add_argument("code", help="study code")
    add_site.add_argument("site", help="site code, 1-8 letters or digits, e.g. 03")
    add_site.add_argument("name")
    add_site.add_argument("--city", default="")
    add_site.add_argument("--country", default="")
    add_site.add_argument("--timezone", default="UTC")
    add_site.set_defaults(func=study_add_site_command)


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write YYYY-MM-DD") from None


def _protocol_text(reference: str) -> str:
    from pathlib import Path

    path = Path(reference)
    if reference.endswith((".yaml", ".yml")) or path.exists():
        if not path.exists():
            raise InvalidInput(f"protocol file '{reference}' does not exist", field="protocol")
        return path.read_text(encoding="utf-8")
    from oncotrial.protocols import builtin_protocol_text

    return builtin_protocol_text(reference)


def study_create_command(args: argparse.Namespace) -> int:
    import datetime as dt

    setup_django()
    migrate_database()
    from oncotrial.web.services.studies import create_study

    study = create_study(None, _protocol_text(args.protocol), code=args.code,
                         effective_on=args.effective or dt.date.today(), how="cli")
    sites = ", ".join(study.sites.values_list("code", flat=True)) or "none yet (add with `oncotrial study add-site`)"
    version = study.current_version().version
    print(f"created study {study.code} (protocol {study.protocol_id} v{version}); sites: {sites}")
    return 0


def study_amend_command(args: argparse.Namespace) -> int:
    import datetime as dt

    setup_django()
    from oncotrial.web.services.studies import amend_protocol, find_study

    version = amend_protocol(None, find_study(args.code), _protocol_text(args.file), reason=args.reason,
                             effective_on=args.effective or dt.date.today(), how="cli")
    print(f"study {args.code}: protocol version {version.version} stored (sha256 {version.sha256[:12]})")
    return 0


def study_add_site_command(args: argparse.Namespace) -> int:
    setup_django()
    from oncotrial.web.services.studies import add_site, find_study

    site = add_site(None, find_study(args.code), code=args.site, name=args.name, city=args.city,
                    country=args.country, timezone=args.timezone, how="cli")
    print(f"study {args.code}: site {site.code} {site.name} added")
    return 0


def migrate_command(args: argparse.Namespace) -> int:
    setup_django()
    migrate_database(verbosity=1)
    return 0


def serve_command(args: argparse.Namespace) -> int:
    local = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::")
    if args.host not in local and "ONCOTRIAL_ALLOWED_HOSTS" not in os.environ:
        # Serving on a named address: accept requests for it (set ONCOTRIAL_ALLOWED_HOSTS for more).
        os.environ["ONCOTRIAL_ALLOWED_HOSTS"] = f"localhost,127.0.0.1,[::1],{args.host}"
    setup_django()
    if not args.no_migrate:
        migrate_database()
    if args.demo:
        from oncotrial.web.models import Study

        if not Study.objects.exists():
            _build_demo(seed=20241)
        _print_demo_logins()
    from django.contrib.auth import get_user_model
    from waitress import serve

    from oncotrial.web.wsgi import application

    if not get_user_model().objects.exists():
        print("no users yet: create one with `oncotrial createuser NAME --admin`, "
              "or start with `oncotrial serve --demo`", flush=True)

    if not 1 <= args.workers <= 64 or not 1 <= args.threads <= 256:
        raise InvalidInput("--workers must be 1-64 and --threads 1-256", field="workers")
    if args.workers > 1:
        _serve_gunicorn(application, args)
        return 0
    print(f"oncotrial: serving on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    serve(application, host=args.host, port=args.port, threads=args.threads, ident="oncotrial")
    return 0


def _serve_gunicorn(application, args: argparse.Namespace) -> None:
    """gunicorn's pre-fork server, `--workers` processes of `--threads` threads each (gthread). The
    application is loaded once here and forked; each worker opens its own database connections."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    connections.close_all()  # never share a socket to the database across fork

    class Server(BaseApplication):
        def load_config(self):
            host = f"[{args.host}]" if ":" in args.host else args.host
            for key, value in {"bind": f"{host}:{args.port}", "workers": args.workers, "threads": args.threads,
                               "worker_class": "gthread", "preload_app": True, "timeout": 120,
                               "graceful_timeout": 30, "proc_name": "oncotrial", "accesslog": None,
                               "errorlog": "-", "loglevel": "warning"}.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    print(f"oncotrial: serving on http://{args.host}:{args.port}/ with {args.workers} gunicorn workers "
          f"x {args.threads} threads (Ctrl-C stops)", flush=True)
    Server().run()


def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise InvalidInput("the two passwords differ", field="password")
    return first


def createuser_command(args: argparse.Namespace) -> int:
    setup_django()
    from django.db import transaction

    from oncotrial.web.models import Role, Site
    from oncotrial.web.services.accounts import create_user, grant_role
    from oncotrial.web.services.studies import find_study

    password = _read_password(args)
    with transaction.atomic():
        user = create_user(None, username=args.username, password=password, email=args.email,
                           full_name=args.name, how="cli")
        if args.admin:
            grant_role(None, user, role=Role.ADMINISTRATOR, how="cli")
        if args.role:
            if not args.study:
                raise InvalidInput("--role needs --study", field="study")
            site = Site.objects.filter(code=args.site).first() if args.site else None
            if args.site and site is None:
                raise InvalidInput(f"site '{args.site}' does not exist", field="site")
            grant_role(None, user, role=args.role, study=find_study(args.study), site=site, how="cli")
        uri = _add_totp(user) if args.totp else ""
    print(f"created user {user.username}")
    if uri:
        print(f"authenticator (TOTP) URI, scan or paste into an authenticator app:\n{uri}")
    return 0


def _add_totp(user) -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return device.config_url


def demo_command(args: argparse.Namespace) -> int:
    if args.reset:
        _remove_sqlite_database()
    setup_django()
    if args.reset:
        _drop_postgresql_tables()
    migrate_database()
    from oncotrial.web.models import Study

    if Study.objects.exists():
        raise InvalidInput("the database already holds studies; the demo needs an empty one",
                           hint="run `oncotrial demo --reset` or point ONCOTRIAL_DATABASE_URL elsewhere")
    _build_demo(seed=args.seed)
    _print_demo_logins()
    return 0


def _remove_sqlite_database() -> None:
    from oncotrial.web.config import database_url, parse_database_url

    config = parse_database_url(database_url())
    if config["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm"):
            path = config["NAME"] + suffix
            if os.path.exists(path):
                os.remove(path)


def _drop_postgresql_tables() -> None:
    """`demo --reset` on PostgreSQL: drop every table of the database (the audit trail's triggers
    refuse DELETE and TRUNCATE, by design; DROP TABLE is the owner's deliberate act), so the
    migrations build it afresh."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return
    tables = connection.introspection.table_names()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    print(f"demo --reset: dropped {len(tables)} tables of the PostgreSQL database", flush=True)


def _build_demo(seed: int) -> None:
    from oncotrial.web.services.demo import build_demo

    print("building the demo database (both seed trials, ~100 patients; one to two minutes)...", flush=True)
    summary = build_demo(seed=seed)
    print(f"demo: {summary}", flush=True)


def _print_demo_logins() -> None:
    from oncotrial.web.services.demo import DEMO_PASSWORD, DEMO_USERS

    names = ", ".join(username for username, *_ in DEMO_USERS)
    print(f"demo logins (password '{DEMO_PASSWORD}'): {names}", flush=True)


def token_create_command(args: argparse.Namespace) -> int:
    setup_django()
    from django.contrib.auth import get_user_model

    from oncotrial.web.services.tokens import create_api_token

    user = get_user_model().objects.filter(username=args.username, is_active=True).first()
    if user is None:
        raise InvalidInput(f"no active user '{args.username}'", field="username")
    token, text = create_api_token(None, user, name=args.name, days=args.days, how="cli")
    print(f"token for {user.username} ({token.name}), expires {token.expires_at:%Y-%m-%d}; shown once:\n{text}")
    return 0


def token_revoke_command(args: argparse.Namespace) -> int:
    setup_django()
    from oncotrial.web.services.tokens import revoke_api_token

    token = revoke_api_token(None, args.prefix, reason=args.reason, how="cli")
    print(f"revoked token {token.prefix}… of {token.user.username}")
    return 0


def audit_verify_command(args: argparse.Namespace) -> int:
    setup_django()
    from oncotrial.web.services.audit import verify_audit_chain

    result = verify_audit_chain()
    for problem in result.problems:
        print(f"row {problem.sequence}: {problem.kind}: {problem.message}")
    if result.ok:
        print(f"audit trail intact: {result.checked} rows, hash chain verified")
        return 0
    print(f"audit trail BROKEN: {len(result.problems)} problem(s) in {result.checked} rows", file=sys.stderr)
    return 1
