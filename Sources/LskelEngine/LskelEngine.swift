// LskelEngine: the generation pipeline (libbpf in gen-loader mode with every host
// read answered by the profile, bpftool's differences emulated, the header
// renderer, the manifest). Links libbpf: it runs only in the worker and the CLI,
// never in the server process.
