// BPFObject: lskel's own reader of untrusted BPF objects (ELF, BTF, BTF.ext,
// instructions) and the kernel's numbers, named once (KernelConstants).
// Pure Swift and total: every malformed input is a typed ObjectReadError.
// Must never import libbpf, Foundation's process APIs, or any other lskel module:
// it runs only inside the sandboxed worker and the command line.
