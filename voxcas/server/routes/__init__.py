"""One router per resource of the HTTP API: runs, objects, bundles, refs, gc, meta (health, primitives)."""
