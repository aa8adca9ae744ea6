"""GraphiQL, in a real headless Chromium, watches an order as the README says: the token
goes in the Headers tab, GraphiQL sends it as the socket's connection parameters, and the
order's status change shows in the result pane. Skipped, with the reason, where Chromium,
node or npm is missing (GraphiQL's files come from the npm registry: see browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import strawberry

from tests.npm_packages import installed
from tests.orders.orders_ops import STEP, ok
from tests.websockets.browser import CDN, browser_page
from tests.websockets.test_order_status import WATCH, _order_at_one_east, head

HERE = Path(__file__).resolve().parent / "graphiql_page"
STRAWBERRY_PAGE = Path(strawberry.__file__).parent / "static" / "graphiql.html"
RESULT = "(document.querySelector('.result-window') || {}).innerText || ''"


def _page_files() -> Path:
    """GraphiQL's files, at the versions the page strawberry serves asks unpkg.com for."""
    files = installed(HERE, "graphiql-page")
    asked = re.findall(re.escape(CDN) + r"([^\"' ]+)", STRAWBERRY_PAGE.read_text())
    pinned = json.loads((HERE / "package.json").read_text())["dependencies"]
    for spec in asked:
        name, version = re.match(r"((?:@[^/]+/)?[^@/]+)@([^/]+)/", spec).groups()  # type: ignore[union-attr]
        assert pinned.get(name) == version, (
            f"strawberry's GraphiQL page asks for {name}@{version}: pin it in {HERE}"
        )
    return files


async def test_graphiql_watches_an_order_with_the_token_in_its_headers_tab(server, owner_engine, tenant_a):
    files = _page_files()
    order = await _order_at_one_east(owner_engine, tenant_a)
    token = await tenant_a.token("manager")
    shared = {
        "q": WATCH,
        "variables": json.dumps({"id": order["id"], "after": await head(owner_engine, tenant_a)}),
        "headers": json.dumps({"Authorization": f"Bearer {token}"}),
    }
    url = (
        server.url.replace("ws://", "http://")
        + "?"
        + "&".join(f"{k}={quote(v, safe='')}" for k, v in shared.items())
    )
    async with browser_page(files) as page:
        await page.call("Page.navigate", url=url)
        await page.wait_for("!!document.querySelector('.graphiql-execute-button')", 60, "GraphiQL to render")
        await page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        values = {"id": order["id"], "version": order["version"], "reason": "Ordered twice"}
        await ok(tenant_a, STEP["cancelOrder"], "cancelOrder", values)
        shown = await page.wait_for(
            f"({RESULT}).includes('CANCELLED') && {RESULT}", 30, "the change in GraphiQL's result pane"
        )
    # The pane shows the event as JSON (the editor's text: no gutter marks in it to parse around).
    for shown_field in ('"fromStatus": "DRAFT"', '"toStatus": "CANCELLED"', f'"id": "{order["id"]}"'):
        assert shown_field in shown, shown
