"""Rule B4: wherever a message record is displayed, numbers are masked, and so are the values a customer put into
a template's variables ("1002" shows as "1**2", as in the rule's own example)."""

from __future__ import annotations

import pytest

from core.domain.masking import mask_content, mask_number, mask_value

TOP_UP = "Dear customer, your top-up payment of {1} USD has been credited"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("1002", "1**2"),  # the seed's example
        ("123456", "1****6"),
        ("abc", "a*c"),
        ("12", "**"),  # two characters or fewer: nothing is shown
        ("7", "*"),
        ("", ""),
    ],
)
def test_a_value_shows_only_its_first_and_last_character(value: str, masked: str) -> None:
    assert mask_value(value) == masked


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+8613800138000", "+86138****8000"),  # country code, a carrier prefix and the last 4 digits
        # Shorter numbers keep a shorter prefix: at least 4 digits are always hidden.
        ("+14155552671", "+141****2671"),
        ("+447911123456", "+4479****3456"),
        ("+85291234567", "+852****4567"),
        ("+1234", "+1**4"),  # too short to keep 9 digits: masked like a value
    ],
)
def test_a_number_keeps_its_prefix_and_last_four_digits(e164: str, masked: str) -> None:
    assert mask_number(e164) == masked
    assert len(mask_number(e164)) == len(e164)


def test_a_signature_is_not_swallowed_by_a_leading_variable() -> None:
    assert (
        mask_content("【Acme】123456 is your code", "{1} is your code", "Acme")
        == "【Acme】1****6 is your code"
    )
    assert (
        mask_content("[Acme] 123456 is your code", "{1} is your code", "Acme") == "[Acme] 1****6 is your code"
    )


def test_masked_mainland_number_does_not_contain_the_subscriber_digits() -> None:
    assert "0013800" not in mask_number("+8613800138000")


@pytest.mark.parametrize(
    ("content", "template", "masked"),
    [
        # The seed's example: the amount is the variable.
        (
            "Dear customer, your top-up payment of 1002 USD has been credited",
            TOP_UP,
            "Dear customer, your top-up payment of 1**2 USD has been credited",
        ),
        # Several variables, each masked on its own; the template's own words untouched.
        (
            "Your code is 482913, valid for 15 minutes.",
            "Your code is {1}, valid for {2} minutes.",
            "Your code is 4****3, valid for ** minutes.",
        ),
        (
            "Order A1234567 ships to Room 1205 on Friday",
            "Order {1} ships to {2} on {3}",
            "Order A******7 ships to R*******5 on F****y",
        ),
        # A variable at the very start and at the very end of the template.
        ("482913 is your code", "{1} is your code", "4****3 is your code"),
        ("Your code is 482913", "Your code is {1}", "Your code is 4****3"),
        ("Hi Alice, code 482913", "Hi {1}, code {2}", "Hi A***e, code 4****3"),
        # The same variable used twice: the text between them is the template's own.
        ("1002 then 1002", "{1} then {1}", "1**2 then 1**2"),
        # A value with template punctuation and regex characters in it is still one value.
        ("Amount: 1,002.50 (USD) ok", "Amount: {1} (USD) ok", "Amount: 1******0 (USD) ok"),
        # Text the signature put in front is kept when the template matches the rest.
        (
            "【Bank】Dear customer, your top-up payment of 1002 USD has been credited",
            TOP_UP,
            "【Bank】Dear customer, your top-up payment of 1**2 USD has been credited",
        ),
        # Multi-line content matches too.
        ("Line one\ncode 482913", "Line one\ncode {1}", "Line one\ncode 4****3"),
    ],
)
def test_content_masks_the_template_variables(content: str, template: str, masked: str) -> None:
    assert mask_content(content, template) == masked


@pytest.mark.parametrize(
    ("content", "template"),
    [
        # The template was changed after the send: it no longer matches the content.
        ("Your payment of 1002 USD arrived", TOP_UP),
        # The template is gone (the LEFT JOIN found nothing).
        ("Your payment of 1002 USD arrived", None),
        ("Your payment of 1002 USD arrived", ""),
    ],
)
def test_content_that_does_not_match_its_template_masks_digit_runs(
    content: str, template: str | None
) -> None:
    assert mask_content(content, template) == "Your payment of 1**2 USD arrived"


def test_digit_run_fallback_hides_codes_and_numbers_in_free_text() -> None:
    masked = mask_content("Code 482913 for 8613800138000, ref 7", None)
    assert masked == "Code 4****3 for 8***********0, ref 7"
    assert "482913" not in masked and "13800138000" not in masked


def test_content_without_variables_is_shown_as_is() -> None:
    assert mask_content("Welcome aboard", "Welcome aboard") == "Welcome aboard"
