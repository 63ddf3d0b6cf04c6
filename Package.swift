// swift-tools-version:6.0
import PackageDescription

/// libbpf is linked statically (Debian's libbpf-dev ships libbpf.a) so that the
/// host reads libbpf makes in gen-loader mode can be redirected to the request's
/// target profile with `--wrap`. See Sources/CLskelHost/host_inputs.c.
let libbpfStaticLink: [LinkerSetting] = [
    .unsafeFlags([
        "-Xlinker", "--wrap=uname",
        "-Xlinker", "--wrap=fopen",
        "-Xlinker", "--wrap=fopen64",
        "-Xlinker", "--wrap=gzopen",
        "-Xlinker", "--wrap=gzopen64",
        "-Xlinker", "--wrap=sysconf",
        "-Xlinker", "--wrap=getpagesize",
        "-Xlinker", "--wrap=bpf_gen__init",
        "-Xlinker", "--wrap=bpf_gen__prog_load",
        "-Xlinker", "--wrap=bpf_gen__record_extern",
        "-Xlinker", "--wrap=bpf_gen__record_relo_core",
        "-Xlinker", "--wrap=bpf_gen__record_attach_target",
        "-Xlinker", "-l:libbpf.a",
    ]),
    .linkedLibrary("elf"),
    .linkedLibrary("z"),
]

/// What the lean `lskel` is built from goes without the string-processing library (and
/// Foundation): each library linked adds its conformance records to every run-time
/// conformance lookup of a fresh process. This keeps it from being used by accident. Its
/// generic types' metadata is reached through accessors, not mangled names: a fresh process
/// demangled some seventy of them (a tenth of a small object's `lskel gen`).
let noStringProcessing: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import",
                                                         "-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"])]

let package = Package(
    name: "lskeld",
    products: [
        .executable(name: "lskel", targets: ["lskel"]),
        .executable(name: "lskel-tool", targets: ["lskel-tool"]),
        .executable(name: "lskel-worker", targets: ["lskel-worker"]),
        .executable(name: "lskeld", targets: ["lskeld"]),
        .executable(name: "lskel-bench", targets: ["lskel-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // libbpf's public headers (libbpf-dev).
        .systemLibrary(name: "CLibbpf", path: "Sources/CLibbpf"),
        // Host-input redirection, log capture and BTF dumping helpers around libbpf.
        .target(
            name: "CLskelHost",
            dependencies: ["CLibbpf"],
            path: "Sources/CLskelHost",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: libbpfStaticLink
        ),
        // Pure-Swift reader of untrusted BPF objects (ELF, BTF, BTF.ext, instructions). No libbpf.
        .target(
            name: "BPFObject",
            path: "Sources/BPFObject",
            swiftSettings: noStringProcessing
        ),
        // Value types shared by every process: profile, errors, manifest, worker messages. No libbpf.
        .target(
            name: "LskelModel",
            dependencies: ["CLskelSystem"],
            path: "Sources/LskelModel",
            swiftSettings: noStringProcessing
        ),
        // The model through Foundation: the content key (the profile as Foundation's sorted-keys
        // JSON), the manifest's reference encoding and decoding. Kept out of LskelModel so that the
        // lean `lskel` links no Foundation.
        .target(
            name: "LskelCoding",
            dependencies: ["LskelModel"],
            path: "Sources/LskelCoding"
        ),
        // The generation pipeline: profile, libbpf gen-loader run, header renderer.
        .target(
            name: "LskelEngine",
            dependencies: ["CLibbpf", "CLskelHost", "CLskelSystem", "LskelModel", "BPFObject"],
            path: "Sources/LskelEngine",
            swiftSettings: noStringProcessing
        ),
        // The worker's lock-down: namespaces, empty root, capabilities, seccomp, rlimits.
        .target(
            name: "CLskelSandbox",
            path: "Sources/CLskelSandbox",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("seccomp")]
        ),
        // glibc and libcrypto shims (pipe2, closefrom, SHA-256) shared by every process.
        .target(
            name: "CLskelSystem",
            path: "Sources/CLskelSystem",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        // CMS signing and key handling (OpenSSL's libcrypto). The server and the CLI only: never the worker.
        .target(
            name: "CLskelSign",
            path: "Sources/CLskelSign",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .target(
            name: "LskelSign",
            dependencies: ["CLskelSign", "LskelModel", "BPFObject"],
            path: "Sources/LskelSign",
            exclude: ["signed_runtime.h"]
        ),
        // The fork server client, pre-forked jobs and the job queue. Never links libbpf or the reader.
        .target(
            name: "LskelPool",
            dependencies: ["LskelModel", "CLskelSystem", .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/LskelPool"
        ),
        // The sandboxed worker: a fork server that forks one locked-down job per request
        // (one framed request on stdin, one answer on stdout).
        .executableTarget(
            name: "lskel-worker",
            dependencies: ["LskelEngine", "BPFObject", "CLskelSandbox", "CLskelSystem"],
            path: "Sources/lskel-worker",
            exclude: ["warm.bpf.c"],
            linkerSettings: [
                // A position-independent executable: the process that parses untrusted objects keeps
                // address-space randomisation. Static (a fixed address) was 0.2-0.4 ms of CPU per job
                // cheaper, and glibc's static-pie start fails with Swift's static runtime.
                .unsafeFlags(["-static-stdlib", "-Xlinker", "-z", "-Xlinker", "now"]),
                .linkedLibrary("_FoundationCollections"),
                .linkedLibrary("_FoundationCShims"),
            ]
        ),
        // Verification guests: Debian kernels under qemu, each with the guest agent (deploy/guest).
        .target(
            name: "LskelVerify",
            dependencies: ["CLskelSystem", "LskelModel"],
            path: "Sources/LskelVerify"
        ),
        // The HTTP service: routes, cache, problem details, metrics. Generation only through LskelPool.
        .target(
            name: "LskelServer",
            dependencies: [
                "LskelModel", "LskelCoding", "LskelPool", "LskelVerify", "LskelSign",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Sources/LskelServer"
        ),
        .executableTarget(
            name: "lskeld",
            dependencies: [
                "CLskelSystem",
                "LskelServer",
                "LskelSign",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/lskeld"
        ),
        // The generation `lskel gen` runs, shared by `lskel` and `lskel-tool`: no Foundation, no argument parser.
        .target(
            name: "LskelGen",
            dependencies: ["LskelEngine", "LskelModel", "BPFObject", "CLskelSystem"],
            path: "Sources/LskelGen",
            swiftSettings: noStringProcessing
        ),
        // `lskel`: runs the common `lskel gen` itself and hands every other command line to
        // lskel-tool. A static executable without Foundation, NIO or the argument parser: a
        // small object's whole run was 10 ms in the full tool, almost all of it starting.
        .executableTarget(
            name: "lskel",
            dependencies: ["LskelGen", "CLskelSystem"],
            path: "Sources/lskel",
            swiftSettings: noStringProcessing,
            linkerSettings: [
                .unsafeFlags(["-static-executable",
                              // The static archives again, after libbpf's references to them.
                              "-Xlinker", "-l:libbpf.a", "-Xlinker", "-l:libelf.a", "-Xlinker", "-l:libz.a"]),
            ]
        ),
        .executableTarget(
            name: "lskel-tool",
            dependencies: [
                "LskelEngine",
                "LskelCoding",
                "LskelGen",
                "LskelSign",
                "BPFObject",
                "LskelVerify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/lskel-tool",
            // Every command with its argument parser; `lskel` hands it what it does not run itself.
            // Swift's runtime statically linked (the dynamic loader spent ~20 ms on Foundation);
            // not position-independent: as a PIE the loader applied 128,000 relative
            // relocations at every start. It runs the user's own objects; the service's
            // worker, which runs untrusted ones, stays a PIE.
            linkerSettings: [
                .unsafeFlags(["-static-stdlib", "-Xlinker", "-no-pie"]),
                .linkedLibrary("CoreFoundation"),
                .linkedLibrary("_FoundationICU"),
                .linkedLibrary("_FoundationCollections"),
                .linkedLibrary("_FoundationCShims"),
                .linkedLibrary("stdc++"),
            ]
        ),
        // The benchmark: bpftool, lskel gen, the in-process pipeline and lskeld on the same objects.
        .executableTarget(
            name: "lskel-bench",
            dependencies: [
                "LskelEngine",
                "LskelVerify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/lskel-bench"
        ),
        .testTarget(
            name: "BPFObjectTests",
            dependencies: ["BPFObject"],
            path: "Tests/BPFObjectTests"
        ),
        // Fixtures, process helpers and tool lookups shared by the test targets.
        .target(
            name: "LskelTestSupport",
            dependencies: ["LskelEngine"],
            path: "Tests/LskelTestSupport"
        ),
        .testTarget(
            name: "LskelPoolTests",
            dependencies: ["LskelPool", "LskelEngine", "LskelTestSupport", "CLskelSystem", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/LskelPoolTests"
        ),
        .testTarget(
            name: "LskelServerTests",
            dependencies: [
                "LskelServer", "LskelEngine", "LskelCoding", "LskelPool", "LskelSign", "LskelTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            path: "Tests/LskelServerTests",
            exclude: ["webform_test.py"]
        ),
        .testTarget(
            name: "LskelSignTests",
            dependencies: ["LskelSign", "LskelEngine", "LskelTestSupport"],
            path: "Tests/LskelSignTests"
        ),
        .testTarget(
            name: "LskelVerifyTests",
            dependencies: ["LskelVerify", "LskelEngine", "LskelSign", "LskelTestSupport"],
            path: "Tests/LskelVerifyTests"
        ),
        // Runs the built `lskel` (`swift build --build-tests` builds it) rather than
        // depending on the target, whose static link flags would reach the test bundle.
        .testTarget(
            name: "LskelEngineTests",
            dependencies: ["LskelEngine", "BPFObject", "LskelGen", "LskelCoding", "LskelTestSupport"],
            path: "Tests/LskelEngineTests"
        ),
    ]
)
