"""What "Create a customer" requires of a new customer by country, so a wizard can ask for it
before Partner Center refuses the creation.

"Create a customer" (request body, `CustomerCompanyProfile.organizationRegistrationNumber`): the
organization registration number is required for customers in the countries below (ISO 3166-1
alpha-2). Partner Center refuses a creation without it (600049). "Utility resources" makes the
address's `PhoneNumber` mandatory in the same countries (600051 without it); the wizard asks every
customer for a phone, so that rule needs no table here. The simulator keeps its own copy of the
table: it stands for Microsoft, not for this client.
"""

from __future__ import annotations

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


def needs_registration_number(country: str) -> bool:
    """Whether Partner Center requires `organizationRegistrationNumber` for this country."""
    return country.upper() in REGISTRATION_NUMBER_COUNTRIES
