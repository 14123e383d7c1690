"""Helpers of the browser tests: the live server's handle, committed users, logging in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from playwright.sync_api import Page, expect

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests import factories


@dataclass
class LiveServer:
    """The app served on ``http://host:port``; ``errors`` collects server tracebacks."""

    app: Flask
    host: str
    port: int
    errors: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, endpoint: str, /, **values: Any) -> str:
        """The absolute URL of ``endpoint`` on this server, like ``flask.url_for``."""
        adapter = self.app.url_map.bind(f"{self.host}:{self.port}", url_scheme="http")
        return adapter.build(endpoint, values, force_external=True)


def committed_member(**kw: Any) -> User:
    """A member of a new Deventer firm, committed so that the server thread can see it."""
    member = factories.user(**kw)
    db.session.commit()
    return member


def log_in(page: Page, user: User, *, password: str = factories.PASSWORD) -> None:
    """Log in through the login form, as a person would, and land on the dashboard."""
    email, name = user.email, user.name
    page.goto("/login")
    page.locator("#main input[name=email]").fill(email)
    page.locator("#main input[name=password]").fill(password)
    page.locator("#main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("header .who")).to_contain_text(name)
