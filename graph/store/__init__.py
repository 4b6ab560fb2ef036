"""The stores: the interface (``interface``, with its ``Dataset``, ``Answer`` and ``StoreError``), transactions, and two
backends, in process (``embedded``, pyoxigraph) and over the SPARQL 1.1 Protocol (``protocol``, for the web app and
for the command line while ``ecomap serve`` holds the store), with every departure of a store from the standards in
``dialect``. Nothing here knows records, metadata or versions: ``graph.stores`` does."""
