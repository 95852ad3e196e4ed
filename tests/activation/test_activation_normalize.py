"""Normalisation at scale: rules, invalid counts by reason, streaming in batches."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segdsl.activation import rules
from segdsl.activation.destinations import ActivationError
from segdsl.activation.normalize import AudienceNormalizer, MissingColumn


def run(destination: str, data: dict, mapping: dict, default_region: str | None = None):
    with AudienceNormalizer(destination, mapping, default_region) as norm:
        out = norm.normalize(pa.RecordBatch.from_pydict(data))
    return out.to_pydict(), norm.report


def rule(name: str, values: list, country: list | None = None, default_region: str | None = None) -> list:
    ctx = rules.Context(None if country is None else pa.array(country, pa.string()), default_region)
    return rules.RULES[name](pa.array(values, pa.string()), ctx).values.to_pylist()


def test_email_problems_are_counted_by_reason_and_blanks_are_missing():
    emails = ["a@b.co", "no-at-sign", "x@localhost", "two@@b.co", "  ", None, " A@B.CO ", "sp ace@b.co"]
    out, report = run("csv", {"e": emails}, {"email": "e"})
    assert out["email"] == ["a@b.co", "a@b.co"]
    assert report.invalid == {("email", "without @"): 1, ("email", "not an e-mail address"): 3}
    assert report.missing["email"] == 2 and report.present["email"] == 2
    assert report.rows_in == 8 and report.rows_out == 2 and report.rows_without_identifier == 6
    assert report.lines() == ["email: 3 not an e-mail address", "email: 1 without @",
                              "6 members without any usable identifier, left out"]


def test_thousands_of_invalid_numbers_are_reported_per_country():
    phones = ["12345"] * 1234 + ["601 234 567", "030 1234567", "+44 20 7183 8750"]
    countries = ["PL"] * 1235 + [None, "PL"]
    out, report = run("google_ads", {"p": phones, "c": countries}, {"phone": "p", "country": "c"},
                      default_region="DE")
    assert report.lines()[0] == "phone: 1,234 not a valid number for country PL"
    digests = out["Phone"][-3:]
    assert digests == [hashlib.sha256(n.encode()).hexdigest() for n in
                       ("+48601234567", "+49301234567", "+442071838750")]


@pytest.mark.parametrize("raw,region,e164,reason", [
    ("601 234 567", "PL", "+48601234567", None),
    ("0048 601 234 567", "PL", "+48601234567", None),
    ("+48 601 234 567", "US", "+48601234567", None),  # its own country code wins
    ("12345", "PL", None, "not a valid number for country PL"),
    ("+48 12", "PL", None, "not a valid number"),
    ("call me", "PL", None, "not a phone number"),
    ("48601234567", None, "+48601234567", None),  # no country: the digits carry the code
    ("0048601234567", None, "+48601234567", None),
    ("601234567", None, None, "not a valid number with its country code (and no country given)"),
])
def test_phone_numbers_are_read_with_the_members_country(raw, region, e164, reason):
    result = rules.phone_e164(pa.array([raw]), rules.Context(pa.array([region], pa.string())))
    assert result.values.to_pylist() == [e164]
    assert dict(result.invalid) == ({reason: 1} if reason else {})
    digits = rules.phone_digits(pa.array([raw]), rules.Context(pa.array([region], pa.string())))
    assert digits.values.to_pylist() == [e164 and e164[1:]]


NUMBERS = ["601 234 567", "+48 601 234 567", "030 1234567", "(650) 555-1212", "12345", "0044 20 7183 8750",
           "20 7183 8750", "not a number", "  ", None]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NUMBERS), st.sampled_from(["PL", "DE", "US", "GB", "zz", None])),
                min_size=1, max_size=40),
       st.sampled_from([None, "DE", "US"]))
def test_phones_match_libphonenumber_row_by_row(rows, default):
    """The distinct-value shortcut maps every row back to its own number."""
    raw = [r for r, _ in rows]
    countries = [c for _, c in rows]
    got = run("csv", {"p": raw, "c": countries, "k": list(range(len(rows)))},
              {"phone": "p", "country": "c", "external_id": "k"}, default)[0]["phone"]
    for value, country, phone in zip(raw, countries, got):
        text = (value or "").strip()
        region = country if country in rules.ISO_COUNTRIES else default
        if not text:
            assert phone is None
            continue
        if region is None and not text.startswith(("+", "00")):
            text = "+" + re.sub(r"\D", "", text).lstrip("0")
        elif region is None:
            text = "+" + text.lstrip("+0")
        try:
            n = phonenumbers.parse(text, region)
            expected = phonenumbers.format_number(n, 0) if phonenumbers.is_valid_number(n) else None
        except phonenumbers.NumberParseException:
            expected = None
        assert phone == expected


def _name_oracle(value: str | None) -> str | None:
    """Meta and Google: lower case, no punctuation (Unicode P*), single spaces, some letter left."""
    if value is None or not value.strip():
        return None
    text = unicodedata.normalize("NFC", value.strip()).lower()
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))
    text = " ".join(text.split())
    return text if any(unicodedata.category(ch).startswith("L") for ch in text) else None


# Letters of several scripts (upper and lower case, precomposed and combining), digits, punctuation and
# Unicode spaces; left out: letters whose lower case is context-dependent or longer (Σ, İ).
NAME_CHARS = st.sampled_from(sorted(
    set("AaZzÉéÀàÇçŁłŃńŚśŹźŻżÖöÜüß정김민ИваноёЁΑαΒβΩω漢字0123456789")
    | set("'’-‐–—.,;:!?\"()[]/&_@#%*") | {"\u0301", "\u0308", " ", "\u00a0", "\u2003", "\t"}))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(NAME_CHARS, max_size=14)), min_size=1, max_size=25))
def test_names_match_a_python_oracle_and_hash_with_hashlib(names):
    expected = [_name_oracle(n) for n in names]
    assert rule("name", names) == expected
    # a second identifier on every row, so that no row is left out and rows stay aligned
    out, report = run("meta", {"fn": names, "k": ["aece52e7-03ee-455a-b3c4-e57283966239"] * len(names)},
                      {"first_name": "fn", "madid": "k"})
    assert out["fn"] == [None if e is None else hashlib.sha256(e.encode()).hexdigest() for e in expected]
    assert report.rows_out == len(names)


@pytest.mark.parametrize("name,values,country,expected", [
    ("city_letters", ["Menlo Park", "Łódź", "St. Louis 2", "München", "---"], None,
     ["menlopark", "łódź", "stlouis", "münchen", None]),
    ("state_code", ["California", "N.Y.", "Bavaria", "new  york", "Georgia"], ["US", "US", "DE", "US", "GE"],
     ["ca", "ny", "bavaria", "ny", "georgia"]),
    ("zip_meta", ["94105-1234", "9410", "SW1A 1AA", "xyz", " 10115 ", "EC1A 1BB"],
     ["US", "US", "GB", "GB", "DE", "GB"], ["94105", None, "sw1a1", None, "10115", "ec1a1"]),
    ("zip_google", ["94303-5300", "94303 5300", "WC2H  8LG"], ["US", "US", "GB"],
     ["94303-5300", None, "WC2H 8LG"]),
    ("country_lower", [" pl", "GB", "UK", "USA", "xk"], None, ["pl", "gb", None, None, None]),
    ("madid", ["AECE52E7-03EE-455A-B3C4-E57283966239", "aece52e703ee455ab3c4e57283966239"], None,
     ["aece52e7-03ee-455a-b3c4-e57283966239", None]),
    ("external_id", [" 42 ", "A-7"], None, ["42", "A-7"]),
    ("email_tiktok", ["_x@y.com", "Jo+ads@Y.com"], None, [None, "jo@y.com"]),
])
def test_rules_on_known_values(name, values, country, expected):
    assert rule(name, values, country) == expected


def test_a_zip_takes_its_rule_from_the_default_region_when_the_country_is_unknown():
    assert rule("zip_meta", ["94105-1234", "SW1A 1AA"], [None, "GB"], default_region="US") == ["94105", "sw1a1"]


def test_country_codes_are_exactly_iso_3166_1():
    pycountry = pytest.importorskip("pycountry")
    assert rules.ISO_COUNTRIES == {c.alpha_2 for c in pycountry.countries}


def test_country_read_for_the_region_only_is_counted_but_not_written():
    out, report = run("tiktok", {"p": ["601 234 567", "601 234 567"], "c": ["PL", "Poland"]},
                      {"phone": "p", "country": "c"})
    assert list(out) == ["Phone_SHA256"]
    assert out["Phone_SHA256"][0] == hashlib.sha256(b"48601234567").hexdigest()
    assert report.invalid == {("country", "not an ISO 3166-1 alpha-2 country code"): 1,
                              ("phone", "not a valid number with its country code (and no country given)"): 1}


def test_a_member_known_only_by_location_is_left_out():
    out, report = run("meta", {"e": ["bad", "a@b.co", None], "c": ["PL", "PL", None], "z": ["00-950", None, "1"]},
                      {"email": "e", "country": "c", "zip": "z"})
    assert out["email"] == [hashlib.sha256(b"a@b.co").hexdigest()]
    assert report.rows_without_identifier == 2 and report.rows_out == 1


def test_google_counts_addresses_missing_a_part():
    data = {"fn": ["Ann", "Ann", None], "ln": ["Lee", "Lee", None], "c": ["US", "US", "US"],
            "z": ["94105", None, "94105"], "e": ["a@b.co"] * 3}
    out, report = run("google_ads", data, {"first_name": "fn", "last_name": "ln", "country": "c", "zip": "z",
                                           "email": "e"})
    assert report.incomplete == 2
    assert report.lines() == ["first_name + last_name + country + zip: 2 members with only some of them "
                              "(they match only together)"]
    _, report = run("google_ads", data, {"first_name": "fn", "last_name": "ln", "email": "e"})
    assert report.incomplete == 2  # no country or zip mapped: no name can match


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9))
def test_batches_give_the_same_file_and_counts_as_one(size):
    data = {"e": ["a@b.co", "bad", None, "C@d.eu", "x@y.z", " ", "q@r.st", "n@o"],
            "p": ["601234567", None, "123", "+33 1 23 45 67 89", None, None, "030 1234567", "0"],
            "c": ["PL", "PL", "DE", "FR", None, "GB", "DE", "PL"]}
    mapping = {"email": "e", "phone": "p", "country": "c"}
    whole, whole_report = run("meta", data, mapping)
    table = pa.table(data)
    with AudienceNormalizer("meta", mapping) as norm:
        parts = [norm.normalize(b) for b in table.to_batches(max_chunksize=size)]
    assert pa.Table.from_batches(parts).to_pydict() == whole
    assert norm.report.to_dict() == whole_report.to_dict()
    r = norm.report
    assert r.rows_in == 8 == r.rows_out + r.rows_without_identifier
    for kind in ("email", "phone", "country"):
        invalid = sum(n for (k, _), n in r.invalid.items() if k == kind)
        assert r.present[kind] + r.missing[kind] + invalid == r.rows_in


def test_tables_and_empty_batches_are_accepted():
    with AudienceNormalizer("csv", {"email": "e"}) as norm:
        assert norm.normalize(pa.table({"e": pa.array([], pa.string())})).num_rows == 0
        out = norm.normalize(pa.concat_tables([pa.table({"e": ["a@b.co"]}), pa.table({"e": ["c@d.co"]})]))
    assert out.column(0).to_pylist() == ["a@b.co", "c@d.co"]


def test_mapping_mistakes_say_what_is_there():
    with pytest.raises(MissingColumn) as info:
        run("meta", {"email_address": ["a@b.co"]}, {"email": "email_adress"})
    assert info.value.message == "no column `email_adress` for the identifier `email`"
    assert info.value.hint == "did you mean `email_address`?"
    with pytest.raises(ActivationError) as info:
        AudienceNormalizer("meta", {"email": "e"}, default_region="Poland")
    assert info.value.message == "`Poland` is not an ISO 3166-1 alpha-2 country code"
    with pytest.raises(ActivationError) as info:
        AudienceNormalizer("meta", {})
    assert info.value.message == "no identifier for Meta (Custom Audience customer list)"
    with pytest.raises(ActivationError) as info:
        AudienceNormalizer("tiktok", {"country": "c"})
    assert info.value.message == ("no identifier for TikTok (Custom Audience customer file): `country` only "
                                  "tells where phone numbers are from")
    assert info.value.hint == "name one of: email, phone, madid"
