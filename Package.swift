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
    .linkedLibrary("crypto"),
]

let package = Package(
    name: "lskeld",
    products: [
        .executable(name: "lskel", targets: ["lskel"]),
        .executable(name: "lskel-worker", targets: ["lskel-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
            path: "Sources/BPFObject"
        ),
        // Value types shared by every process: profile, errors, manifest. No C, no libbpf.
        .target(
            name: "LskelModel",
            path: "Sources/LskelModel"
        ),
        // The generation pipeline: profile, libbpf gen-loader run, header renderer.
        .target(
            name: "LskelEngine",
            dependencies: ["CLibbpf", "CLskelHost", "LskelModel", "BPFObject"],
            path: "Sources/LskelEngine"
        ),
        // The worker's lock-down: namespaces, empty root, capabilities, seccomp, rlimits.
        .target(
            name: "CLskelSandbox",
            path: "Sources/CLskelSandbox",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("seccomp")]
        ),
        // Pre-spawned sandboxed workers and the job queue. Never links libbpf or the reader.
        .target(
            name: "CLskelSpawn",
            path: "Sources/CLskelSpawn",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .target(
            name: "LskelPool",
            dependencies: ["LskelModel", "CLskelSpawn"],
            path: "Sources/LskelPool"
        ),
        // The single-use sandboxed worker: one framed request on stdin, one answer on stdout.
        .executableTarget(
            name: "lskel-worker",
            dependencies: ["LskelEngine", "CLskelSandbox"],
            path: "Sources/lskel-worker",
            linkerSettings: [
                .unsafeFlags(["-static-stdlib"]),
                .linkedLibrary("_FoundationCollections"),
                .linkedLibrary("_FoundationCShims"),
            ]
        ),
        .executableTarget(
            name: "lskel",
            dependencies: [
                "LskelEngine",
                "BPFObject",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/lskel"
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
            dependencies: ["LskelPool", "LskelEngine", "LskelTestSupport"],
            path: "Tests/LskelPoolTests"
        ),
        .testTarget(
            name: "LskelEngineTests",
            dependencies: ["LskelEngine", "LskelTestSupport", "lskel"],
            path: "Tests/LskelEngineTests"
        ),
    ]
)
