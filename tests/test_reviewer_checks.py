"""Reviewer help: licence-number checks (EFN, NPI, RPPS) and email-domain verdicts."""

from __future__ import annotations

import pytest

from app.access.checks import (
    check_licence,
    domain_verdict,
    email_domain,
    is_disposable,
    luhn_check_digit,
    luhn_valid,
)


def with_check_digit(payload: str) -> str:
    return payload + str(luhn_check_digit(payload))


def single_digit_changes(number: str) -> list[str]:
    return [
        number[:i] + other + number[i + 1 :]
        for i, digit in enumerate(number)
        for other in "0123456789"
        if other != digit
    ]


# An EFN as the Bundesaerztekammer documents it: 80 (physician), 276 (Germany), 090 (Bavaria's
# chamber), a six-digit serial number, then the Luhn check digit.
EFN = with_check_digit("80276090123456")
RPPS = with_check_digit("1000123456")


# Luhn


def test_luhn_accepts_the_textbook_example_and_computes_its_check_digit() -> None:
    # Independently published values: the classic worked example 7992739871 -> check digit 3, and the
    # well-known Visa test card number.
    assert luhn_check_digit("7992739871") == 3
    assert luhn_valid("79927398713")
    assert luhn_valid("4111111111111111")


def test_luhn_rejects_a_wrong_check_digit() -> None:
    assert not luhn_valid("79927398710")


@pytest.mark.parametrize("digits", ["", "7", "7992739871x", "７９９２７３９８７１３", "79927 398713"])
def test_luhn_rejects_empty_single_or_non_ascii_digit_input(digits: str) -> None:
    assert not luhn_valid(digits)


def test_luhn_check_digit_refuses_non_digits() -> None:
    with pytest.raises(ValueError):
        luhn_check_digit("12a4")


# NPI (United States)


def test_the_documented_npi_example_is_valid() -> None:
    result = check_licence("1234567893", "US")
    assert (result.scheme, result.status) == ("NPI", "valid")
    assert result.message == "Valid NPI (10 digits, check digit correct)"


def test_npi_with_a_wrong_check_digit_is_invalid() -> None:
    result = check_licence("1234567890", "US")
    assert (result.scheme, result.status) == ("NPI", "invalid")
    assert result.message == "Not a valid NPI: the check digit should be 3"


def test_npi_check_uses_the_80840_prefix_not_plain_luhn() -> None:
    # Plain Luhn over 123456789 would want 7; only the 80840 prefix makes 3 right.
    assert luhn_check_digit("123456789") == 7
    assert check_licence("1234567897", "US").status == "invalid"


def test_npi_with_any_single_digit_changed_is_invalid() -> None:
    assert all(check_licence(n, "US").status == "invalid" for n in single_digit_changes("1234567893"))


# EFN (Germany)


def test_efn_with_a_correct_check_digit_is_valid() -> None:
    result = check_licence(EFN, "DE")
    assert (result.scheme, result.status) == ("EFN", "valid")
    assert result.message == "Valid EFN (15 digits, check digit correct)"


def test_efn_with_any_single_digit_changed_is_invalid() -> None:
    assert all(check_licence(n, "DE").status == "invalid" for n in single_digit_changes(EFN))


def test_efn_with_a_wrong_check_digit_names_the_right_one() -> None:
    wrong = EFN[:-1] + str((int(EFN[-1]) + 1) % 10)
    result = check_licence(wrong, "DE")
    assert result.status == "invalid"
    assert result.message == f"Not a valid EFN: the check digit should be {EFN[-1]}"


def test_efn_without_germanys_code_at_digits_3_to_5_is_invalid_even_with_a_good_check_digit() -> None:
    result = check_licence(with_check_digit("80040090123456"), "DE")
    assert result.status == "invalid"
    assert "digits 3 to 5 should be 276" in result.message
    assert "not 040" in result.message


def test_efn_from_another_profession_group_is_accepted() -> None:
    assert check_licence(with_check_digit("81276090123456"), "DE").status == "valid"


# RPPS (France)


def test_rpps_with_a_correct_check_digit_is_valid() -> None:
    result = check_licence(RPPS, "FR")
    assert (result.scheme, result.status) == ("RPPS", "valid")
    assert result.message == "Valid RPPS (11 digits, check digit correct)"


def test_rpps_with_any_single_digit_changed_is_invalid() -> None:
    assert all(check_licence(n, "FR").status == "invalid" for n in single_digit_changes(RPPS))


# Shape of the input


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        ("123456789", "US", "it should have 10 digits, not 9"),
        ("12345678930", "US", "it should have 10 digits, not 11"),
        (EFN[:-1], "DE", "it should have 15 digits, not 14"),
        (RPPS + "0", "FR", "it should have 11 digits, not 12"),
    ],
)
def test_a_number_of_the_wrong_length_is_invalid(number: str, country: str, expected: str) -> None:
    result = check_licence(number, country)
    assert result.status == "invalid"
    assert result.message.endswith(expected)


@pytest.mark.parametrize("number", ["123456789O", "12345.67893", "１２３４５６７８９３", "NPI1234567893"])
def test_a_number_with_other_characters_than_digits_is_invalid(number: str) -> None:
    result = check_licence(number, "US")
    assert result.status == "invalid"
    assert result.message == "Not a valid NPI: it may contain only digits, spaces and hyphens"


@pytest.mark.parametrize("number", ["", "  ", " - "])
def test_an_empty_number_is_invalid_for_a_known_scheme(number: str) -> None:
    result = check_licence(number, "FR")
    assert (result.status, result.message) == ("invalid", "Not a valid RPPS: no number was given")


@pytest.mark.parametrize("number", ["123-456-7893", "1234 5678 93", " 12345-67893 ", "1234\t567893"])
def test_spaces_and_hyphens_in_a_number_are_ignored(number: str) -> None:
    assert check_licence(number, "US").status == "valid"


def test_efn_written_in_groups_is_valid() -> None:
    grouped = f"{EFN[:5]} {EFN[5:8]} {EFN[8:14]}-{EFN[14]}"
    assert check_licence(grouped, "DE").status == "valid"


@pytest.mark.parametrize("country", ["us", " Us ", "US"])
def test_the_country_code_is_read_case_insensitively(country: str) -> None:
    assert check_licence("1234567893", country).status == "valid"


@pytest.mark.parametrize(("country", "name"), [("IT", "Italy"), ("it", "Italy"), ("GB", "United Kingdom")])
def test_a_country_without_a_known_format_asks_for_a_check_by_hand(country: str, name: str) -> None:
    result = check_licence("1234567893", country)
    assert (result.scheme, result.status) == (None, "unknown_format")
    assert result.message == f"No known format for licences from {name}; check it by hand"


def test_a_missing_country_asks_for_a_check_by_hand() -> None:
    result = check_licence("1234567893", "")
    assert result.status == "unknown_format"
    assert "check it by hand" in result.message


# Email domains


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("Anna.Berg@Charite.DE", "charite.de"),
        ('"odd@local"@example.org', "example.org"),
        (" someone@mail.example.com. ", "mail.example.com"),
        ("no-at-sign.example.com", ""),
    ],
)
def test_email_domain_is_the_lowercased_part_after_the_last_at(email: str, domain: str) -> None:
    assert email_domain(email) == domain


@pytest.mark.parametrize(
    "domain", ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "sharklasers.com"]
)
def test_well_known_disposable_domains_are_recognised(domain: str) -> None:
    assert is_disposable(domain)


def test_a_subdomain_of_a_disposable_domain_is_disposable() -> None:
    assert is_disposable("inbox.mailinator.com")


def test_disposable_check_ignores_case() -> None:
    assert is_disposable("YOPmail.COM")


@pytest.mark.parametrize(
    "domain", ["charite.de", "gmail.com", "notmailinator.org", "mailinator.com.example.org"]
)
def test_ordinary_domains_and_lookalikes_are_not_disposable(domain: str) -> None:
    assert not is_disposable(domain)


def test_comments_in_the_disposable_list_are_not_domains() -> None:
    assert not is_disposable("#")
    assert not is_disposable("")


TRUSTED = frozenset({"charite.de", "Uniklinik-Freiburg.DE"})


def test_an_allow_listed_domain_is_trusted() -> None:
    result = domain_verdict("anna@charite.de", TRUSTED)
    assert (result.domain, result.status) == ("charite.de", "trusted")
    assert result.message == "charite.de is on the allow-list"


def test_a_subdomain_of_an_allow_listed_domain_is_trusted_and_says_which_parent() -> None:
    result = domain_verdict("ben@mail.charite.de", TRUSTED)
    assert result.status == "trusted"
    assert result.message == "mail.charite.de is under charite.de, which is on the allow-list"


def test_allow_list_matching_ignores_case_on_both_sides() -> None:
    assert domain_verdict("Cara@UNIKLINIK-freiburg.de", TRUSTED).status == "trusted"


def test_a_domain_that_merely_ends_like_an_allow_listed_one_is_not_trusted() -> None:
    assert domain_verdict("eve@fakecharite.de", TRUSTED).status == "unknown"


def test_a_disposable_address_is_flagged_for_the_reviewer() -> None:
    result = domain_verdict("x@Sub.YOPmail.com", TRUSTED)
    assert (result.domain, result.status) == ("sub.yopmail.com", "disposable")
    assert result.message == "sub.yopmail.com is under yopmail.com, which is a known disposable-mail domain"


def test_the_allow_list_outranks_the_disposable_list() -> None:
    assert domain_verdict("qa@mailinator.com", frozenset({"mailinator.com"})).status == "trusted"


def test_an_ordinary_domain_is_unknown() -> None:
    result = domain_verdict("dr.who@example.org", TRUSTED)
    assert result.status == "unknown"
    assert result.message == "example.org is neither on the allow-list nor a known disposable-mail domain"


def test_an_address_without_a_domain_is_unknown() -> None:
    result = domain_verdict("not-an-address", TRUSTED)
    assert (result.domain, result.status) == ("", "unknown")
