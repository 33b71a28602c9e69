"""Why the wizard refuses a change. The API layer maps each to one problem+json status."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One field of the request, what is wrong with it (`reason`, for developers) and a code
    for machines: a UI words its own message by field and code."""

    field: str
    reason: str
    code: str = "invalid"


class WizardError(Exception):
    """Base of every rule the wizard enforces."""

    def __init__(self, detail: str, errors: tuple[FieldProblem, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class InvalidStepData(WizardError):
    """The step's data breaks a rule (unknown plan, quantity out of range, a "no" due "yes")."""


class StepOutOfOrder(WizardError):
    """The step is ahead of the current one, or does not apply to this draft."""

    def __init__(self, detail: str, current_step: str | None) -> None:
        super().__init__(detail)
        self.current_step = current_step


class DraftClosed(WizardError):
    """The draft was confirmed, cancelled or expired and can no longer change."""

    def __init__(self, detail: str, status: str) -> None:
        super().__init__(detail)
        self.status = status


class DraftIncomplete(WizardError):
    """Buy was pressed before every step that applies was done."""

    def __init__(self, detail: str, current_step: str | None) -> None:
        super().__init__(detail)
        self.current_step = current_step


class AlreadyConfirmed(WizardError):
    """The draft was bought already, under another idempotency key."""

    def __init__(self, detail: str, order_id: str) -> None:
        super().__init__(detail)
        self.order_id = order_id


class PricesChanged(WizardError):
    """Re-pricing at Buy found other prices than the customer reviewed; review again."""


class TooManyDrafts(WizardError):
    """The account already has as many open drafts as one account may have."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"An account can have at most {limit} open drafts: finish or cancel one first.",
            (FieldProblem("drafts", f"at most {limit} open drafts", "limit_reached"),),
        )
        self.limit = limit
