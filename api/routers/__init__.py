"""HTTP only: parse the request, call the store through ``graph.store.protocol``, pick a renderer."""
