from microwork.missions import services


def test_hm13_questions_without_keys_get_free_keys_next_to_named_ones(acme):
    # given a mission keeping a question named "q2" and adding two without a key
    mission = services.mission_create(
        company=acme,
        title="Shelf photo",
        category="photo",
        instructions="Take a sharp photo of the biscuit shelf, facing it.",
        estimated_minutes=10,
        reward_cents=300,
        places=1,
        questions=[
            {"label": "First", "kind": "short_text"},
            {"key": "q2", "label": "Kept", "kind": "photo"},
            {"label": "Added", "kind": "url"},
        ],
    )
    # then each question has its own key, and the named one keeps its name
    keys = [question["key"] for question in mission.questions]
    assert keys[1] == "q2"
    assert len(set(keys)) == 3
