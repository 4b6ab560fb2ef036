"""The workflows behind the routes: a router reads its request and calls one of these; none of them imports a
router."""
