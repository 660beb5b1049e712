"""Country as SDTM DM.COUNTRY wants it: ISO 3166-1 alpha-3 (spec standards.md §2.2). The EDC
stores a site's country as typed ("China"); `country_code` maps the English short names (and
the alpha-2 codes) of the countries in this table, and passes an alpha-3 code through. Anything
else is returned as entered, so no value is lost; docs/exports.md says so."""

from __future__ import annotations

ALPHA3 = {
    "AR": ("ARG", "Argentina"), "AU": ("AUS", "Australia"), "AT": ("AUT", "Austria"), "BE": ("BEL", "Belgium"),
    "BR": ("BRA", "Brazil"), "BG": ("BGR", "Bulgaria"), "CA": ("CAN", "Canada"), "CL": ("CHL", "Chile"),
    "CN": ("CHN", "China"), "CO": ("COL", "Colombia"), "HR": ("HRV", "Croatia"), "CZ": ("CZE", "Czechia"),
    "DK": ("DNK", "Denmark"), "EG": ("EGY", "Egypt"), "EE": ("EST", "Estonia"), "FI": ("FIN", "Finland"),
    "FR": ("FRA", "France"), "DE": ("DEU", "Germany"), "GR": ("GRC", "Greece"), "HK": ("HKG", "Hong Kong"),
    "HU": ("HUN", "Hungary"), "IN": ("IND", "India"), "ID": ("IDN", "Indonesia"), "IE": ("IRL", "Ireland"),
    "IL": ("ISR", "Israel"), "IT": ("ITA", "Italy"), "JP": ("JPN", "Japan"), "KR": ("KOR", "South Korea"),
    "LV": ("LVA", "Latvia"), "LT": ("LTU", "Lithuania"), "MO": ("MAC", "Macao"), "MY": ("MYS", "Malaysia"),
    "MX": ("MEX", "Mexico"), "NL": ("NLD", "Netherlands"), "NZ": ("NZL", "New Zealand"), "NO": ("NOR", "Norway"),
    "PK": ("PAK", "Pakistan"), "PE": ("PER", "Peru"), "PH": ("PHL", "Philippines"), "PL": ("POL", "Poland"),
    "PT": ("PRT", "Portugal"), "RO": ("ROU", "Romania"), "RU": ("RUS", "Russia"), "SA": ("SAU", "Saudi Arabia"),
    "RS": ("SRB", "Serbia"), "SG": ("SGP", "Singapore"), "SK": ("SVK", "Slovakia"), "SI": ("SVN", "Slovenia"),
    "ZA": ("ZAF", "South Africa"), "ES": ("ESP", "Spain"), "SE": ("SWE", "Sweden"), "CH": ("CHE", "Switzerland"),
    "TW": ("TWN", "Taiwan"), "TH": ("THA", "Thailand"), "TR": ("TUR", "Turkey"), "UA": ("UKR", "Ukraine"),
    "AE": ("ARE", "United Arab Emirates"), "GB": ("GBR", "United Kingdom"), "US": ("USA", "United States"),
    "VN": ("VNM", "Viet Nam"),
}
ALIASES = {"usa": "USA", "united states of america": "USA", "uk": "GBR", "great britain": "GBR",
           "korea": "KOR", "republic of korea": "KOR", "vietnam": "VNM", "czech republic": "CZE",
           "türkiye": "TUR", "turkiye": "TUR", "people's republic of china": "CHN", "prc": "CHN", "中国": "CHN"}
BY_NAME = {name.lower(): code for code, name in ALPHA3.values()} | ALIASES
CODES = {code for code, _ in ALPHA3.values()}


def country_code(country: str) -> str:
    """ISO 3166-1 alpha-3 for a country name or code in the table, else the text as entered.

    >>> country_code("China"), country_code("us"), country_code("CHN"), country_code("Atlantis")
    ('CHN', 'USA', 'CHN', 'Atlantis')
    """
    text = (country or "").strip()
    if text.upper() in CODES:
        return text.upper()
    if text.upper() in ALPHA3:
        return ALPHA3[text.upper()][0]
    return BY_NAME.get(text.lower(), text)
