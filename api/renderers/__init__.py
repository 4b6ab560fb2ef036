"""What answers look like: HTML pages (Jinja2, ``templates/``), the document page's groups, JSON-LD, the
SPARQL service description, the model diagram."""
