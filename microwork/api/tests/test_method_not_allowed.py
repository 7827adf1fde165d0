from microwork.testing import api_as


def test_a_wrong_method_on_the_api_is_a_problem_with_the_allowed_methods(acme):
    # when a company sends PUT to an endpoint that takes GET only
    response = api_as(acme).client.put("/api/v1/me/wallet", "{}", content_type="application/json")
    # then the answer is a 405 problem+json naming what is allowed
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "method_not_allowed"
    assert body["status"] == 405
    assert "GET" in response["Allow"]


def test_pages_keep_django_s_own_405(client):
    # the logout page takes POST only; pages are not API answers
    response = client.get("/deconnexion/")
    assert response.status_code == 405
    assert response["Content-Type"] != "application/problem+json"
