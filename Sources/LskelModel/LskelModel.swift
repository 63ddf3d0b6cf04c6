// LskelModel: the value types every process shares (target profile, skeleton
// names, generation errors, the manifest, worker frames, tar, SHA-256).
// Must never import libbpf, BPFObject or the engine: the server links it.
