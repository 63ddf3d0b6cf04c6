import Foundation
import LskelModel

/// The `.lskel.h` of a signed loader, made from the unsigned one (bpftool's
/// bytes, see ``HeaderRenderer``): the same skeleton with
/// - the loader runtime of ``SignedRuntime`` after `skel_internal.h` (Debian 12's
///   cannot pass a signature, a keyring or an exclusive map's program hash),
/// - `__s32 keyring_id` at the end of the skeleton, set by `__open` to the session
///   keyring (the caller may change it before `__load`),
/// - in `__load`, the signed instructions, `opts_sig` (the CMS signature, DER) and
///   `opts_excl_hash` (the data map's program hash), and the runtime's call in place
///   of `bpf_load_and_run`.
/// Names follow upstream bpftool's signed skeletons where they have the same thing.
public enum SignedHeader {
    public struct RenderError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func render(unsigned header: String, name: String, loader: SignableLoader, signature: [UInt8]) throws(RenderError) -> String {
        var text = header
        func replace(_ anchor: String, with replacement: String, what: String) throws(RenderError) {
            guard let range = text.range(of: anchor) else {
                throw RenderError(description: "the unsigned header has no \(what) to sign")
            }
            text.replaceSubrange(range, with: replacement)
        }
        try replace("#include <bpf/skel_internal.h>\n", with: "#include <bpf/skel_internal.h>\n" + SignedRuntime.source, what: "skel_internal.h include")
        // The skeleton struct ends at the first "};" at the start of a line after its opening.
        guard let open = text.range(of: "\nstruct \(name) {\n"),
              let close = text.range(of: "\n};\n", range: open.upperBound..<text.endIndex) else {
            throw RenderError(description: "the unsigned header has no struct \(name) to sign")
        }
        text.replaceSubrange(close, with: "\n\t__s32 keyring_id;\n};\n")
        guard let sizeLine = text.range(of: "\tskel->ctx.sz = "),
              let sizeEnd = text.range(of: ";\n", range: sizeLine.upperBound..<text.endIndex) else {
            throw RenderError(description: "the unsigned header's __open sets no context size")
        }
        text.insert(contentsOf: "\tskel->keyring_id = KEY_SPEC_SESSION_KEYRING;\n", at: sizeEnd.upperBound)
        try replace("\tstruct bpf_load_and_run_opts opts = {};\n", with: "\tstruct lskel_signed_load_opts opts = {};\n", what: "load options")
        guard let insnsStart = text.range(of: "\topts.insns_sz = "),
              let callRange = text.range(of: "\terr = bpf_load_and_run(&opts);\n", range: insnsStart.upperBound..<text.endIndex) else {
            throw RenderError(description: "the unsigned header's __load has no loader instructions")
        }
        var load: [UInt8] = Array("\topts.insns_sz = \(loader.insns.count);\n\topts.insns = (void *)\"\\\n".utf8)
        CHexLiteral.append(loader.insns, to: &load)
        load += Array("\";\n\t{\n\t\tstatic const char opts_sig[] __attribute__((__aligned__(8))) = \"\\\n".utf8)
        CHexLiteral.append(signature, to: &load)
        load += Array("\";\n\t\tstatic const char opts_excl_hash[] __attribute__((__aligned__(8))) = \"\\\n".utf8)
        CHexLiteral.append(loader.exclProgHash, to: &load)
        load += Array("""
            ";

            \t\topts.signature = (void *)opts_sig;
            \t\topts.signature_sz = sizeof(opts_sig) - 1;
            \t\topts.excl_prog_hash = (void *)opts_excl_hash;
            \t\topts.excl_prog_hash_sz = sizeof(opts_excl_hash) - 1;
            \t\topts.keyring_id = skel->keyring_id;
            \t\topts.kernel_checks_data = \(loader.scheme == .kernelHash ? 1 : 0);
            \t}
            \terr = lskel_signed_load_and_run(&opts);

            """.utf8)
        text.replaceSubrange(insnsStart.lowerBound..<callRange.upperBound, with: String(decoding: load, as: UTF8.self))
        return text
    }
}
