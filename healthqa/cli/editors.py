"""Editors' access and readers' feedback: API tokens, sign-in accounts, the feedback
report."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from healthqa import accounts, tokens
from healthqa.cli.common import Context, article_or_alias, errors, pass_context, print_json
from healthqa.store import ROLES, Account


@click.group("tokens")
def tokens_() -> None:
    """Create, list and revoke editors' API tokens (stored hashed; shown once).

    Example: healthqa tokens create --name alice --expires 90
    """


@tokens_.command("create")
@click.option("--name", required=True, help="Who holds it; recorded as the author of edits.")
@click.option(
    "--expires",
    "days",
    type=click.IntRange(1, tokens.MAX_DAYS),
    default=90,
    show_default=True,
    metavar="DAYS",
    help="Days until the token stops working.",
)
@pass_context
def tokens_create(obj: Context, name: str, days: int) -> None:
    """Create a token and print it once: it is stored only as a hash and cannot be shown again.

    Example: healthqa tokens create --name alice --expires 90
    """
    with errors():
        secret, token = tokens.create(obj.store, name, days)
    click.echo(secret)
    click.echo(
        f"Token {token.id} for {token.name!r}, expires {token.expires}. Keep it now: it is not "
        "stored and cannot be shown again.",
        err=True,
    )


@tokens_.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one token a line.")
@pass_context
def tokens_list(obj: Context, as_json: bool) -> None:
    """List tokens: id, name, state and dates (never the token itself).

    Example: healthqa tokens list --json
    """
    with errors():
        rows = [t.to_dict() | {"state": tokens.state(t)} for t in obj.store.tokens()]
    _print_rows(
        rows,
        as_json,
        "No tokens yet: healthqa tokens create --name NAME",
        "{id:>5}  {name:<24} {state:<8} expires {expires}  last used {last_used}",
    )


@tokens_.command("revoke")
@click.argument("key", metavar="NAME_OR_ID")
@pass_context
def tokens_revoke(obj: Context, key: str) -> None:
    """Revoke a token at once: requests that use it are refused from now on.

    Example: healthqa tokens revoke alice
    """
    with errors():
        token = tokens.revoke(obj.store, key)
    click.echo(f"Revoked token {token.id} ({token.name!r}) at {token.revoked}.")


@click.group("users")
def users_() -> None:
    """Create, list, change and disable the accounts people sign in to /editor/ with.

    Example: healthqa users create alice --role admin
    """


@users_.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(list(ROLES)),
    default="editor",
    show_default=True,
    help="editor: edit, retire, restore; reviewer: mark reviewed; admin: all, and accounts.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
@pass_context
def users_create(obj: Context, name: str, role: str, password_stdin: bool) -> None:
    """Create an account; its password is asked for (twice), or read from standard input.

    Example: healthqa users create alice --role admin
    """
    with errors():
        accounts.check_name(name)
        account = accounts.create(obj.store, name, role, _password(password_stdin))
    click.echo(f"Account {account.id} for {account.name!r} ({account.role}) is ready.")
    click.echo("They sign in at /editor/sign-in on the site.", err=True)


@users_.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one account a line.")
@pass_context
def users_list(obj: Context, as_json: bool) -> None:
    """List accounts: id, name, role and whether each is disabled (never a password).

    Example: healthqa users list
    """
    with errors():
        rows = [account.to_dict() for account in obj.store.accounts()]
    _print_rows(
        rows,
        as_json,
        "No accounts yet: healthqa users create NAME --role admin",
        "{id:>5}  {name:<24} {role:<9} {state}",
        lambda row: {"state": f"disabled {row['disabled']}" if row["disabled"] else "active"},
    )


def _switch_command(name: str, change: Callable[[Any, str], Account], summary: str) -> None:
    """`healthqa users disable` or `enable`: one account, by its name or id."""

    @users_.command(name, help=f"{summary}\n\nExample: healthqa users {name} alice")
    @click.argument("key", metavar="NAME_OR_ID")
    @pass_context
    def command(obj: Context, key: str) -> None:
        with errors():
            account = change(obj.store, key)
        when = f" at {account.disabled}" if account.disabled else ""
        click.echo(f"{name.capitalize()}d account {account.id} ({account.name!r}){when}.")


_switch_command(
    "disable",
    accounts.disable,
    "Disable an account at once: it cannot sign in, and whoever is signed in is signed out.",
)
_switch_command(
    "enable", accounts.enable, "Enable a disabled account: it can sign in again with its password."
)


@users_.command("role")
@click.argument("key", metavar="NAME_OR_ID")
@click.argument("role", type=click.Choice(list(ROLES)))
@pass_context
def users_role(obj: Context, key: str, role: str) -> None:
    """Give an account another role (the last admin who can sign in keeps theirs).

    Example: healthqa users role alice reviewer
    """
    with errors():
        account = accounts.set_role(obj.store, key, role)
    click.echo(f"Account {account.id} ({account.name!r}) is now {account.role}.")


@users_.command("password")
@click.argument("key", metavar="NAME_OR_ID")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
@pass_context
def users_password(obj: Context, key: str, password_stdin: bool) -> None:
    """Give an account a new password; whoever is signed in with it is signed out.

    Example: healthqa users password alice
    """
    with errors():
        obj.store.account(key)  # no prompt for an account that is not there
        account = accounts.set_password(obj.store, key, _password(password_stdin))
    click.echo(f"New password set for account {account.id} ({account.name!r}).")


@click.group("feedback")
def feedback_() -> None:
    """What readers answered to "Was this page helpful?" on article pages.

    Example: healthqa feedback report --limit 20
    """


@feedback_.command("report")
@click.option("--article", "key", metavar="ID_OR_SLUG", help="One article's answers only.")
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="How many articles and comments to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def feedback_report(obj: Context, key: str | None, limit: int, as_json: bool) -> None:
    """Articles readers found least helpful first (yes, no, comments), then the latest comments.

    Example: healthqa feedback report --article what-is-glaucoma
    """
    from healthqa.web.feedback import report  # /api/v1/feedback's shape

    with errors():
        article_id = article_or_alias(obj, key).id if key else None
        found = report(obj.store, article_id, limit)
    found.articles = counts = found.articles[:limit]
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    if not counts:
        click.echo("No feedback yet.", err=True)
        return
    click.echo(f"{'yes':>5} {'no':>5} {'notes':>5}  article")
    for count in counts:
        click.echo(
            f"{count.yes:>5} {count.no:>5} {count.comments:>5}  {count.article_id:>7} {count.slug}"
        )
    for item in found.comments:
        if item.comment:
            said = "helpful" if item.helpful else "not helpful"
            click.echo(
                f"\n{item.created[:16]}  article {item.article_id}, {said}:\n  {item.comment}"
            )


def _print_rows(
    rows: list[dict[str, Any]],
    as_json: bool,
    empty: str,
    line: str,
    extra: Callable[[dict[str, Any]], dict[str, Any]] = lambda row: {},
) -> None:
    """A listing: JSON Lines, or one `line` (a format over the row and `extra(row)`) a row,
    or the hint `empty` (on stderr) when there is nothing to list."""
    if not rows and not as_json:
        click.echo(empty, err=True)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            shown = {key: "never" if value is None else value for key, value in row.items()}
            click.echo(line.format(**shown | extra(row)))


def _password(from_stdin: bool) -> str:
    """A password: standard input's first line, or asked for twice without echoing it."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
