"""My Clients: who sees which clients, search and filter, and a constant query count."""

from __future__ import annotations

from django.urls import reverse

from teletherapy.test.personas import make_client


def _names(response) -> str:
    return response.content.decode()


def test_therapist_sees_only_assigned_clients(cast) -> None:
    page = _names(cast.client_for("therapist_plain").get(reverse("clients:list")))
    assert "Client, Casey" in page
    assert "Noportal, Nora" not in page
    assert "ZZSECRET" not in page


def test_owner_manager_scheduler_see_the_whole_practice_only(cast) -> None:
    for persona in ("owner", "manager", "scheduler"):
        page = _names(cast.client_for(persona).get(reverse("clients:list")))
        assert "Client, Casey" in page and "Noportal, Nora" in page, persona
        assert "ZZSECRET" not in page, persona


def test_search_by_name_or_email_and_filter_by_status(cast) -> None:
    make_client(cast.practice, "Irene", "Inactive", is_active=False, email="irene@mail.test")
    http = cast.client_for("owner")
    url = reverse("clients:list")
    by_name = _names(http.get(url, {"q": "nora"}))
    assert "Noportal, Nora" in by_name and "Client, Casey" not in by_name
    by_email = _names(http.get(url, {"q": "casey.client@"}))
    assert "Client, Casey" in by_email and "Noportal, Nora" not in by_email
    assert "Inactive, Irene" not in _names(http.get(url))
    inactive = _names(http.get(url, {"status": "inactive"}))
    assert "Inactive, Irene" in inactive and "Client, Casey" not in inactive
    assert "Inactive, Irene" in _names(http.get(url, {"status": "all", "q": "irene@"}))
    # An unknown filter falls back to active clients instead of failing.
    assert http.get(url, {"status": "bogus"}).status_code == 200


def test_list_query_count_is_constant(cast, django_assert_num_queries) -> None:
    http = cast.client_for("owner")
    url = reverse("clients:list")
    http.get(url)  # warm the session
    with django_assert_num_queries(7) as first:
        http.get(url)
    for n in range(12):
        make_client(
            cast.practice, f"Extra{n}", "Person", therapists=[cast.therapist, cast.therapist_plain]
        )
    with django_assert_num_queries(len(first.captured_queries)):
        response = http.get(url)
    assert "Person, Extra11" in response.content.decode()
