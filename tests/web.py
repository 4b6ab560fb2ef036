"""httpx for the tests, with one TLS context shared by every client.

Each httpx client builds its own TLS context unless it is given one, and building one loads the CA bundle: about
30 ms of CPU, though the tests speak plain HTTP to loopback. Made once per request, that was a quarter of the test
process's time. These are httpx's own functions with that one argument added; everything else is httpx's."""

from __future__ import annotations

from functools import partial

import httpx

TLS = httpx.create_ssl_context()

get = partial(httpx.get, verify=TLS)
post = partial(httpx.post, verify=TLS)
head = partial(httpx.head, verify=TLS)
request = partial(httpx.request, verify=TLS)
stream = partial(httpx.stream, verify=TLS)
Client = partial(httpx.Client, verify=TLS)
HTTPTransport = partial(httpx.HTTPTransport, verify=TLS)
