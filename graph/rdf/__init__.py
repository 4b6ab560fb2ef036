"""RDF in and out: reading files and untrusted bodies, formats, the URI policy (identity), namespaces, terms in query
text, result formats, and the terms of statements (no RDF-star)."""
