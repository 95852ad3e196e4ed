"""Audience destinations: the platforms' published examples, headers and hashing."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest

from segdsl.activation import destinations, rules
from segdsl.activation.destinations import UnknownDestination, UnknownIdentifier
from segdsl.activation.normalize import LOCATION, AudienceNormalizer


def one(destination: str, kind: str, value: str, country: str | None = None) -> str | None:
    """The destination's output for one identifier value of one member."""
    data = {"v": [value], "e": ["someone@example.com"]}
    mapping = {kind: "v"} if kind not in LOCATION else {kind: "v", "email": "e"}  # a location alone is dropped
    if country is not None:
        data["c"] = [country]
        mapping["country"] = "c"
    with AudienceNormalizer(destination, mapping) as norm:
        out = norm.normalize(pa.RecordBatch.from_pydict(data))
    column = destinations.get(destination).field(kind).column
    return out.column(column)[0].as_py() if out.num_rows else None


# Meta, "Customer Information Parameters", each parameter's Example with its
# "Expected SHA256 output":
# https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters
META_PUBLISHED = [
    ("email", "John_Smith@gmail.com", None, "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"),
    # "Input: US phone number (650)555-1212 / Normalized format: 16505551212"
    ("phone", "(650)555-1212", "US", "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"),
    ("first_name", "Mary", None, "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"),
    ("first_name", "정", None, "8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14"),
    ("first_name", "Valéry", None, "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c"),
    ("last_name", "Valéry", None, "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c"),
]


@pytest.mark.parametrize("kind,value,country,digest", META_PUBLISHED)
def test_meta_reproduces_the_published_digests(kind, value, country, digest):
    assert one("meta", kind, value, country) == digest


def test_meta_reads_a_us_number_with_or_without_its_country_code_alike():
    # Same page: the normalised US number carries the 1 whether or not it was written.
    digest = "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
    assert one("meta", "phone", "1 (650) 555-1212", "US") == digest
    assert one("meta", "phone", "+1 650-555-1212") == digest
    assert one("meta", "phone", "16505551212") == digest  # no country known: the digits carry it


# TikTok, "List of supported IDs and formats for a customer file" (Hashed column, Example 2):
# https://ads.tiktok.com/help/preview?content_id=5gcDeV2ckkwNVh1BedxvSJ&lang=en
# and its normalisation examples:
# https://ads.tiktok.com/help/article/list-of-supported-ids-and-formats-for-a-customer-file
TIKTOK_PUBLISHED = [
    ("email", "janedoe@gmail.com", None, "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"),
    # "The international phone number 374-93-828222 is normalized to 37493828222"; the digest is of those digits
    ("phone", "374-93-828222", None, "65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4"),
    ("madid", "5f3a2b18-9c4d-4e7f-b8e2-17d3a1e69b25", None,
     "83dc3f5f32b9472613b0f038d36f22585a609d018af6f6067f50da318bf354bd"),
]


@pytest.mark.parametrize("kind,value,country,digest", TIKTOK_PUBLISHED)
def test_tiktok_reproduces_the_published_digests(kind, value, country, digest):
    assert one("tiktok", kind, value, country) == digest


@pytest.mark.parametrize("value,country,normalised", [
    # "The US phone number (657)777-0000 is normalized to 16577770000"
    ("(657)777-0000", "US", "16577770000"),
    ("374-93-828222", None, "37493828222"),
    # "Remove '+' and any characters following the '+' symbol until '@'"
    ("firstname-lastname+ads@gmail.com", None, "firstname-lastname@gmail.com"),
])
def test_tiktok_normalises_as_its_examples_say(value, country, normalised):
    kind = "email" if "@" in value else "phone"
    assert one("tiktok", kind, value, country) == hashlib.sha256(normalised.encode()).hexdigest()


# Google, Data Manager API "Format user data":
# https://developers.google.com/data-manager/api/get-started/formatting
@pytest.mark.parametrize("kind,value,country,normalised", [
    ("email", "cloudy.sanfrancisco+shopping@gmail.com", None, "cloudysanfrancisco@gmail.com"),
    ("email", "user.name+NYC@Example.com", None, "user.name+nyc@example.com"),
    ("email", " Jane.Doe @googlemail.com ", None, "janedoe@googlemail.com"),  # inner whitespace too
    ("phone", "(800)555-0100", "US", "+18005550100"),
    ("first_name", "  Mrs-Dana ", None, "mrsdana"),  # lower case, no punctuation, trimmed
])
def test_google_normalises_as_its_guide_says(kind, value, country, normalised):
    assert one("google_ads", kind, value, country) == hashlib.sha256(normalised.encode()).hexdigest()


def test_google_sends_country_and_zip_in_clear():
    # https://support.google.com/google-ads/answer/7476159: country and zip are not hashed
    assert one("google_ads", "country", " us ") == "US"
    assert one("google_ads", "zip", "94303-5300", "US") == "94303-5300"
    assert one("google_ads", "zip", "WC2H  8LG", "GB") == "WC2H 8LG"


def test_meta_madid_is_sent_in_clear_in_lower_case():
    # Meta's customer-list example AECE52E7-03EE-455A-B3C4-E57283966239; MADID "hashing not required"
    assert one("meta", "madid", "AECE52E7-03EE-455A-B3C4-E57283966239") == "aece52e7-03ee-455a-b3c4-e57283966239"


def test_every_destination_has_its_exact_headers_and_hashing():
    headers = {name: [(f.column, f.hashed) for f in d.fields] for name, d in destinations.DESTINATIONS.items()}
    assert headers["meta"] == [("email", True), ("phone", True), ("madid", False), ("fn", True), ("ln", True),
                               ("zip", True), ("ct", True), ("st", True), ("country", True)]
    assert headers["google_ads"] == [("Email", True), ("Phone", True), ("First Name", True),
                                     ("Last Name", True), ("Country", False), ("Zip", False)]
    assert headers["tiktok"] == [("Email_SHA256", True), ("Phone_SHA256", True), ("MAID_SHA256", True)]
    for plain in ("csv", "parquet"):
        assert all(not hashed for _, hashed in headers[plain])
        assert [c for c, _ in headers[plain]] == [f.kind for f in destinations.get(plain).fields]
    for d in destinations.DESTINATIONS.values():
        assert set(d.kinds) <= set(destinations.KINDS)
        assert all(f.rule in rules.RULES for f in d.fields)


def test_unknown_destination_and_identifier_say_what_exists():
    with pytest.raises(UnknownDestination) as info:
        destinations.get("meat")
    assert info.value.message == "unknown destination `meat`"
    assert info.value.hint == "did you mean `meta`?"
    with pytest.raises(UnknownDestination) as info:
        destinations.get("snapchat")
    assert info.value.hint == "destinations: meta, google_ads, tiktok, csv, parquet"
    with pytest.raises(UnknownIdentifier) as info:
        AudienceNormalizer("tiktok", {"first_name": "fn"})
    assert info.value.message == "TikTok (Custom Audience customer file) does not take `first_name`"
    assert info.value.hint == "tiktok takes: email, phone, madid, country"
    with pytest.raises(UnknownIdentifier) as info:
        AudienceNormalizer("google_ads", {"emial": "e"})
    assert info.value.hint == "did you mean `email`?"
