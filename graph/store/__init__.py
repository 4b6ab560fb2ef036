"""The stores: the interface (``interface``), transactions, and the backends (in process, ``embedded``; over the SPARQL
1.1 Protocol, ``protocol`` for the web app and ``remote`` for the command line), with every departure of a store from
the standards in ``dialect``."""
