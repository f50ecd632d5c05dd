"""Filters v2 (and the v1 list) over real HTTP, as Rostra's muted terms."""

import pytest
from mastodon import MastodonNotFoundError

from rostra.accounts.models import KeywordFilter
from rostra.posts import actions as posts


def test_filters_v2_through_mastodon_py_mute_terms(api, people):
    client = api.mastodon("alice")
    made = client.create_filter_v2(
        "Politics", ["home", "public"], "warn",
        keywords_attributes=[{"keyword": "election", "whole_word": True}, {"keyword": "senat", "whole_word": False}],
    )
    assert [k["keyword"] for k in made["keywords"]] == ["election", "senat"]
    assert made["filter_action"] == "hide" and made["context"] == ["home", "notifications", "public", "thread", "account"]
    terms = {t.phrase: t.whole_word for t in KeywordFilter.objects.filter(account=people["alice"])}
    assert terms == {"election": True, "senat": False}
    listed = client.filters_v2()
    assert sorted(f["title"] for f in listed) == ["election", "senat"]
    assert all(len(f["keywords"]) == 1 and f["keywords"][0]["id"] == f["id"] for f in listed)
    posts.create_post(people["bob"], "The election is near")
    posts.create_post(people["bob"], "The senators met")
    posts.create_post(people["bob"], "The cats")
    with api.as_user("alice") as http:
        texts = [s["content"] for s in http.get("/api/v2/search", params={"q": "The", "type": "statuses"}).json()["statuses"]]
    assert len(texts) == 1 and "cats" in texts[0]
    election = next(f for f in listed if f["title"] == "election")
    assert client.filter_v2(election["id"])["title"] == "election"
    assert [k["keyword"] for k in client.filter_keywords_v2(election["id"])] == ["election"]
    added = client.add_filter_keyword_v2(election["id"], "ballot", whole_word=False)
    assert added["keyword"] == "ballot" and added["whole_word"] is False
    client.delete_filter_keyword_v2(added["id"])
    client.delete_filter_v2(election["id"])
    with pytest.raises(MastodonNotFoundError):
        client.filter_v2(election["id"])
    assert [f["title"] for f in client.filters_v2()] == ["senat"]


def test_a_filter_with_only_a_title_mutes_its_title_and_put_changes_keywords(api, people):
    with api.as_user("alice") as http:
        made = http.post("/api/v2/filters", data={"title": "spoilers", "context[]": ["home"]})
        assert made.status_code == 200, made.text
        assert made.json()["keywords"][0]["keyword"] == "spoilers"
        fid = made.json()["id"]
        changed = http.put(
            f"/api/v2/filters/{fid}",
            data={"keywords_attributes[][keyword]": "finale", "keywords_attributes[][whole_word]": "false"},
        )
        assert changed.status_code == 200, changed.text
        assert [k["keyword"] for k in changed.json()["keywords"]] == ["spoilers", "finale"]
        destroyed = http.put(
            f"/api/v2/filters/{fid}", json={"keywords_attributes": [{"id": fid, "_destroy": True}]}
        )
        assert destroyed.status_code == 200 and destroyed.json()["keywords"] == []
        assert http.get(f"/api/v2/filters/{fid}").status_code == 404
        remaining = http.get("/api/v2/filters").json()
        assert [f["title"] for f in remaining] == ["finale"]
        keyword_id = remaining[0]["keywords"][0]["id"]
        renamed = http.put(f"/api/v2/filters/keywords/{keyword_id}", data={"keyword": "last episode"})
        assert renamed.status_code == 200 and renamed.json()["keyword"] == "last episode"
        v1 = http.get("/api/v1/filters").json()
        assert [(f["phrase"], f["irreversible"]) for f in v1] == [("last episode", True)]
        assert http.get(f"/api/v2/filters/{renamed.json()['id']}/statuses").json() == []


def test_filters_refuse_bad_input_and_other_peoples_filters(api, people):
    with api.as_user("alice") as http:
        mine = http.post("/api/v2/filters", json={"title": "mine"}).json()
    with api.as_user("bob") as bob:
        assert bob.get(f"/api/v2/filters/{mine['id']}").status_code == 404
        assert bob.delete(f"/api/v2/filters/{mine['id']}").status_code == 404
        assert bob.delete(f"/api/v2/filters/keywords/{mine['id']}").status_code == 404
        assert bob.get("/api/v2/filters").json() == []
        for bad in ("abc", "9" * 30, "%00"):
            response = bob.get(f"/api/v2/filters/{bad}")
            assert response.status_code == 404 and response.json() == {"error": "Record not found"}
        assert bob.post("/api/v2/filters", json={}).status_code == 422
        assert bob.post("/api/v2/filters", json={"title": "a\x00b"}).status_code == 422
        assert bob.post("/api/v2/filters", json={"title": "x" * 101}).status_code == 422
        assert bob.post("/api/v2/filters", json={"title": "ok", "context": ["kitchen"]}).status_code == 422
        assert bob.post("/api/v2/filters", json={"title": "ok", "filter_action": "explode"}).status_code == 422
        nul_keyword = bob.post("/api/v2/filters", json={"title": "t", "keywords_attributes": [{"keyword": "a\x00"}]})
        assert nul_keyword.status_code == 422
    with api.as_user("alice", scopes="read:filters") as reader:
        assert reader.get("/api/v2/filters").status_code == 200
        assert reader.post("/api/v2/filters", json={"title": "no"}).status_code == 403
    assert KeywordFilter.objects.filter(account=people["bob"]).count() == 0
