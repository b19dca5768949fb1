"""Constructing `ApiClient`: the two start-up requests, the /api fallback, a bad key."""

from __future__ import annotations

from tests.compat.runner import SdkRunner

CONNECT = """
client = connect(base_url=P["base_url"])
emit({
    "base_url": client.base_url,
    "models": sorted(m.model_id for m in client.models.get_all()),
    "hardware": client.models.hardware_config_options,
})
"""


def test_connect_with_api_base_url(sdk: SdkRunner) -> None:
    out = sdk.run(CONNECT, params={"base_url": sdk.server.api})
    assert out["base_url"] == sdk.server.api
    assert {"ed542963de", "echo", "sleep"} <= set(out["models"])
    # GET /models/requirements/account is read inside the constructor: ACTIVE items only
    assert out["hardware"], "no ACTIVE hardware requirement was returned"
    assert all(item["status"] == "ACTIVE" for item in out["hardware"])


def test_connect_with_trailing_slash(sdk: SdkRunner) -> None:
    out = sdk.run(CONNECT, params={"base_url": sdk.server.api + "/"})
    assert out["base_url"] == sdk.server.api + "/"
    assert "ed542963de" in out["models"]


def test_connect_without_api_suffix_falls_back_to_api(sdk: SdkRunner) -> None:
    out = sdk.run(CONNECT, params={"base_url": sdk.server.url})
    assert out["base_url"] == sdk.server.url + "/api/"
    assert out["base_url"].endswith("/api/")
    assert {"ed542963de", "echo", "sleep"} <= set(out["models"])


def test_connect_host_with_trailing_slash_falls_back_to_api(sdk: SdkRunner) -> None:
    out = sdk.run(CONNECT, params={"base_url": sdk.server.url + "/"})
    assert out["base_url"] == sdk.server.url + "/api/"
    assert "ed542963de" in out["models"]


def test_bad_key_raises_value_error_at_construction(sdk: SdkRunner) -> None:
    prefix = sdk.server.key.split(".")[0]
    out = sdk.run(
        """
        emit({
            name: capture(connect, key=bad)
            for name, bad in P["keys"].items()
        })
        """,
        params={
            "keys": {
                "unknown": "NoSuchPrefix0000000.secretsecretsecret",
                "wrong-secret": f"{prefix}.not-the-right-secret",
                "no-dot": "garbage",
            }
        },
    )
    for name, caught in out.items():
        assert caught["raised"], f"{name}: ApiClient() accepted a bad key"
        assert caught["type"] == "ValueError", (name, caught)
        assert "Cannot initialize the modzy client" in caught["message"], (name, caught)


def test_bad_key_without_api_suffix_raises_value_error(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        emit(capture(connect, key="NoSuchPrefix0000000.secret", base_url=URL))
        """
    )
    assert out["raised"]
    assert out["type"] == "ValueError"
    assert "Cannot initialize the modzy client" in out["message"]
