"""The admin's pages of the workspace through the real app in-process: accounts and API tokens,
for admins only, each change made by healthqa.accounts and healthqa.tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from lxml import html
from test_web_workspace import PASSWORD, Desk, form_fields

from healthqa import accounts, tokens

ACCOUNTS = "/editor/admin/accounts"
TOKENS = "/editor/admin/tokens"
NEW_PASSWORD = "another long password"


@pytest.fixture
def desk(demo_db: Path, tmp_path: Path) -> Iterator[Desk]:
    made = Desk(demo_db, tmp_path)
    yield made
    made.close()


def csrf(client: TestClient) -> str:
    return form_fields(client.get("/editor/").text, "/editor/sign-out")["csrf"]


def post(client: TestClient, action: str, page: str, **fields: str) -> httpx.Response:
    """Post the form on `page` that posts to `action`, with `fields` filled in."""
    return client.post(action, data=form_fields(client.get(page).text, action) | fields)


def message(answer: httpx.Response) -> str:
    """The page's words, without markup."""
    return " ".join(html.fromstring(answer.text).text_content().split())


def test_editors_and_reviewers_get_403_on_every_admin_page_and_form(desk: Desk) -> None:
    admin = [
        route
        for route in desk.app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/editor/admin/")
    ]
    assert len(admin) >= 10, [route.path for route in admin]
    tokens.create(desk.library.store, "robot", 30)
    before = (desk.library.store.accounts(), desk.library.store.tokens())
    for name in ("Ed", "Rita"):
        client = desk.signed_in(name)
        token = csrf(client)
        assert "/editor/admin/" not in client.get("/editor/").text  # no links to them
        for route in admin:
            path = re.sub(r"\{\w+\}", "1", route.path)
            fields = {"csrf": token, "name": "Mallory", "role": "admin", "password": "x" * 12}
            answer = (
                client.post(path, data=fields | {"days": "9"})
                if "POST" in route.methods
                else client.get(path)
            )
            assert answer.status_code == 403, (name, path, answer.status_code)
            assert "Your account cannot do this" in answer.text
    assert (desk.library.store.accounts(), desk.library.store.tokens()) == before


def test_an_admin_makes_an_account_that_signs_in(desk: Desk) -> None:
    client = desk.signed_in("Ada")
    page = client.get("/editor/").text
    assert f'href="{ACCOUNTS}"' in page and f'href="{TOKENS}"' in page
    listed = client.get(ACCOUNTS)
    assert listed.headers["cache-control"] == "no-store"
    assert "Ada" in listed.text and "Rita" in listed.text
    made = post(client, ACCOUNTS, ACCOUNTS, name=" Sam Lee ", role="reviewer", password=PASSWORD)
    assert made.status_code == 303
    account = desk.library.store.account("sam lee")
    assert (account.name, account.role) == ("Sam Lee", "reviewer")
    assert made.headers["location"] == f"{ACCOUNTS}/{account.id}?done=created"
    assert "Account made" in client.get(made.headers["location"]).text
    assert desk.signed_in("Sam Lee").get("/editor/").status_code == 200


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"name": "", "password": PASSWORD}, "A name must not be blank"),
        ({"name": "12345", "password": PASSWORD}, "must not be all digits"),
        ({"name": "Sam", "password": "short"}, "A password needs at least 10 characters."),
        ({"name": "ed", "password": PASSWORD}, "There is already an account named 'ed'."),
        ({"name": "Sam", "password": PASSWORD, "role": "owner"}, "A role is one of"),
    ],
)
def test_bad_account_forms_say_what_is_wrong_and_make_nothing(
    desk: Desk, fields: dict[str, str], said: str
) -> None:
    client = desk.signed_in("Ada")
    before = desk.library.store.accounts()
    answer = post(client, ACCOUNTS, ACCOUNTS, **fields)
    assert answer.status_code == 422
    assert said in message(answer) and "Nothing was changed" in answer.text
    assert desk.library.store.accounts() == before
    kept = form_fields(answer.text, ACCOUNTS)
    assert kept["name"] == fields["name"].strip() and "password" not in kept


def test_change_a_role_disable_enable_and_set_a_password(desk: Desk) -> None:
    client = desk.signed_in("Ada")
    ed = desk.signed_in("Ed")
    page = f"{ACCOUNTS}/{desk.library.store.account('ed').id}"
    assert post(client, f"{page}/role", page, role="reviewer").status_code == 303
    assert desk.library.store.account("ed").role == "reviewer"
    assert "Role changed" in client.get(f"{page}?done=role").text
    assert post(client, f"{page}/disable", page).status_code == 303
    assert desk.library.store.account("ed").disabled is not None
    assert ed.get("/editor/").status_code == 303  # signed out at once
    assert "Disabled" in client.get(ACCOUNTS).text
    assert post(client, f"{page}/enable", page).status_code == 303
    assert desk.library.store.account("ed").disabled is None
    ed = desk.signed_in("Ed")
    short = post(client, f"{page}/password", page, password="short")
    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert post(client, f"{page}/password", page, password=NEW_PASSWORD).status_code == 303
    assert ed.get("/editor/").status_code == 303  # whoever was signed in is signed out
    with pytest.raises(accounts.SignInFailed):
        accounts.sign_in(desk.library.store, "Ed", PASSWORD)
    accounts.sign_in(desk.library.store, "Ed", NEW_PASSWORD)


def test_the_last_admin_cannot_disable_or_demote_themselves(desk: Desk) -> None:
    client = desk.signed_in("Ada")
    page = f"{ACCOUNTS}/{desk.library.store.account('ada').id}"
    assert "this is your account" in client.get(page).text
    for action, fields in (("disable", {}), ("role", {"role": "editor"})):
        refused = post(client, f"{page}/{action}", page, **fields)
        assert refused.status_code == 409
        assert "no admin who can sign in" in refused.text and "Nothing was changed" in refused.text
    assert desk.library.store.account("ada") == desk.library.store.accounts()[0]
    assert desk.library.store.account("ada").role == "admin"
    accounts.set_role(desk.library.store, "Rita", "admin")  # now there is another admin
    demoted = post(client, f"{page}/role", page, role="editor")
    assert demoted.status_code == 303 and demoted.headers["location"] == "/editor/"
    assert desk.library.store.account("ada").role == "editor"
    assert client.get(ACCOUNTS).status_code == 403  # at once: no longer an admin


def test_an_admin_who_signs_themselves_out_is_sent_to_sign_in(desk: Desk) -> None:
    accounts.set_role(desk.library.store, "Rita", "admin")
    client = desk.signed_in("Ada")
    page = f"{ACCOUNTS}/{desk.library.store.account('ada').id}"
    assert "you too" in client.get(page).text
    renewed = post(client, f"{page}/password", page, password=NEW_PASSWORD)
    assert renewed.headers["location"] == "/editor/sign-in?signed_out=1"
    assert client.get("/editor/").status_code == 303  # signed out, as the page warned
    client = desk.signed_in("Rita")
    page = f"{ACCOUNTS}/{desk.library.store.account('rita').id}"
    assert "you will be signed out" in client.get(page).text
    gone = post(client, f"{page}/disable", page)
    assert gone.headers["location"] == "/editor/sign-in?signed_out=1"
    assert desk.library.store.account("rita").disabled is not None


def test_unknown_accounts_and_bad_addresses_get_plain_pages(desk: Desk) -> None:
    client = desk.signed_in("Ada")
    for path in (f"{ACCOUNTS}/999", f"{ACCOUNTS}/0", f"{ACCOUNTS}/abc", f"{ACCOUNTS}/{2**70}"):
        answer = client.get(path)
        assert answer.status_code in (400, 404, 422) and "<html" in answer.text
        assert "Traceback" not in answer.text
    gone = client.post(f"{ACCOUNTS}/999/disable", data={"csrf": csrf(client)})
    assert gone.status_code == 404 and "<html" in gone.text


def test_an_admin_makes_a_token_sees_it_once_and_revokes_it(desk: Desk) -> None:
    client = desk.signed_in("Ada")
    assert "No tokens yet" in client.get(TOKENS).text
    made = post(client, TOKENS, TOKENS, name="import robot", days="30")
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    (secret,) = html.fromstring(made.text).xpath("//p[@class='secret-value']/code/text()")
    assert secret.startswith(tokens.PREFIX) and "Copy the token" in made.text
    assert tokens.verify(desk.library.store, secret).name == "import robot"
    listed = client.get(TOKENS).text
    assert "import robot" in listed and secret not in listed  # shown once only
    (token,) = desk.library.store.tokens()
    revoke = f"{TOKENS}/{token.id}/revoke"
    done = post(client, revoke, TOKENS)
    assert done.status_code == 303 and done.headers["location"] == f"{TOKENS}?done=revoked"
    assert "Token revoked" in client.get(done.headers["location"]).text
    with pytest.raises(tokens.TokenError):
        tokens.verify(desk.library.store, secret)
    assert "Revoked" in client.get(TOKENS).text and revoke not in client.get(TOKENS).text


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"name": "", "days": "30"}, "A token name must not be blank"),
        ({"name": "robot", "days": "0"}, "a number from 1 to 3650"),
        ({"name": "robot", "days": "ninety"}, "a number from 1 to 3650"),
        ({"name": "robot", "days": "9" * 40}, "a number from 1 to 3650"),
        ({"name": "taken", "days": "30"}, "A token named 'taken' exists"),
    ],
)
def test_bad_token_forms_say_what_is_wrong_and_make_nothing(
    desk: Desk, fields: dict[str, str], said: str
) -> None:
    tokens.create(desk.library.store, "taken", 30)
    client = desk.signed_in("Ada")
    answer = post(client, TOKENS, TOKENS, **fields)
    assert answer.status_code == 422 and said in message(answer)
    assert len(desk.library.store.tokens()) == 1
    assert "secret-value" not in answer.text
