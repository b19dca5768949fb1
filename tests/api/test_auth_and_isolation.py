"""Keys: 401 without a valid key; a key sees only its own jobs (404 otherwise)."""

from __future__ import annotations

from tests.api.conftest import Api


def test_missing_wrong_and_revoked_keys_get_401(api: Api) -> None:
    assert api.as_key("").http.get("/models", headers={"Authorization": ""}).status_code == 401
    wrong = api.as_key(api.key.split(".")[0] + ".not-the-secret").get("/models")
    assert wrong.status_code == 401
    assert wrong.json()["status"] == "UNAUTHORIZED"
    key = api.new_key("short-lived")
    assert api.as_key(key).get("/models").status_code == 200
    api.server.cli("keys", "revoke", key.split(".")[0])
    assert api.as_key(key).get("/models").status_code == 401


def test_secrets_are_not_stored(api: Api) -> None:
    key = api.new_key("hashed")
    secret = key.split(".", 1)[1]
    database = api.server.data_dir / "inferjobs.db"
    if database.exists():  # SQLite: read the file itself
        assert secret.encode() not in database.read_bytes()
    listing = api.server.cli("keys", "list").stdout
    assert key.split(".")[0] in listing and secret not in listing


def test_another_keys_job_is_invisible(api: Api) -> None:
    job_id = api.submit_texts("echo", "1.0.0", {"a": "mine"})
    api.wait(job_id)
    other = api.as_key(api.new_key("other"))
    for response in (
        other.get(f"/jobs/{job_id}"),
        other.get(f"/results/{job_id}"),
        other.get(f"/results/{job_id}/a/results.json"),
        other.get(f"/results/{job_id}/datasource/a/output/results.json"),
        other.delete(f"/jobs/{job_id}"),
        other.post(f"/jobs/{job_id}/close"),
        other.post(f"/jobs/{job_id}/a/input.txt", files={"input": ("input", b"x")}),
    ):
        assert response.status_code == 404, response.text
        assert job_id in response.json()["message"]
    history = other.get("/jobs/history", params={"per-page": 1000}).json()
    assert job_id not in {j["jobIdentifier"] for j in history}
    owner_prefix = api.key.split(".")[0]
    spy = other.get("/jobs/history", params={"accessKey": owner_prefix}).json()
    assert spy == []
    assert api.get(f"/jobs/{job_id}").json()["status"] == "COMPLETED"


def test_admin_key_sees_its_whole_account(api: Api) -> None:
    member = api.as_key(api.new_key("member"))
    job_id = member.submit_texts("echo", "1.0.0", {"a": "x"})
    assert api.get(f"/jobs/{job_id}").status_code == 200  # api.key is the account admin
    stranger = api.as_key(api.new_key("stranger", "--admin", "--account", "elsewhere"))
    assert stranger.get(f"/jobs/{job_id}").status_code == 404
