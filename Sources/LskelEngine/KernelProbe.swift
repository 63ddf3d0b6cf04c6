import CLibbpf
import CLskelHost
import Glibc

/// Questions for the kernel this process runs on, for the tests (whether
/// BPF may be loaded here, and what plain libbpf makes of an object);
/// generation itself never asks the kernel.
public enum KernelProbe {
    /// `nil` when this process may load BPF programs, else why not.
    public static func bpfLoadRefusal() -> String? {
        let result = LoaderGenerator.withLibbpf { _ in
            libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, nil)
        }
        if result == 1 { return nil }
        if result == 0 { return "the kernel does not support socket filter programs" }
        return "loading a trivial BPF program failed: \(String(cString: strerror(-result)))"
    }

    /// Loads `object` the ordinary libbpf way (not through a loader), then
    /// unloads it. `nil` when this kernel accepts every map and program, else
    /// libbpf's reason. Host inputs are this machine's, as for any libbpf user.
    public static func plainLibbpfLoadRefusal(object: [UInt8], name: String) -> String? {
        LoaderGenerator.withLibbpf { log in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: object.count, alignment: 8)
            defer { buffer.deallocate() }
            buffer.copyBytes(from: object)
            return name.withCString { namePointer -> String? in
                var opts = bpf_object_open_opts()
                opts.sz = MemoryLayout<bpf_object_open_opts>.size
                opts.object_name = namePointer
                guard let handle = bpf_object__open_mem(buffer.baseAddress, object.count, &opts) else {
                    return "open failed: " + (log().warnings.last ?? "errno \(errno)")
                }
                defer { bpf_object__close(handle) }
                if bpf_object__load(handle) != 0 {
                    let warnings = log().warnings
                    let reason = warnings.first(where: { $0.includes("failed to load program") || $0.includes("failed to") })
                        ?? warnings.last ?? "errno \(errno)"
                    return reason
                }
                return nil
            }
        }
    }
}
