// LskelPool: the server's side of the sandbox (the fork server, pre-forked jobs,
// deadlines, output caps, the job queue). Must never import libbpf, BPFObject or
// the engine: objects are parsed only inside the jobs it forks.
