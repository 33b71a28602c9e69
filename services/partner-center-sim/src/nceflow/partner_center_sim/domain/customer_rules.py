"""What "Create a customer" requires of a new customer by country, as Partner Center enforces it.

"Create a customer" (request body, `CustomerCompanyProfile.organizationRegistrationNumber`) and
"Utility resources" (`Address.PhoneNumber`: "In customer profile, this property is mandatory for
customer's company/organization located in the following countries/regions", the same list):
both are required for customers in the countries below, optional elsewhere. The refusal codes
are those the call-by-call review of "Partner Center REST error codes" found (600049 number
missing, 600050 number not valid, 600051 phone missing); re-check them against the page when
Microsoft updates it.
"""

from __future__ import annotations

import re

REGISTRATION_NUMBER_MISSING = 600049
REGISTRATION_NUMBER_INVALID = 600050
PHONE_NUMBER_MISSING = 600051

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
            # Microsoft's own words for it, as a partner reported them for a customer in BR
            # (microsoft/Partner-Center-PowerShell#357).
            return (
                REGISTRATION_NUMBER_MISSING,
                "Organization registration id information is missing.",
            )
        return None
    if not _NUMBER.match(number.strip()):
        return (
            REGISTRATION_NUMBER_INVALID,
            "companyProfile.organizationRegistrationNumber is not a valid registration number.",
        )
    return None


def phone_number_problem(country: str, phone: str | None) -> tuple[int, str] | None:
    """Partner Center's refusal of a new customer's address without the phone it requires."""
    if (phone is None or not phone.strip()) and country.upper() in REGISTRATION_NUMBER_COUNTRIES:
        return (
            PHONE_NUMBER_MISSING,
            "billingProfile.defaultAddress.phoneNumber is required for customers in "
            f"{country.upper()}.",
        )
    return None
