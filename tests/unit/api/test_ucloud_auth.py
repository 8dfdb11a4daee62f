"""UCloud's request signature (spec B2) against the spec's test vectors and a request the unmodified SDK signs."""

from __future__ import annotations

from ucloud.core.auth import Credential

from api.ucloud.auth import signature, string_to_sign, verify

KEY = "46f09bb9fab4f12dfc160dae12273d5332b5debe"
PUBLIC = "ucloudsomeone@example.com1296235120854146120"


def test_the_spec_vectors() -> None:
    params = [
        ("Action", "DescribeUHostInstance"),
        ("Region", "cn-bj2"),
        ("Limit", "10"),
        ("PublicKey", PUBLIC),
    ]
    assert signature(params, KEY) == "cba5cf5ec4d4233d206b1b54951e3787350a642f"
    unprefixed = [(k, v.removeprefix("ucloud")) for k, v in params]
    assert signature(unprefixed, KEY) == "4201919d267504385deb93af19e0197870fed36b"


def test_the_captured_send() -> None:
    params = [
        ("Region", "cn-bj2"), ("ProjectId", "org-abc123"), ("ExtendCode", "01"),
        ("PhoneNumbers.0", "(86)18500000123"), ("PhoneNumbers.1", "18500000124"), ("SigContent", "优刻得"),
        ("TemplateId", "UTA1910164E29F4"), ("TemplateParams.0", "123456"), ("TemplateParams.1", "5"),
        ("UserId", "biz-1"), ("Action", "SendUSMSMessage"), ("PublicKey", PUBLIC),
        ("Signature", "3cfb60990784ecda051e5e9765f20ba0effdb1f7"),
    ]  # fmt: skip
    assert string_to_sign(params, KEY).startswith("ActionSendUSMSMessageExtendCode01PhoneNumbers.0(86)1850")
    assert verify(params, "3cfb60990784ecda051e5e9765f20ba0effdb1f7", KEY)
    assert verify(params, "3CFB60990784ECDA051E5E9765F20BA0EFFDB1F7", KEY)  # hex in either case
    assert not verify(params, "3cfb60990784ecda051e5e9765f20ba0effdb1f8", KEY)
    assert not verify(params, "3cfb60990784ecda051e5e9765f20ba0effdb1f7", KEY + "x")
    changed = [(k, "(86)18500000125" if k == "PhoneNumbers.0" else v) for k, v in params]
    assert not verify(changed, "3cfb60990784ecda051e5e9765f20ba0effdb1f7", KEY)
    assert not verify(params, "", KEY)
    assert not verify(params, "签名", KEY)  # not hex, not even ASCII: refused, no exception


def test_the_sdk_signs_as_we_verify() -> None:
    args = {
        "Action": "SendUSMSMessage",
        "PhoneNumbers.10": "a",
        "PhoneNumbers.2": "b",
        "SigContent": "优刻得 *",
    }
    sent = Credential(PUBLIC, KEY).verify_ac({**args, "PublicKey": PUBLIC})
    assert verify([*args.items(), ("PublicKey", PUBLIC)], sent, KEY)
