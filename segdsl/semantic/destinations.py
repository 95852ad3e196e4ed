"""Audience destinations: the file each ad or e-mail platform takes, column by column.

A destination lists the identifier kinds it accepts; for each, the exact
header of its upload file, the normalisation rule (`segdsl.activation.rules`)
and whether the value is sent as a SHA-256 digest (64 lower-case hex digits of
the UTF-8 bytes of the normalised value) or in clear.

Identifier kinds: ``email``, ``phone``, ``first_name``, ``last_name``,
``city``, ``state``, ``zip``, ``country``, ``external_id``, ``madid`` (mobile
advertiser id: IDFA or AAID). ``country`` may always be mapped, even where
the destination does not take it, as the region for reading national phone
numbers and postal codes.

Meta — Custom Audiences from a customer list
  File headers as in Ads Manager's customer-list template: ``email``,
  ``phone``, ``madid``, ``fn``, ``ln``, ``zip``, ``ct``, ``st``, ``country``
  (https://www.facebook.com/business/help/2082575038703844). Normalisation
  and hashing from the Marketing API's hashing table
  (https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences):
  e-mail trimmed and lower-cased; phone as digits with the country code and
  no symbols, letters or leading zeros; names lower case without
  punctuation, UTF-8 letters kept; city lower case without punctuation,
  special characters or spaces; state the lower-case two-letter code for
  the US; zip lower case without spaces, the first five digits in the US and
  area/district/sector in the UK; country the lower-case ISO 3166-1
  alpha-2 code. Everything is hashed except the mobile advertiser id
  ("hashing not required", lower case with hyphens). Worked examples with
  their expected SHA-256 output (John_Smith@gmail.com, (650)555-1212, Mary,
  Valéry, 정) are on
  https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters,
  which applies the same normalisation.

Google Ads — Customer Match
  Headers ``Email``, ``Phone``, ``First Name``, ``Last Name``, ``Country``,
  ``Zip`` (https://support.google.com/google-ads/answer/7659867); e-mail,
  phone and names hashed, country and zip in clear
  (https://support.google.com/google-ads/answer/7476159). Normalisation from
  the Data Manager API's formatting guide
  (https://developers.google.com/data-manager/api/get-started/formatting):
  e-mail lower-cased with leading, trailing and inner whitespace removed, and
  for gmail.com / googlemail.com the dots and a "+" suffix of the local part
  removed (cloudy.sanfrancisco+shopping@gmail.com → cloudysanfrancisco@gmail.com;
  other domains keep them: user.name+NYC@Example.com → user.name+nyc@example.com);
  phone in E.164 with the plus sign ((800)555-0100 in the US → +18005550100);
  names lower case without punctuation or surrounding whitespace; country
  the ISO 3166-1 alpha-2 code; a US zip five digits or ZIP+4. First name,
  last name, country and zip match only together. Mobile device ids go in
  a separate Google file and are not offered here.

TikTok — Custom Audience from a customer file
  Headers ``Email_SHA256``, ``Phone_SHA256``, ``MAID_SHA256``, all hashed
  (https://ads.tiktok.com/help/article/list-of-supported-ids-and-formats-for-a-customer-file):
  e-mail lower-cased with a "+" suffix before the "@" removed, starting with a
  letter or digit; phone without symbols (the "+" included), letters or
  leading zeros, with the country code ((657)777-0000 in the US →
  16577770000; 374-93-828222 → 37493828222); MAID in one consistent case
  (lower here). TikTok's examples with their digests are on
  https://ads.tiktok.com/help/preview?content_id=5gcDeV2ckkwNVh1BedxvSJ&lang=en.

Source columns must hold clear values: a column that already holds digests
would be hashed again (an e-mail digest fails the e-mail check and is counted).

Plain forms for e-mail and CRM tools (``csv``, ``parquet``)
  One column per identifier kind, named after it, normalised for reading
  rather than matching: e-mail trimmed and lower-cased, phone in E.164,
  names, city, state and zip as written (trimmed, single spaces), country
  the upper-case ISO code, mobile advertiser id lower case. Nothing hashed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

KINDS: tuple[str, ...] = ("email", "phone", "first_name", "last_name", "city", "state", "zip", "country",
                          "external_id", "madid")


@dataclass(frozen=True)
class Field:
    """One identifier column of an upload file."""

    kind: str
    column: str
    rule: str
    hashed: bool


@dataclass(frozen=True)
class Destination:
    """A platform's upload file: its columns in order, its format and the pages that define it."""

    name: str
    title: str
    file_format: str  # "csv" or "parquet"
    fields: tuple[Field, ...]
    sources: tuple[str, ...]
    # Kinds that only match together (Google's mailing address); a row with some
    # but not all of them is counted, since the platform will not use them.
    together: tuple[str, ...] = ()

    def field(self, kind: str) -> Field:
        for f in self.fields:
            if f.kind == kind:
                return f
        raise UnknownIdentifier(self, kind)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(f.kind for f in self.fields)

    @property
    def suffix(self) -> str:
        return "." + self.file_format


class ActivationError(ValueError):
    """A mistake in an audience definition; `message` and `hint` are written for its author."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UnknownDestination(ActivationError):
    def __init__(self, name: str):
        close = difflib.get_close_matches(name, list(DESTINATIONS), n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else "destinations: " + ", ".join(DESTINATIONS)
        super().__init__(f"unknown destination `{name}`", hint)
        self.name = name


class UnknownIdentifier(ActivationError):
    def __init__(self, destination: Destination, kind: str):
        allowed = list(destination.kinds) + ([] if "country" in destination.kinds else ["country"])
        close = difflib.get_close_matches(kind, allowed, n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else f"{destination.name} takes: " + ", ".join(allowed)
        super().__init__(f"{destination.title} does not take `{kind}`", hint)
        self.destination = destination
        self.kind = kind


def _fields(spec: str, rules: dict[str, str], hashed: set[str]) -> tuple[Field, ...]:
    """Fields from "kind:Column, …" with each kind's rule, hashed where listed."""
    out = []
    for part in spec.split(","):
        kind, column = (s.strip() for s in part.split(":", 1))
        out.append(Field(kind, column, rules[kind], kind in hashed))
    return tuple(out)


META = Destination(
    "meta", "Meta (Custom Audience customer list)", "csv",
    _fields("email:email, phone:phone, madid:madid, first_name:fn, last_name:ln, zip:zip, city:ct, state:st, "
            "country:country",
            {"email": "email", "phone": "phone_digits", "madid": "madid", "first_name": "name",
             "last_name": "name", "zip": "zip_meta", "city": "city_letters", "state": "state_code",
             "country": "country_lower"},
            {"email", "phone", "first_name", "last_name", "zip", "city", "state", "country"}),
    ("https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences",
     "https://www.facebook.com/business/help/2082575038703844",
     "https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters"),
)

GOOGLE_ADS = Destination(
    "google_ads", "Google Ads (Customer Match)", "csv",
    _fields("email:Email, phone:Phone, first_name:First Name, last_name:Last Name, country:Country, zip:Zip",
            {"email": "email_google", "phone": "phone_e164", "first_name": "name", "last_name": "name",
             "country": "country_upper", "zip": "zip_google"},
            {"email", "phone", "first_name", "last_name"}),
    ("https://support.google.com/google-ads/answer/7659867",
     "https://support.google.com/google-ads/answer/7476159",
     "https://developers.google.com/data-manager/api/get-started/formatting"),
    together=("first_name", "last_name", "country", "zip"),
)

TIKTOK = Destination(
    "tiktok", "TikTok (Custom Audience customer file)", "csv",
    _fields("email:Email_SHA256, phone:Phone_SHA256, madid:MAID_SHA256",
            {"email": "email_tiktok", "phone": "phone_digits", "madid": "madid"},
            {"email", "phone", "madid"}),
    ("https://ads.tiktok.com/help/article/list-of-supported-ids-and-formats-for-a-customer-file",
     "https://ads.tiktok.com/help/preview?content_id=5gcDeV2ckkwNVh1BedxvSJ&lang=en"),
)

_PLAIN_RULES = {"email": "email", "phone": "phone_e164", "first_name": "name_plain", "last_name": "name_plain",
                "city": "text_plain", "state": "text_plain", "zip": "text_plain", "country": "country_upper",
                "external_id": "external_id", "madid": "madid"}
_PLAIN = ", ".join(f"{k}:{k}" for k in ("external_id", "email", "phone", "first_name", "last_name", "city",
                                         "state", "zip", "country", "madid"))

CSV = Destination("csv", "CSV file (e-mail and CRM tools)", "csv", _fields(_PLAIN, _PLAIN_RULES, set()),
                  ("RFC 4180",))
PARQUET = Destination("parquet", "Parquet file (e-mail and CRM tools)", "parquet",
                      _fields(_PLAIN, _PLAIN_RULES, set()), ("https://parquet.apache.org/docs/file-format/",))

DESTINATIONS: dict[str, Destination] = {d.name: d for d in (META, GOOGLE_ADS, TIKTOK, CSV, PARQUET)}


def get(name: str) -> Destination:
    """The destination called `name`; an unknown name raises UnknownDestination with a suggestion."""
    try:
        return DESTINATIONS[name]
    except KeyError:
        raise UnknownDestination(name) from None
