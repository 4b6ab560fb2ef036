"""HTTP only: parse the request, call the store through ``api.upstream``, pick a renderer."""
