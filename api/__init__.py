"""ecomap's web application: the SPARQL endpoint, dereferenceable URIs and pages for people."""
