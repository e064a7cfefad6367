"""``cti admin ...``: create users, load demo data, migrate the CRM database, import and
export customers."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from crm import cli_customers
from crm.auth import create_user
from crm.db import create_schema, make_engine
from crm.demo_data import load_demo
from crm.model.organization import Role
from crm.uow import UnitOfWork

DEFAULT_URL = "sqlite:///var/crm.db"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cti admin")
    parser.add_argument(
        "--database",
        default=os.environ.get("CTI_CRM_DATABASE", DEFAULT_URL),
        help="SQLAlchemy URL (env CTI_CRM_DATABASE)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    user = commands.add_parser("create-user", help="create a CRM user")
    user.add_argument("username")
    user.add_argument("--role", choices=[r.value for r in Role], required=True)
    user.add_argument("--display-name")
    user.add_argument("--department-id", type=int)
    user.add_argument("--password", help="read from the terminal (or CTI_PASSWORD) if absent")
    commands.add_parser("load-demo", help="load the bilingual demo data set")
    commands.add_parser("migrate", help="bring the CRM schema up to date")
    cli_customers.add_commands(commands)
    return parser


def admin_main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.database.startswith("sqlite:///") and not args.database.startswith("sqlite:////"):
        os.makedirs(os.path.dirname(args.database[len("sqlite:///") :]) or ".", exist_ok=True)
    engine = make_engine(args.database)
    try:
        create_schema(engine)
        if args.command == "migrate":
            print("schema up to date")
            return 0
        if args.command == "import-customers":
            return cli_customers.import_command(engine, args)
        if args.command == "export-customers":
            return cli_customers.export_command(engine, args)
        with UnitOfWork(engine) as uow:
            if args.command == "create-user":
                password = args.password or os.environ.get("CTI_PASSWORD") or getpass.getpass()
                try:
                    create_user(
                        uow,
                        username=args.username,
                        password=password,
                        role=args.role,
                        display_name=args.display_name,
                        department_id=args.department_id,
                        actor="cli:admin",
                    )
                except ValueError as error:
                    print(f"error: {error}", file=sys.stderr)
                    return 2
                print(f"created {args.role} {args.username}")
            else:
                if uow.departments.all():
                    print("error: the database already has data; demo not loaded", file=sys.stderr)
                    return 2
                summary = load_demo(uow)
                print("demo loaded: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
            uow.commit()
        return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(admin_main())
