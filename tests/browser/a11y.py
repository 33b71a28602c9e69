"""The accessibility audit the browser tests run on every page and error state of the purchase.

axe-core (bundled, pinned, by the `axe-playwright-python` wheel: nothing is fetched) checks WCAG
2.0/2.1 A and AA; any violation fails the test with axe's report. The same pass checks that the
page shows no validator text or regular expression: what a person reads is the storefront's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_A_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
VALIDATOR_TEXT = re.compile(
    r"Field required|String should|Input should|must be true|value is not a valid|"
    r"\[A-Za-z0-9\]|\^\(|\{0,61\}|The request is not valid"
)


@dataclass
class AuditLog:
    """Every page audited in this session, for the run's summary line."""

    pages: list[str] = field(default_factory=list)
    axe_version: str = ""


LOG = AuditLog()
_AXE = Axe()


def audit(page: Page, where: str) -> None:
    """Fail on any WCAG A/AA violation or validator text on the page as it is now."""
    results = _AXE.run(page, options=WCAG_A_AA)
    assert results.violations_count == 0, f"{where}: {results.generate_report()}"
    text = page.locator("body").inner_text()
    shown = VALIDATOR_TEXT.search(text)
    assert shown is None, f"{where} shows validator text: {shown.group(0) if shown else ''}"
    LOG.axe_version = str(results.response.get("testEngine", {}).get("version", ""))
    LOG.pages.append(f"{where} ({page.title()})")
