from microwork.core.models import IdempotencyRecord
from microwork.testing import PASSWORD, api_as


def test_a_token_answer_is_never_stored_for_replay(alice):
    # given a token request carrying an Idempotency-Key
    response = api_as(None).post("/tokens", {"email": alice.email, "password": PASSWORD}, key="login-1")
    # then a token is issued, and its clear value is kept in no replay record
    assert response.status_code == 201
    assert not IdempotencyRecord.objects.exists()
