"""The URI policy: one pattern for things, documents, record graphs; keys minted once; one canonical base."""

import pytest
from conftest import one_pass_only

from graph.rdf.identity import Identity, UriClass, mint_key
from graph.settings import SettingsError, normalise_base_uri

pytestmark = one_pass_only

identity = Identity("http://127.0.0.1:8000")


def test_things_documents_and_record_graphs_share_class_and_key():
    assert identity.thing(UriClass.ORGANISATION, "odi") == "http://127.0.0.1:8000/id/organisation/odi"
    assert identity.document(UriClass.ORGANISATION, "odi") == "http://127.0.0.1:8000/doc/organisation/odi"
    assert identity.record_graph(UriClass.PLACE, "E12000001") == "http://127.0.0.1:8000/data/place/E12000001"


def test_a_record_graph_names_the_thing_it_is_about():
    graph = identity.record_graph(UriClass.RELATIONSHIP, "odi-supports-ndsi-team-mapping-pilot")
    assert identity.topic_of_record(graph) == identity.thing(
        UriClass.RELATIONSHIP, "odi-supports-ndsi-team-mapping-pilot"
    )
    assert identity.topic_of_record(identity.thing(UriClass.ACTIVITY, "x")) is None


@pytest.mark.parametrize(
    "iri",
    [
        "http://127.0.0.1:8000/id/company/odi",  # an organisation's kind is never a URI class
        "http://127.0.0.1:8000/id/organisation",
        "http://127.0.0.1:8000/id/organisation/odi/extra",
        "http://elsewhere.example/id/organisation/odi",
        "http://127.0.0.1:8000/id/organisation/has space",
    ],
)
def test_iris_outside_the_pattern_are_not_ecomap_things(iri):
    assert identity.parse(iri) is None


def test_parse_round_trips_every_class():
    for uri_class in UriClass:
        ref = identity.parse(identity.thing(uri_class, "key-1"))
        assert ref is not None and (ref.space, ref.uri_class, ref.key) == ("id", uri_class, "key-1")


def test_keys_are_minted_from_the_label_once_and_collisions_get_a_suffix():
    taken = {"north-east", "north-east-2"}
    assert mint_key("North East", taken.__contains__) == "north-east-3"
    assert mint_key("Ysgol Gymraeg Ŵyr & Ŷd", lambda key: False) == "ysgol-gymraeg-wyr-yd"
    assert mint_key("!!!", lambda key: False) == "unnamed"


def test_invalid_keys_are_refused():
    with pytest.raises(ValueError, match="not a valid key"):
        identity.thing(UriClass.ORGANISATION, "Open Data Institute")


@pytest.mark.parametrize("value", ["http://127.0.0.1:8000/", "https://ecomap.example.org/", " https://x.example "])
def test_the_base_uri_is_normalised_without_a_trailing_slash(value):
    assert not normalise_base_uri(value).endswith("/")


@pytest.mark.parametrize("value", ["ecomap.example.org", "ftp://x.example", "https://x.example/?q=1", "https://x#f"])
def test_unusable_base_uris_are_refused_with_an_example(value):
    with pytest.raises(SettingsError, match="http"):
        normalise_base_uri(value)
