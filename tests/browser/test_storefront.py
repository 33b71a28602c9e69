"""The seed's walk-through in a real browser, from sign-in to the order shown as placed.

Each test signs in as an account of its own, so the tests share one stack without sharing state.
Set NCEFLOW_SCREENSHOTS=docs/screenshots to refresh the screenshots of the walk-through.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.settings import Settings as CheckoutSettings
from nceflow.devstack.processes import free_port, start_service
from nceflow.testing import simulator as sim
from nceflow.testing.checkout import seeded_user

from .a11y import audit
from .conftest import Stack

pytestmark = pytest.mark.browser

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BASIC_1Y_MONTHLY = "Microsoft 365 Business Basic, 1 year, Monthly"
RELATIONSHIP_LINK = re.compile(r"^https://admin\.microsoft\.com/.*IndirectResellerRelationship")
# Fulfilment places an order in the simulator within seconds; the page must follow by itself.
PLACED_WITHIN_MS = 45_000


class Shots:
    """Saves full-page screenshots when NCEFLOW_SCREENSHOTS is set; otherwise does nothing."""

    def __init__(self, page: Page, folder: Path | None) -> None:
        self.page = page
        self.folder = folder

    def __call__(self, name: str) -> None:
        if self.folder is not None:
            self.page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


def account_name(kind: str) -> str:
    """An account no other test (or earlier run) has used."""
    return f"{kind}-{uuid.uuid4().hex[:8]}"


def heading(page: Page) -> Any:
    return page.get_by_role("heading", level=1)


def sign_in(page: Page, account: str, reseller: str) -> None:
    """Seed step 1: log in to the Marketplace (dev sign-in)."""
    page.goto("/")
    expect(heading(page)).to_have_text("Log in to the Marketplace")
    audit(page, "Log in")
    page.get_by_label("Marketplace account").fill(account)
    page.get_by_label("Reseller").select_option(reseller)
    page.get_by_role("button", name="Log in").click()
    expect(heading(page)).to_have_text("Catalogues")
    audit(page, "Catalogues")


def open_m365_tile(page: Page, shot: Shots | None = None) -> None:
    """Seed steps 1-2: the Microsoft NCE Catalogue, then the NCE Microsoft 365 (Commercial) tile."""
    page.get_by_role("link", name="Microsoft NCE Catalogue").click()
    expect(heading(page)).to_have_text("Microsoft NCE Catalogue")
    if shot is not None:
        shot("01-catalogue")
    page.get_by_role("link", name="NCE Microsoft 365 (Commercial)").click()
    expect(heading(page)).to_have_text("NCE Microsoft 365 (Commercial)")
    audit(page, "Tile")


def add_to_cart(page: Page, plan: str, quantity: int) -> None:
    """Seed step 3: a quantity of one plan, then Add to Cart."""
    page.get_by_label(f"Quantity of {plan}").fill(str(quantity))
    page.get_by_role("button", name=f"Add to Cart: {plan}").click()
    expect(page.get_by_role("status").first).to_contain_text("was added to your cart")


def next_step(page: Page, title: str) -> None:
    """Click Next, wait for the step called `title`, and audit it."""
    page.get_by_role("button", name="Next").click()
    expect(heading(page)).to_have_text(title)
    audit(page, title)


def expect_answers(page: Page, answers: dict[str, list[str]]) -> None:
    """Review Order shows one section per done step, exactly these, each with these texts."""
    sections = page.locator(".answers section h2")
    expect(sections).to_have_text(list(answers))
    for title, texts in answers.items():
        section = page.get_by_role("region", name=title, exact=True)
        for text in texts:
            expect(section).to_contain_text(text)


def sign_in_with_microsoft(page: Page, domain: str, shot: Shots | None = None) -> None:
    """The tenant_sign_in step: off to Microsoft's sign-in page (the simulator's), as the
    tenant's seeded user, and back to the wizard."""
    expect(heading(page)).to_have_text("Sign in with Microsoft")
    expect(page.get_by_text(f"To order for {domain}, sign in")).to_be_visible()
    if shot is not None:
        shot("07b-sign-in-with-microsoft")
    page.get_by_role("button", name="Sign in with Microsoft").click()
    expect(page).to_have_title(re.compile("Sign in to your account"))
    audit(page, "Microsoft sign-in (simulator)")
    page.locator("input[name=login]").fill(seeded_user(domain))
    page.locator("input[name=passwd]").fill(sim.DEV_PASSWORD)
    if shot is not None:
        shot("07c-microsoft-sign-in-page")
    page.get_by_role("button", name="Sign in").click()
    expect(heading(page)).to_have_text("MCA Acceptance")


def fill_mca(page: Page) -> None:
    """Seed step 10: MCA Acceptance, Yes, and who accepted it."""
    page.get_by_role("radio", name="Yes").check()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@fabrikam.example")
    page.get_by_label("Phone").fill("+1 206 555 0111")


def expect_placed_without_reload(page: Page) -> None:
    """The order page follows the order by itself: confirmed, placed, then its subscriptions.

    The simulator keeps a placed order pending for a few seconds (see conftest), so the page
    always opens before the order settles; a marker set on the page proves it never reloads.
    """
    status = page.get_by_test_id("order-status")
    expect(status).to_have_text(re.compile("Confirmed|Being placed|Placed"))
    page.evaluate("window.__notReloaded = true")
    expect(status).to_have_text("Placed", timeout=PLACED_WITHIN_MS)
    section = page.locator("#order-status")
    expect(section).to_contain_text("Microsoft accepted the order")
    expect(section).to_contain_text("Subscriptions", timeout=PLACED_WITHIN_MS)
    assert page.evaluate("window.__notReloaded === true")
    expect(page).to_have_title(re.compile(r"^Order [0-9a-f]{8} · Marketplace$"))
    audit(page, "Order placed")


def test_production_sign_in_accepts_only_tokens_checkout_accepts(
    stack: Stack, tmp_path: Path
) -> None:
    # A storefront in `token` mode (production), against the stack's real checkout.
    storefront = start_service(
        "nceflow.storefront",
        free_port(),
        {
            "NCEFLOW_STOREFRONT_SIGN_IN": "token",
            "NCEFLOW_REDIS_URL": stack.redis_url,
            "NCEFLOW_REDIS_KEY_PREFIX": stack.redis_prefix,
            "NCEFLOW_CATALOG_URL": stack.catalog_url,
            "NCEFLOW_CHECKOUT_URL": stack.checkout_url,
        },
        port_variable="NCEFLOW_STOREFRONT_PORT",
        log_path=tmp_path / "storefront.log",
    )
    good = mint_dev_token(account_name("platform"), "adatum-direct", CheckoutSettings())
    other_key = SecretStr("a-key-the-checkout-service-does-not-know")
    forged = mint_dev_token("intruder", "adatum-direct", CheckoutSettings(jwt_dev_secret=other_key))
    try:
        with httpx.Client(base_url=storefront.url, timeout=10) as client:
            page = client.get("/sign-in")
            assert 'name="token"' in page.text
            csrf = CSRF.search(page.text)
            assert csrf is not None
            refused = client.post("/sign-in", data={"csrf_token": csrf.group(1), "token": forged})
            assert refused.status_code == 401
            assert "did not accept this token" in refused.text
            accepted = client.post(
                "/sign-in", data={"csrf_token": csrf.group(1), "token": good, "next": "/orders"}
            )
            assert accepted.status_code == 303
            assert accepted.headers["location"] == "/orders"
            orders = client.get("/orders")
            assert orders.status_code == 200
            assert "No orders yet" in orders.text
    finally:
        storefront.stop()


def test_seed_example_existing_account_no_relationship_indirect_reseller(
    page: Page, screenshots: Path | None
) -> None:
    shot = Shots(page, screenshots)
    sign_in(page, account_name("seed"), "tailspin-indirect")
    open_m365_tile(page, shot)
    # Narrow the plans to one-year terms: the filter applies as soon as it changes.
    page.get_by_label("Term", exact=True).select_option("P1Y")
    page.wait_for_url(re.compile(r"term=P1Y"))
    expect(page.get_by_role("heading", name="Microsoft 365 Business Basic")).to_have_count(2)
    shot("02-tile")
    add_to_cart(page, BASIC_1Y_MONTHLY, 5)

    # 4. Click on the cart to review the order, and Next.
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(heading(page)).to_have_text("Cart")
    # Checkout's words for the cart step, asked for by name (`?step=cart`).
    expect(page.get_by_text("Review your order and click Next.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Microsoft 365 Business Basic"))
    expect(row).to_contain_text("$31.50")
    expect(page.get_by_role("row", name=re.compile("Total, billed monthly"))).to_contain_text(
        "$31.50"
    )
    audit(page, "Cart")
    shot("03-cart")
    next_step(page, "Microsoft CSP account")

    # 5-6. Create a new or use an existing Microsoft CSP account: existing.
    expect(page.get_by_role("radio", name="Create a new Microsoft CSP account")).to_be_visible()
    shot("04-account")
    page.get_by_role("radio", name="Use an existing Microsoft CSP account").check()
    next_step(page, "Partner relationship")

    # 7. No relationship yet: the "here" link opens the reseller's page in a new tab.
    here = page.get_by_role("link", name="here")
    expect(here).to_have_attribute("target", "_blank")
    expect(here).to_have_attribute("href", RELATIONSHIP_LINK)
    # Its name says where it goes, not just "here".
    expect(here).to_have_accessible_name(
        re.compile(r"^here ?: accept the partner relationship in Microsoft's admin center")
    )
    expect(
        page.get_by_role("group", name="Confirm if the customer partner authorization is done")
    ).to_be_visible()
    shot("05-partner-relationship")
    page.get_by_role("radio", name="Yes").check()
    next_step(page, "Partner of Record Attestation")

    # 8. Indirect sales model: the Partner of Record Attestation.
    shot("06-partner-of-record")
    page.get_by_role("checkbox", name="Partner of Record Attestation").check()
    next_step(page, "Primary domain")

    # 9. The primary domain of the existing account.
    shot("07-primary-domain")
    page.get_by_label("Primary domain name").fill("fabrikam.onmicrosoft.com")
    next_step(page, "Sign in with Microsoft")

    # 9b. The tenant is not this account's yet: a user of it signs in with Microsoft.
    sign_in_with_microsoft(page, "fabrikam.onmicrosoft.com", shot)

    # 10. MCA Acceptance: Yes, with the agreement's "here" link in a new tab.
    mca = page.get_by_role("link", name="here")
    expect(mca).to_have_attribute("target", "_blank")
    expect(mca).to_have_attribute("href", re.compile(r"^https://aka\.ms/customeragreement"))
    page.get_by_role("radio", name="Yes").check()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@fabrikam.example")
    page.get_by_label("Phone").fill("+1 206 555 0111")
    shot("08-mca")
    next_step(page, "Qualification")

    # 11. State Owned Entity or None: None.
    expect(page.get_by_role("radio", name="State Owned Entity")).to_be_visible()
    page.get_by_role("radio", name="None").check()
    shot("09-qualification")
    next_step(page, "Review Order")

    # 12. Review Order: every answer, labelled by checkout; the terms checkbox, then Buy.
    expect(page.get_by_role("row", name=re.compile("Total, billed monthly"))).to_contain_text(
        "$31.50"
    )
    expect_answers(
        page,
        {
            "Microsoft CSP account": ["Use an existing Microsoft CSP account"],
            "Partner relationship": ["Confirm if the customer partner authorization is done"],
            "Partner of Record Attestation": ["Yes"],
            "Primary domain": ["Primary domain name", "fabrikam.onmicrosoft.com"],
            "Sign in with Microsoft": ["Signed in as", seeded_user("fabrikam.onmicrosoft.com")],
            "MCA Acceptance": ["Grace", "Hopper", "grace@fabrikam.example", "+1 206 555 0111"],
            "Qualification": ["None"],
        },
    )
    expect(page.get_by_role("link", name="Terms of Service")).to_have_attribute("target", "_blank")
    page.get_by_role("checkbox", name="I agree to the Terms of Service").check()
    shot("10-review")
    page.get_by_role("button", name="Buy").click()
    expect(heading(page)).to_have_text(re.compile(r"^Order "))
    expect(page.locator(".badge")).to_have_count(0)  # the cart is spent
    expect_placed_without_reload(page)
    shot("11-order-placed")


def test_new_tenant_shows_a_field_error_then_is_placed(
    page: Page, screenshots: Path | None
) -> None:
    shot = Shots(page, screenshots)
    sign_in(page, account_name("new"), "adatum-direct")
    open_m365_tile(page)
    add_to_cart(page, "Microsoft 365 Business Standard, 1 month, Monthly", 3)
    add_to_cart(page, BASIC_1Y_MONTHLY, 1)
    expect(page.locator(".badge")).to_have_text("2")

    # The cart: quantities change, a quantity the plan is not sold in is refused next to its
    # input, and a line can be removed.
    page.goto("/cart")
    standard = page.get_by_label("Quantity of Microsoft 365 Business Standard")
    basic = page.get_by_label("Quantity of Microsoft 365 Business Basic")
    standard.fill("4")
    basic.fill("500")
    page.get_by_role("button", name="Update quantities").click()
    expect(basic).to_have_attribute("aria-invalid", "true")
    expect(page.locator("td:has(#items-1-quantity) .field-error")).to_have_text(
        re.compile("Enter a quantity this plan is sold in")
    )
    expect(page).to_have_title(re.compile("^Error: "))
    audit(page, "Cart, a quantity refused")
    shot("12-error-cart-quantity")
    page.get_by_role("button", name="Remove Microsoft 365 Business Basic").click()
    expect(page.get_by_role("status").first).to_contain_text("Your cart was updated")
    expect(page.get_by_role("row", name=re.compile("Total, billed monthly"))).to_contain_text(
        "$60.00"
    )
    expect(page.get_by_label("Quantity of Microsoft 365 Business Basic")).to_have_count(0)
    next_step(page, "Microsoft CSP account")
    page.get_by_role("radio", name="Create a new Microsoft CSP account").check()
    next_step(page, "Company profile")

    profile = {
        "Company name": "Tailwind Traders",
        "Address line 1": "1 Main St",
        "City": "Redmond",
        "State or province": "WA",
        "Postal code": "98052",
        "Country": "US",
        "First name": "Alan",
        "Last name": "Kay",
        "Email": "alan@tailwind.example",
        "Phone": "+1 425 555 0100",
        "Domain prefix": "taken",
    }
    for label, value in profile.items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Next").click()

    # Checkout refuses the taken domain: the error shows next to its field, with focus on the
    # summary, and what was typed is kept.
    expect(heading(page)).to_have_text("Company profile")
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    prefix = page.get_by_label("Domain prefix", exact=True)
    expect(prefix).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-domain_prefix .field-error")).to_contain_text(
        "That domain is taken. Choose another domain prefix."
    )
    expect(summary).to_contain_text("There is a problem with your answers")
    expect(page).to_have_title(re.compile("^Error: Company profile"))
    audit(page, "Company profile, domain taken")
    shot("13-error-domain-taken")
    expect(page.get_by_label("Company name", exact=True)).to_have_value("Tailwind Traders")

    prefix.fill(f"tailwind{uuid.uuid4().hex[:8]}")
    next_step(page, "MCA Acceptance")
    # Nothing answered: each field says what to do, in words a person reads.
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Accept the Microsoft Customer Agreement with the link, then choose Yes to confirm it."
    )
    expect(page.get_by_role("alert")).to_contain_text(
        "Enter an email address, like ada@contoso.com."
    )
    audit(page, "MCA Acceptance, nothing answered")
    shot("14-error-mca-missing")
    page.get_by_role("radio", name="Yes").check()
    page.get_by_label("First name").fill("Alan")
    page.get_by_label("Last name").fill("Kay")
    page.get_by_label("Email").fill("alan@tailwind.example")
    page.get_by_label("Phone").fill("+1 425 555 0100")
    next_step(page, "Qualification")
    page.get_by_role("radio", name="State Owned Entity").check()
    next_step(page, "Review Order")
    page.get_by_role("checkbox", name="I agree to the Terms of Service").check()
    page.get_by_role("button", name="Buy").click()
    expect_placed_without_reload(page)

    # Microsoft created the tenant with an administrator: its password is shown once.
    page.get_by_role("button", name="Show the administrator password").click()
    expect(heading(page)).to_have_text("Your administrator account")
    expect(page.get_by_test_id("admin-user-name")).to_have_text(
        re.compile(r"^admin@tailwind[0-9a-f]{8}\.onmicrosoft\.com$")
    )
    expect(page.get_by_test_id("admin-password")).to_have_text(re.compile(r"^\S{8,}$"))
    audit(page, "Administrator password, shown once")
    shot("15-admin-password")
    page.get_by_role("link", name="Back to the order").click()
    expect(page.get_by_test_id("admin-credentials")).to_contain_text("was shown on")
    expect(page.get_by_role("button", name="Show the administrator password")).to_have_count(0)
    page.get_by_role("link", name="Orders", exact=True).first.click()
    order_row = page.get_by_role("row", name=re.compile("Microsoft 365 Business Standard"))
    expect(order_row).to_contain_text("Placed")
    audit(page, "Orders")


def test_back_button_and_reload_keep_the_draft(page: Page, stack: Stack) -> None:
    account = account_name("back")
    sign_in(page, account, "tailspin-indirect")
    open_m365_tile(page)
    add_to_cart(page, BASIC_1Y_MONTHLY, 2)
    page.goto("/cart")
    next_step(page, "Microsoft CSP account")
    draft_url = re.compile(r"/checkout/([0-9a-f-]{36})/steps/")
    match = draft_url.search(page.url)
    assert match is not None
    draft_id = match.group(1)
    page.get_by_role("radio", name="Use an existing Microsoft CSP account").check()
    next_step(page, "Partner relationship")
    page.get_by_role("radio", name="Yes").check()
    next_step(page, "Partner of Record Attestation")

    # A reload shows the same step of the same draft; nothing is posted again.
    page.reload()
    expect(heading(page)).to_have_text("Partner of Record Attestation")
    assert draft_id in page.url
    done = page.locator(".steps li.done")
    expect(done).to_have_text(
        [
            re.compile("Cart"),
            re.compile("Microsoft CSP account"),
            re.compile("Partner relationship"),
        ]
    )

    # Back: still this draft, with every step saved so far.
    page.go_back()
    expect(heading(page)).to_have_text(
        re.compile("Partner relationship|Partner of Record Attestation")
    )
    assert draft_id in page.url
    expect(done).to_have_count(3)
    # Back to the cart: the plan and quantity are still there.
    page.goto("/cart")
    expect(
        page.get_by_role("row", name=re.compile("Microsoft 365 Business Basic"))
    ).to_contain_text("$12.60")
    # And Next goes on where the draft stands.
    next_step(page, "Partner of Record Attestation")
    assert draft_id in page.url

    # Cancelled elsewhere (another tab, the platform's own UI): the cart is empty, not an error.
    token = mint_dev_token(account, "tailspin-indirect", CheckoutSettings())
    httpx.delete(
        f"{stack.checkout_url}/v1/drafts/{draft_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).raise_for_status()
    page.goto("/cart")
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    expect(page.locator(".badge")).to_have_count(0)


def test_back_to_a_done_step_edit_and_continue_on_the_new_path(page: Page) -> None:
    sign_in(page, account_name("edit"), "tailspin-indirect")
    open_m365_tile(page)
    add_to_cart(page, BASIC_1Y_MONTHLY, 1)
    page.goto("/cart")
    next_step(page, "Microsoft CSP account")
    page.get_by_role("radio", name="Use an existing Microsoft CSP account").check()
    next_step(page, "Partner relationship")
    page.get_by_role("radio", name="Yes").check()
    next_step(page, "Partner of Record Attestation")
    page.get_by_role("checkbox", name="Partner of Record Attestation").check()
    next_step(page, "Primary domain")
    # Not Fabrikam: the seed walk's order bound that tenant to its own account.
    page.get_by_label("Primary domain name").fill("contoso.onmicrosoft.com")
    next_step(page, "Sign in with Microsoft")
    sign_in_with_microsoft(page, "contoso.onmicrosoft.com")
    fill_mca(page)
    next_step(page, "Qualification")
    page.get_by_role("radio", name="None").check()
    next_step(page, "Review Order")

    # Back, step by step: each done step shows what was saved for it.
    page.get_by_role("link", name="Back").click()
    expect(heading(page)).to_have_text("Qualification")
    expect(page.get_by_role("radio", name="None")).to_be_checked()
    page.get_by_role("link", name="Back").click()
    expect(heading(page)).to_have_text("MCA Acceptance")
    expect(page.get_by_label("Email")).to_have_value("grace@fabrikam.example")

    # A done step straight from the progress list: existing becomes new.
    steps = page.get_by_role("navigation", name="Checkout steps")
    steps.get_by_role("link", name="Microsoft CSP account").click()
    expect(heading(page)).to_have_text("Microsoft CSP account")
    existing = page.get_by_role("radio", name="Use an existing Microsoft CSP account")
    expect(existing).to_be_checked()
    page.get_by_role("radio", name="Create a new Microsoft CSP account").check()
    next_step(page, "Company profile")

    # The existing tenant's steps no longer apply; the rest is kept.
    expect(steps.locator("li")).to_have_text(
        [
            re.compile(name)
            for name in (
                "Cart",
                "Microsoft CSP account",
                "Company profile",
                "Partner of Record Attestation",
                "MCA Acceptance",
                "Qualification",
                "Review Order",
            )
        ]
    )
    profile = {
        "Company name": "Fabrikam Fresh",
        "Address line 1": "2 Lake Rd",
        "City": "Seattle",
        "Postal code": "98101",
        "Country": "US",
        "First name": "Grace",
        "Last name": "Hopper",
        "Email": "grace@fabrikam.example",
        "Phone": "+1 206 555 0111",
    }
    for label, value in profile.items():
        page.get_by_label(label, exact=True).fill(value)
    prefix = f"fabfresh{uuid.uuid4().hex[:8]}"
    page.get_by_label("Domain prefix", exact=True).fill(prefix)
    # Continue: everything after the company profile was done already.
    next_step(page, "Review Order")
    expect_answers(
        page,
        {
            "Microsoft CSP account": ["Create a new Microsoft CSP account"],
            "Company profile": ["Fabrikam Fresh", f"{prefix}.onmicrosoft.com"],
            "Partner of Record Attestation": ["Yes"],
            "MCA Acceptance": ["grace@fabrikam.example"],
            "Qualification": ["None"],
        },
    )


def test_an_order_microsoft_refuses_is_shown_as_failed_with_the_reason(
    page: Page, stack: Stack
) -> None:
    # Partner Center refuses the next checkout of a cart (an `orderErrors` answer).
    refusal = "The quantity exceeds the maximum allowed for this offer"
    httpx.post(
        f"{stack.sim_url}/_sim/faults",
        json={
            "kind": "order_error",
            "path": "/v1/customers/*/carts/*/checkout",
            "count": 1,
            "code": 800067,
            "description": refusal,
        },
        timeout=10,
    ).raise_for_status()
    try:
        sign_in(page, account_name("refused"), "adatum-direct")
        open_m365_tile(page)
        add_to_cart(page, BASIC_1Y_MONTHLY, 1)
        page.goto("/cart")
        next_step(page, "Microsoft CSP account")
        page.get_by_role("radio", name="Use an existing Microsoft CSP account").check()
        next_step(page, "Partner relationship")
        page.get_by_role("radio", name="Yes").check()
        next_step(page, "Primary domain")
        page.get_by_label("Primary domain name").fill("fabrikam.onmicrosoft.com")
        next_step(page, "Sign in with Microsoft")
        sign_in_with_microsoft(page, "fabrikam.onmicrosoft.com")
        page.get_by_role("radio", name="Yes").check()
        page.get_by_label("First name").fill("Grace")
        page.get_by_label("Last name").fill("Hopper")
        page.get_by_label("Email").fill("grace@fabrikam.example")
        page.get_by_label("Phone").fill("+1 206 555 0111")
        next_step(page, "Qualification")
        page.get_by_role("radio", name="None").check()
        next_step(page, "Review Order")
        page.get_by_role("checkbox", name="I agree to the Terms of Service").check()
        page.get_by_role("button", name="Buy").click()
        expect(heading(page)).to_have_text(re.compile(r"^Order "))
        page.evaluate("window.__notReloaded = true")
        expect(page.get_by_test_id("order-status")).to_have_text("Failed", timeout=PLACED_WITHIN_MS)
        expect(page.locator("#order-status .failure")).to_contain_text(refusal)
        audit(page, "Order failed")
        assert page.evaluate("window.__notReloaded === true")
    finally:
        httpx.delete(f"{stack.sim_url}/_sim/faults", timeout=10).raise_for_status()


def test_a_narrow_screen_wraps_the_step_list_and_missing_pages_share_one_title(
    page: Page,
) -> None:
    sign_in(page, account_name("narrow"), "adatum-direct")
    open_m365_tile(page)
    add_to_cart(page, BASIC_1Y_MONTHLY, 1)
    page.goto("/cart")
    next_step(page, "Microsoft CSP account")
    page.set_viewport_size({"width": 320, "height": 800})
    steps = page.get_by_role("navigation", name="Checkout steps").locator("ol")
    # Wrapped onto rows, not a strip that scrolls sideways.
    assert steps.evaluate("list => list.scrollWidth <= list.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    audit(page, "Microsoft CSP account at 320 px")
    # A page the storefront does not have and an order checkout does not know: one title.
    for missing in ("/no-such-page", "/orders/00000000-0000-0000-0000-000000000000"):
        page.goto(missing)
        expect(page).to_have_title("Page not found · Marketplace")
        expect(heading(page)).to_have_text("Page not found")
