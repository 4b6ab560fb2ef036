"""ecomap's knowledge graph: identity, store, loading, validation and the ``ecomap`` command line."""
