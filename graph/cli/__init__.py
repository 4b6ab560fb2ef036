"""The ``ecomap`` command: ``main`` for the commands on the stores, ``client`` for those that talk to a running
server."""
