"""What "Create a customer" requires of a new customer by country, as Partner Center enforces it.

"Create a customer" (request body, `CustomerCompanyProfile.organizationRegistrationNumber`):
required for customers in the countries below. The refusal codes are those the call-by-call
review of "Partner Center REST error codes" found for it (600049 missing, 600050 not valid);
re-check both against the page when Microsoft updates it.
"""

from __future__ import annotations

import re

REGISTRATION_NUMBER_MISSING = 600049
REGISTRATION_NUMBER_INVALID = 600050

# ISO 3166-1 alpha-2 codes of the countries "Create a customer" lists.
REGISTRATION_NUMBER_COUNTRIES = frozenset(
    {
        "AM",  # Armenia
        "AZ",  # Azerbaijan
        "BY",  # Belarus
        "HU",  # Hungary
        "KZ",  # Kazakhstan
        "KG",  # Kyrgyzstan
        "MD",  # Moldova
        "RU",  # Russia
        "TJ",  # Tajikistan
        "UZ",  # Uzbekistan
        "UA",  # Ukraine
        "IN",  # India
        "BR",  # Brazil
        "ZA",  # South Africa
        "PL",  # Poland
        "AE",  # United Arab Emirates
        "SA",  # Saudi Arabia
        "TR",  # Turkey
        "TH",  # Thailand
        "VN",  # Vietnam
        "MM",  # Myanmar
        "IQ",  # Iraq
        "SS",  # South Sudan
        "VE",  # Venezuela
    }
)

# Letters, digits and the separators registration numbers are written with.
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,48}[A-Za-z0-9]$|^[A-Za-z0-9]$")


def registration_number_problem(country: str, number: str | None) -> tuple[int, str] | None:
    """Partner Center's refusal of a new customer's registration number, if any."""
    if not number or not number.strip():
        if country.upper() in REGISTRATION_NUMBER_COUNTRIES:
            return (
                REGISTRATION_NUMBER_MISSING,
                "companyProfile.organizationRegistrationNumber is required for customers in "
                f"{country.upper()}.",
            )
        return None
    if not _NUMBER.match(number.strip()):
        return (
            REGISTRATION_NUMBER_INVALID,
            "companyProfile.organizationRegistrationNumber is not a valid registration number.",
        )
    return None
