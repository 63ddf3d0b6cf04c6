// LskelServer: the HTTP service (routes in the v1 group, uploads, the store,
// problems, metrics, connection limits). Generates only through LskelPool; must
// never import libbpf, BPFObject or the engine.
