"""Normalisation rules for audience identifiers, one function per rule, on Arrow arrays.

A rule takes the raw values of one identifier column (text) and the row
context (the member's country, when known) and returns the normalised
values plus a count of invalid values per reason. Blank values are
*missing*, not invalid; an invalid value becomes empty (null) and is counted
under a reason a person can act on ("not a valid number for country PL").
No rule drops a row.

Everything is vectorised with pyarrow.compute (RE2 regular expressions with
Unicode classes), except phone numbers: their validity depends on each
country's numbering plan, which only libphonenumber knows, so they are parsed
one distinct (country, number) pair at a time with `phonenumbers`.

Which rule each destination applies, and the platform documentation behind
it, is in `segdsl.activation.destinations`. The rules here are:

- e-mail: trimmed and lower-cased (`email`); Google also removes every
  whitespace character and, for gmail.com / googlemail.com, the dots and any
  "+tag" of the local part (`email_google`); TikTok removes a "+tag" before the
  "@" for every domain and wants the address to start with a letter or digit
  (`email_tiktok`). A value without "@" or without a dotted domain is invalid.
- phone: parsed with the member's country (or a default region) as the
  region of a national number; a number starting with "+" or "00" carries its
  own country code, and with no country known the digits must start with the
  country code. Written in E.164 (`phone_e164`, "+48601234567") or as its
  digits (`phone_digits`, "48601234567").
- names: Unicode NFC, lower-cased, punctuation removed, whitespace collapsed
  (`name`); plain forms keep the case (`name_plain`).
- city: NFC, lower-cased, letters only — no spaces, digits or punctuation
  (`city_letters`); plain forms trim (`text_plain`).
- state: letters only, lower-cased; a US state's full name becomes its
  two-letter code when the member's country (or the default region) is US
  (`state_code`).
- zip: Meta's rule (`zip_meta`): lower-cased without whitespace, the first five
  digits for US, area/district/sector ("sw1a1") for the UK; Google's
  (`zip_google`): a US ZIP is five digits or ZIP+4, others are kept as written.
- country: an ISO 3166-1 alpha-2 code, upper or lower case as the destination
  needs (`country_upper`, `country_lower`).
- mobile advertiser id: lower-cased IDFA / AAID, 8-4-4-4-12 hex digits (`madid`).
- external id: the text of the value, trimmed (`external_id`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

# ISO 3166-1 alpha-2: libphonenumber's regions, less its three codes that are not
# ISO 3166-1 (AC Ascension and TA Tristan da Cunha belong to SH; XK is user-assigned),
# plus the seven ISO territories without a numbering plan of their own.
ISO_COUNTRIES: frozenset[str] = frozenset(
    (set(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA", "XK"}) | {"AQ", "BV", "GS", "HM", "PN", "TF", "UM"})

# ANSI (USPS) two-letter codes of the states, DC and the inhabited territories, by letters-only name.
US_STATES: dict[str, str] = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
    "connecticut": "ct", "delaware": "de", "districtofcolumbia": "dc", "florida": "fl", "georgia": "ga",
    "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks",
    "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md", "massachusetts": "ma",
    "michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo", "montana": "mt",
    "nebraska": "ne", "nevada": "nv", "newhampshire": "nh", "newjersey": "nj", "newmexico": "nm",
    "newyork": "ny", "northcarolina": "nc", "northdakota": "nd", "ohio": "oh", "oklahoma": "ok",
    "oregon": "or", "pennsylvania": "pa", "rhodeisland": "ri", "southcarolina": "sc", "southdakota": "sd",
    "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa",
    "westvirginia": "wv", "wisconsin": "wi", "wyoming": "wy", "puertorico": "pr", "guam": "gu",
    "americansamoa": "as", "northernmarianaislands": "mp", "usvirginislands": "vi",
}

_EMAIL = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"
_MADID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_UK_POSTCODE = r"^[a-z]{1,2}[0-9][a-z0-9]?[0-9][a-z]{2}$"
_SPACE = r"[\s\p{Z}]+"  # RE2's \s is ASCII only; \p{Z} adds the Unicode spaces (no-break space, …)
_SEP = "\x1f"  # joins a region and a number into one key; never part of either


@dataclass
class Context:
    """What a rule may know about each row besides its own value.

    `country` holds the member's validated ISO code in upper case, or null;
    `default_region` stands in for a missing country when reading phone
    numbers and postal codes.
    """

    country: pa.Array | None
    default_region: str | None = None

    def region(self, length: int) -> pa.Array:
        """Per row: the member's country, else the default region, else null."""
        default = pa.scalar(self.default_region, pa.string())
        if self.country is None:
            return pa.repeat(default, length)
        return pc.fill_null(self.country, default) if self.default_region else self.country


@dataclass
class Result:
    """Normalised values (null where missing or invalid) and invalid counts by reason."""

    values: pa.Array
    invalid: Counter[str] = field(default_factory=Counter)


Rule = Callable[[pa.Array, Context], Result]


def present(values: pa.Array) -> pa.Array:
    """The values as text with blanks turned into nulls: a blank is missing, not invalid."""
    text = pc.utf8_trim_whitespace(values if pa.types.is_string(values.type) else values.cast(pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _reject(values: pa.Array, ok: pa.Array, reason: str, out: Counter[str]) -> pa.Array:
    """Null out the values where `ok` is false and count them under `reason`."""
    bad = pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(ok, False)))
    n = pc.sum(bad).as_py() or 0
    if n:
        out[reason] += n
        values = pc.if_else(bad, pa.scalar(None, values.type), values)
    return values


def _email_checked(values: pa.Array, out: Counter[str]) -> pa.Array:
    values = _reject(values, pc.match_substring(values, "@"), "without @", out)
    return _reject(values, pc.match_substring_regex(values, _EMAIL), "not an e-mail address", out)


def email(values: pa.Array, ctx: Context) -> Result:
    """Trimmed and lower-cased (Meta; plain forms)."""
    out: Counter[str] = Counter()
    return Result(_email_checked(pc.utf8_lower(present(values)), out), out)


def email_google(values: pa.Array, ctx: Context) -> Result:
    """No whitespace anywhere, lower-cased; gmail.com and googlemail.com lose dots and a "+tag"."""
    out: Counter[str] = Counter()
    v = pc.utf8_lower(pc.replace_substring_regex(present(values), _SPACE, ""))
    parts = pc.extract_regex(pc.fill_null(v, ""), r"^(?P<local>[^@]*)@(?P<domain>gmail\.com|googlemail\.com)$")
    local = pc.replace_substring(pc.replace_substring_regex(parts.field("local"), r"\+.*$", ""), ".", "")
    cleaned = pc.binary_join_element_wise(local, parts.field("domain"), "@")
    v = pc.if_else(parts.is_valid(), cleaned, v)
    return Result(_email_checked(v, out), out)


def email_tiktok(values: pa.Array, ctx: Context) -> Result:
    """Lower-cased; a "+tag" before the "@" removed; must start with a letter or digit."""
    out: Counter[str] = Counter()
    v = pc.replace_substring_regex(pc.utf8_lower(present(values)), r"\+[^@]*@", "@")
    v = _email_checked(v, out)
    return Result(_reject(v, pc.match_substring_regex(v, r"^[\p{L}\p{N}]"),
                          "not starting with a letter or digit", out), out)


def _phones(values: pa.Array, ctx: Context, plus: bool) -> Result:
    """Parse each distinct (region, number) once; map the results back to the rows."""
    out: Counter[str] = Counter()
    raw = present(values)
    region = ctx.region(len(raw))
    keys = pc.binary_join_element_wise(pc.fill_null(region, ""), raw, _SEP)  # null where the number is
    distinct = pc.unique(keys.drop_null())
    parsed: list[str | None] = []
    reasons: list[str | None] = []
    for key in distinct.to_pylist():
        number, reason = _parse_phone(*key.split(_SEP, 1))
        parsed.append(None if number is None else (number if plus else number[1:]))
        reasons.append(reason)
    where = pc.index_in(keys, value_set=distinct)
    result = pc.take(pa.array(parsed, pa.string()), where)
    why = pc.take(pa.array(reasons, pa.string()), where)
    for item in pc.value_counts(why.drop_null()).to_pylist():
        out[item["values"]] += item["counts"]
    return Result(result, out)


def _parse_phone(region: str, text: str) -> tuple[str | None, str | None]:
    """E.164 of one number, or the reason it is not valid."""
    international = text.startswith("+") or text.startswith("00")
    if not region and not international:
        # Meta and TikTok require the country code in the number itself; digits without
        # a known country are read as such ("16505551212"), after any leading zeros.
        digits = "".join(ch for ch in text if ch.isdigit()).lstrip("0")
        text = "+" + digits
    elif not region:
        text = "+" + text.lstrip("+0")
    where = f" for country {region}" if region and not international else ""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None, "not a phone number" if region or international else \
            "not a phone number with its country code (and no country given)"
    if not phonenumbers.is_valid_number(number):
        if not region and not international:
            return None, "not a valid number with its country code (and no country given)"
        return None, f"not a valid number{where}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def phone_e164(values: pa.Array, ctx: Context) -> Result:
    """E.164 with the plus sign: "+48601234567" (Google; plain forms)."""
    return _phones(values, ctx, plus=True)


def phone_digits(values: pa.Array, ctx: Context) -> Result:
    """Digits only, country code first, no leading zeros: "48601234567" (Meta, TikTok)."""
    return _phones(values, ctx, plus=False)


def _collapse(values: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(values, _SPACE, " "))


def name(values: pa.Array, ctx: Context) -> Result:
    """NFC, lower case, no punctuation, single spaces: "O'Neil-Smith" becomes "oneilsmith"."""
    out: Counter[str] = Counter()
    v = pc.utf8_lower(pc.utf8_normalize(present(values), "NFC"))
    v = _collapse(pc.replace_substring_regex(v, r"\p{P}+", ""))
    return Result(_reject(v, pc.match_substring_regex(v, r"[\p{L}]"), "without letters", out), out)


def name_plain(values: pa.Array, ctx: Context) -> Result:
    """Spelled as given, NFC, single spaces (CRM forms)."""
    return Result(_collapse(pc.utf8_normalize(present(values), "NFC")))


def text_plain(values: pa.Array, ctx: Context) -> Result:
    """Trimmed, single spaces."""
    return Result(_collapse(present(values)))


def city_letters(values: pa.Array, ctx: Context) -> Result:
    """NFC, lower case, letters only: "Menlo Park" becomes "menlopark", "Łódź" "łódź"."""
    out: Counter[str] = Counter()
    v = pc.utf8_lower(pc.utf8_normalize(present(values), "NFC"))
    v = pc.replace_substring_regex(v, r"[^\p{L}\p{M}]+", "")
    v = pc.if_else(pc.equal(v, ""), pa.scalar(None, pa.string()), v)
    return Result(_reject(v, pc.is_valid(v), "without letters", out), out)


def state_code(values: pa.Array, ctx: Context) -> Result:
    """Letters only, lower case; a US state's name becomes its code where the region is US."""
    result = city_letters(values, ctx)
    v = result.values
    names = pa.array(list(US_STATES), pa.string())
    codes = pa.array(list(US_STATES.values()), pa.string())
    us = pc.fill_null(pc.equal(ctx.region(len(v)), "US"), False)
    known = pc.take(codes, pc.index_in(v, value_set=names))
    v = pc.if_else(pc.and_(us, pc.is_valid(known)), known, v)
    return Result(v, result.invalid)


def zip_meta(values: pa.Array, ctx: Context) -> Result:
    """Lower case without whitespace; US: the first five digits; UK: area, district and sector."""
    out: Counter[str] = Counter()
    v = pc.utf8_lower(pc.replace_substring_regex(present(values), _SPACE, ""))
    region = ctx.region(len(v))
    us = pc.fill_null(pc.equal(region, "US"), False)
    uk = pc.fill_null(pc.equal(region, "GB"), False)
    v = _reject(v, pc.or_(pc.invert(us), pc.match_substring_regex(v, r"^[0-9]{5}(-?[0-9]{4})?$")),
                "not a US ZIP code", out)
    v = _reject(v, pc.or_(pc.invert(uk), pc.match_substring_regex(v, _UK_POSTCODE)), "not a UK postcode", out)
    v = pc.if_else(us, pc.utf8_slice_codeunits(v, 0, 5), v)
    v = pc.if_else(uk, pc.utf8_slice_codeunits(v, 0, -2), v)
    return Result(v, out)


def zip_google(values: pa.Array, ctx: Context) -> Result:
    """US: five digits or ZIP+4 ("94303-5300"); elsewhere as written, single spaces."""
    out: Counter[str] = Counter()
    v = _collapse(present(values))
    us = pc.fill_null(pc.equal(ctx.region(len(v)), "US"), False)
    v = _reject(v, pc.or_(pc.invert(us), pc.match_substring_regex(v, r"^[0-9]{5}(-[0-9]{4})?$")),
                "not a US ZIP code", out)
    return Result(v, out)


def country_code(values: pa.Array) -> Result:
    """The ISO 3166-1 alpha-2 code in upper case, or null counted as invalid."""
    out: Counter[str] = Counter()
    v = pc.utf8_upper(pc.replace_substring_regex(present(values), _SPACE, ""))
    known = pc.is_in(v, value_set=pa.array(sorted(ISO_COUNTRIES), pa.string()))
    return Result(_reject(v, known, "not an ISO 3166-1 alpha-2 country code", out), out)


def country_upper(values: pa.Array, ctx: Context) -> Result:
    """"PL" (Google; plain forms)."""
    return country_code(values)


def country_lower(values: pa.Array, ctx: Context) -> Result:
    """"pl" (Meta)."""
    result = country_code(values)
    return Result(pc.utf8_lower(result.values), result.invalid)


def madid(values: pa.Array, ctx: Context) -> Result:
    """An IDFA or AAID in lower case with its hyphens."""
    out: Counter[str] = Counter()
    v = pc.utf8_lower(present(values))
    return Result(_reject(v, pc.match_substring_regex(v, _MADID), "not a mobile advertiser ID", out), out)


def external_id(values: pa.Array, ctx: Context) -> Result:
    """The value's text, trimmed: any key of the advertiser's own."""
    return Result(present(values))


RULES: dict[str, Rule] = {
    "email": email, "email_google": email_google, "email_tiktok": email_tiktok,
    "phone_e164": phone_e164, "phone_digits": phone_digits,
    "name": name, "name_plain": name_plain, "text_plain": text_plain,
    "city_letters": city_letters, "state_code": state_code,
    "zip_meta": zip_meta, "zip_google": zip_google,
    "country_upper": country_upper, "country_lower": country_lower,
    "madid": madid, "external_id": external_id,
}
