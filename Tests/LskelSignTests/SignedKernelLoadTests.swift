import Foundation
import LskelModel
import LskelTestSupport
import Testing
@testable import LskelEngine
@testable import LskelSign

/// A signed loader in this host's kernel (Linux 6.18 without
/// CONFIG_SYSTEM_DATA_VERIFICATION: it cannot verify signatures, but it has
/// exclusive maps and map hashes). A C driver compiled against the signed header.
@Suite("Signed loaders in this kernel")
struct SignedKernelLoadTests {
    static let bpfRefusal: String? = KernelProbe.bpfLoadRefusal()
    static let fixture = "rt_execsnoop"

    static let driver = #"""
    #include <errno.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include "skel.lskel.h"

    static unsigned char *slurp(const char *path, size_t *len)
    {
    	FILE *f = fopen(path, "rb");
    	if (!f) { perror(path); exit(2); }
    	fseek(f, 0, SEEK_END); *len = ftell(f); rewind(f);
    	unsigned char *bytes = malloc(*len + 1);
    	if (fread(bytes, 1, *len, f) != *len) exit(2);
    	fclose(f);
    	return bytes;
    }

    int main(int argc, char **argv)
    {
    	const char *mode = argv[1];
    	struct SKEL *skel = SKEL__open();
    	if (!skel) return 2;
    	if (!strcmp(mode, "load")) {
    		int err = SKEL__load(skel);
    		printf("load %d\n", err);
    		return 0;
    	}
    	size_t insns_len, data_len, hash_len, sig_len;
    	unsigned char *insns = slurp(argv[2], &insns_len), *data = slurp(argv[3], &data_len);
    	unsigned char *hash = slurp(argv[4], &hash_len), *sig = slurp(argv[5], &sig_len);
    	if (!strcmp(mode, "tamper-data")) data[data_len / 2] ^= 1;
    	/* libbpf's loader ends "r0 = 0; exit": another program, the same but r0 = 1. */
    	if (!strcmp(mode, "tamper-insns")) insns[insns_len - 16 + 4] ^= 1;
    	struct lskel_signed_load_opts opts = {
    		.ctx = (struct bpf_loader_ctx *)skel, .data = data, .insns = insns,
    		.data_sz = data_len, .insns_sz = insns_len, .keyring_id = KEY_SPEC_SESSION_KEYRING,
    		.excl_prog_hash = hash, .excl_prog_hash_sz = hash_len,
    	};
    	if (!strcmp(mode, "signed")) { opts.signature = sig; opts.signature_sz = sig_len; }
    	int err = lskel_signed_load_and_run(&opts);
    	printf("run %d %s\n", err, opts.errstr ? opts.errstr : "");
    	printf("first-prog-fd %d\n", skel->progs.FIRST_PROG.prog_fd);
    	return 0;
    }
    """#

    struct Built {
        var directory: String
        var binary: String
        var files: [String]
    }

    /// The signed header of the fixture, its blobs and a compiled driver.
    static func build(scheme: SignatureScheme) throws -> Built {
        let keys = try SigningTests.keypair()
        let key = try SigningKey(name: "lskel-test", keyPath: keys.key, certificatePath: keys.cert)
        let name = Fixtures.skeletonName(fixture)
        let loader = try LoaderGenerator.generate(object: try Fixtures.bytes(fixture), name: name, profile: Fixtures.hostProfile)
        let signed = try LoaderSigning.sign(header: loader.header, name: name, insns: loader.insns, data: loader.data,
                                            scheme: scheme, key: key)
        let directory = keys.directory
        try Data(signed.header.utf8).write(to: URL(fileURLWithPath: directory + "/skel.lskel.h"))
        let files = ["insns", "data", "hash", "sig"].map { directory + "/" + $0 }
        let hash = SignableLoader(insns: loader.insns, data: loader.data, scheme: scheme).exclProgHash
        for (file, bytes) in zip(files, [signed.insns, signed.data, hash, signed.signature]) {
            try Data(bytes).write(to: URL(fileURLWithPath: file))
        }
        let firstProgram = try #require(loader.programs.first?.name)
        let source = driver.replacingOccurrences(of: "SKEL", with: name).replacingOccurrences(of: "FIRST_PROG", with: firstProgram)
            .replacingOccurrences(of: "\"\(name).lskel.h\"", with: "\"skel.lskel.h\"")
        try Data(source.utf8).write(to: URL(fileURLWithPath: directory + "/driver.c"))
        let gcc = try #require(Shell.which("gcc"))
        let compiled = try Shell.run(gcc, ["-Wall", "-Werror", "-o", directory + "/driver", directory + "/driver.c"])
        #expect(compiled.status == 0, "the signed header compiles against Debian 12's libbpf headers: \(compiled.stderrText)")
        return Built(directory: directory, binary: directory + "/driver", files: files)
    }

    static func run(_ built: Built, _ mode: String) throws -> [String: String] {
        let result = try Shell.run(built.binary, [mode] + built.files)
        var fields: [String: String] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            fields[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return fields
    }

    @Test("loader-hash here: a signed load is EOPNOTSUPP (\"this kernel cannot verify signatures\"); unsigned, the loader's own check passes intact data, refuses tampered data before creating anything, and the exclusive map refuses another program",
          .enabled(if: bpfRefusal == nil, Comment(rawValue: "BPF is not permitted here: \(bpfRefusal ?? "")")))
    func loaderHashHere() throws {
        let built = try Self.build(scheme: .loaderHash)
        defer { try? FileManager.default.removeItem(atPath: built.directory) }
        #expect(try Self.run(built, "load")["load"] == "-95", "the header's __load")
        let signed = try Self.run(built, "signed")
        #expect(signed["run"] == "-95 this kernel cannot verify signatures", "\(signed)")
        let intact = try Self.run(built, "unsigned")
        #expect(intact["run"]?.hasPrefix("0 ") == true, "\(intact)")
        #expect((Int(intact["first-prog-fd"] ?? "") ?? 0) > 0, "\(intact)")
        let tampered = try Self.run(built, "tamper-data")
        #expect(tampered["run"]?.hasPrefix("-22 ") == true && tampered["first-prog-fd"] == "0",
                "the loader's check refuses tampered data before any program: \(tampered)")
        let other = try Self.run(built, "tamper-insns")
        #expect(other["run"] == "-13 failed to load the loader program", "the exclusive map refuses another program: \(other)")
    }

    @Test("kernel-hash here: no check of ours in the loader; a signed load is EOPNOTSUPP too",
          .enabled(if: bpfRefusal == nil, Comment(rawValue: "BPF is not permitted here: \(bpfRefusal ?? "")")))
    func kernelHashHere() throws {
        let built = try Self.build(scheme: .kernelHash)
        defer { try? FileManager.default.removeItem(atPath: built.directory) }
        #expect(try Self.run(built, "signed")["run"] == "-95 this kernel cannot verify signatures")
        let intact = try Self.run(built, "unsigned")
        #expect(intact["run"]?.hasPrefix("0 ") == true, "\(intact)")
    }
}
