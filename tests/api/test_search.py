"""Search v2, trending hashtags and hashtag details over real HTTP."""

from rostra.accounts import actions as accounts
from rostra.posts import actions as posts
from rostra.posts.models import Visibility
from tests.helpers import make_user


def test_search_v2_through_mastodon_py_finds_accounts_statuses_and_hashtags(api, people):
    alice, bob = people["alice"], people["bob"]
    accounts.update_profile(bob, display_name="Bob Gardener")
    seen = posts.create_post(bob, "Growing #pumpkins this summer")
    posts.create_post(bob, "Secret pumpkins", visibility=Visibility.FOLLOWERS)
    client = api.mastodon("alice")
    found = client.search_v2("pumpkins")
    assert [s["id"] for s in found["statuses"]] == [str(seen.pk)]
    assert [t["name"] for t in found["hashtags"]] == ["pumpkins"]
    tag = found["hashtags"][0]
    assert len(tag["history"]) == 7 and tag["history"][0]["uses"] == "1" and tag["history"][0]["accounts"] == "1"
    assert tag["following"] is False and tag["id"]
    people_found = client.search_v2("gardener", result_type="accounts")
    assert [a["username"] for a in people_found["accounts"]] == ["bob"]
    assert people_found["statuses"] == [] and people_found["hashtags"] == []
    accounts.follow(alice, bob)
    mine = client.search_v2("Secret", result_type="statuses")
    assert len(mine["statuses"]) == 1
    by_bob = client.search_v2("pumpkins", result_type="statuses", account_id=people["carol"].pk)
    assert by_bob["statuses"] == []


def test_anonymous_search_gets_accounts_and_hashtags_but_no_statuses(api, people):
    posts.create_post(people["bob"], "Talking about #bobsleigh with bob")
    with api.http() as anonymous:
        found = anonymous.get("/api/v2/search", params={"q": "bob", "resolve": "true"})
        assert found.status_code == 200, found.text
        assert [a["username"] for a in found.json()["accounts"]] == ["bob"]
        assert found.json()["statuses"] == []
        tags = anonymous.get("/api/v2/search", params={"q": "#bobs"}).json()["hashtags"]
        assert [t["name"] for t in tags] == ["bobsleigh"]
        offset = anonymous.get("/api/v2/search", params={"q": "bob", "offset": 1})
        assert offset.status_code == 401 and "error" in offset.json()


def test_following_offset_and_blocks_shape_the_accounts(api, people):
    alice = people["alice"]
    names = [make_user(f"sam{i}") for i in range(4)]
    accounts.follow(alice, names[2])
    accounts.block(names[3], alice)
    with api.as_user("alice") as http:
        everyone = http.get("/api/v2/search", params={"q": "sam", "type": "accounts"}).json()["accounts"]
        assert sorted(a["username"] for a in everyone) == ["sam0", "sam1", "sam2"]
        followed = http.get("/api/v2/search", params={"q": "sam", "type": "accounts", "following": "true"}).json()
        assert [a["username"] for a in followed["accounts"]] == ["sam2"]
        paged = http.get("/api/v2/search", params={"q": "sam", "type": "accounts", "limit": 1, "offset": 1}).json()
        assert len(paged["accounts"]) == 1 and paged["accounts"][0]["username"] == everyone[1]["username"]


def test_nasty_search_input_never_breaks(api, people):
    posts.create_post(people["bob"], "plain words")
    with api.as_user("alice") as http:
        for q in ("\x00", "a\x00b", "%", "_", "' OR 1=1 --", "\"", "#", "@", "x" * 5000, "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")):
            response = http.get("/api/v2/search", params={"q": q})
            assert response.status_code in (200, 422), (q, response.text)
            assert isinstance(response.json(), dict)
        assert http.get("/api/v2/search", params={"q": "x", "type": "videos"}).status_code == 422
        assert http.get("/api/v2/search", params={"q": "x", "max_id": "zz"}).status_code == 422
        assert http.get("/api/v2/search", params={"q": ""}).json() == {"accounts": [], "statuses": [], "hashtags": []}
    with api.as_user("alice", scopes="read:accounts") as narrow:
        assert narrow.get("/api/v2/search", params={"q": "bob"}).status_code == 403


def test_trends_and_tags(api, people):
    for i, name in enumerate(("tia", "uma", "val")):
        author = make_user(name)
        posts.create_post(author, "#popular #everywhere")
        if i == 0:
            posts.create_post(author, "#lonely")
    posts.create_post(people["bob"], "#hidden for friends", visibility=Visibility.FOLLOWERS)
    client = api.mastodon("alice")
    trending = client.trending_tags()
    assert [t["name"] for t in trending][:2] == ["everywhere", "popular"]
    assert "hidden" not in [t["name"] for t in trending]
    assert trending[0]["history"][0]["accounts"] == "3"
    with api.http() as anonymous:
        assert anonymous.get("/api/v1/trends", params={"limit": 1}).json()[0]["name"] == "everywhere"
        tag = anonymous.get("/api/v1/tags/Popular")
        assert tag.status_code == 200 and tag.json()["name"] == "popular" and tag.json()["following"] is False
        for missing in ("hidden", "nosuchtag", "123", "a b", "%00", "x" * 300):
            response = anonymous.get(f"/api/v1/tags/{missing}")
            assert response.status_code == 404 and response.json() == {"error": "Record not found"}
