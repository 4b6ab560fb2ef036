"""HTTP only: read the request (its media type from ``api.negotiation``), call a service, return its answer; a
refusal is raised (``api.errors``), never answered here."""
