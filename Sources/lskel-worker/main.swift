import CLskelSandbox
import FoundationEssentials
import Glibc
import LskelEngine

/// lskel-worker: locks itself down, says it is ready, reads one request on
/// stdin, answers on stdout and exits. Progress goes to stderr as
/// `phase: <what>` lines so the service can say what a crash interrupted.
///
/// With `--fork-server`, descriptor 0 is a SOCK_SEQPACKET control socket: the
/// worker locks itself down once, sends its ready frame there, then forks one
/// job per control message (see `lskel_fork_server_serve`); each job runs
/// exactly as a single-use worker would, on the descriptors it was sent.
///
///     lskel-worker [--fork-server] [--memory-mib N] [--cpu-seconds N] [--max-request-bytes N] [--allow-test-hostile]
struct WorkerOptions {
    var memoryMiB: UInt64 = 256
    var cpuSeconds: UInt64 = 5
    var maxRequestBytes = 40 << 20
    var allowHostile = false
    var forkServer = false
    /// Test only (with --allow-test-hostile): layers to leave out, as a kernel without them would.
    var simulateMissing: [String] = []

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--memory-mib": memoryMiB = iterator.next().flatMap { UInt64($0) } ?? memoryMiB
            case "--cpu-seconds": cpuSeconds = iterator.next().flatMap { UInt64($0) } ?? cpuSeconds
            case "--max-request-bytes": maxRequestBytes = iterator.next().flatMap { Int($0) } ?? maxRequestBytes
            case "--allow-test-hostile": allowHostile = true
            case "--fork-server": forkServer = true
            case "--simulate-missing-layer": iterator.next().map { simulateMissing.append($0) }
            default: fail("unknown argument \(argument)", status: .usage)
            }
        }
    }
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            exit(WorkerExit.writeFailed.rawValue)
        }
        offset += written
    }
}

func phase(_ text: String) { writeAll(2, Array("phase: \(text)\n".utf8)) }

func fail(_ message: String, status: WorkerExit) -> Never {
    writeAll(2, Array("lskel-worker: \(message)\n".utf8))
    exit(status.rawValue)
}

/// Reads stdin to its end, up to `limit` bytes.
func readRequest(limit: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            fail("reading the request failed: errno \(errno)", status: .readFailed)
        }
        if count == 0 { return bytes }
        guard bytes.count + count <= limit else { fail("the request is larger than \(limit) bytes", status: .requestTooLarge) }
        bytes.append(contentsOf: chunk[0..<count])
    }
}

let layerNames: [(UInt32, String)] = [
    (LSKEL_LAYER_UNPRIVILEGED.rawValue, "unprivileged"), (LSKEL_LAYER_USER_NS.rawValue, "user_namespace"),
    (LSKEL_LAYER_MOUNT_NS.rawValue, "mount_namespace"), (LSKEL_LAYER_NET_NS.rawValue, "network_namespace"),
    (LSKEL_LAYER_IPC_NS.rawValue, "ipc_namespace"), (LSKEL_LAYER_UTS_NS.rawValue, "uts_namespace"),
    (LSKEL_LAYER_PID_NS.rawValue, "pid_namespace"), (LSKEL_LAYER_EMPTY_ROOT.rawValue, "empty_root"),
    (LSKEL_LAYER_NO_CAPS.rawValue, "no_capabilities"), (LSKEL_LAYER_NO_NEW_PRIVS.rawValue, "no_new_privs"),
    (LSKEL_LAYER_SECCOMP.rawValue, "seccomp"), (LSKEL_LAYER_RLIMITS.rawValue, "rlimits"),
]

let options = WorkerOptions(arguments: CommandLine.arguments)
if !options.simulateMissing.isEmpty && !options.allowHostile {
    fail("--simulate-missing-layer is for tests and needs --allow-test-hostile", status: .usage)
}
let encoder = JSONEncoder()
let decoder = JSONDecoder()

// Warm-up, before the sandbox and before saying ready: one whole job on a
// bundled object, so the request path finds the runtime's caches filled and
// its code paged in.
if let warm = try? LoaderGenerator.generateWithManifest(object: warmUpObject, objectName: "warm.bpf.o",
                                                        name: "warm_bpf", profile: TargetProfile()),
   let manifest = try? ManifestJSON.encode(warm.manifest) {
    _ = try? ObjectReader.summary(warmUpObject)
    _ = try? encoder.encode(WorkerAnswer(header: warm.loader.header, manifest: String(decoding: manifest, as: UTF8.self),
                                         libbpfLog: warm.loader.libbpfLog.map(\.text)))
    _ = try? decoder.decode(WorkerRequest.self, from: Data(encoder.encode(WorkerRequest(name: "w", objectName: "w.o", profile: TargetProfile()))))
} else {
    _ = try? encoder.encode(WorkerAnswer())
}

let simulated = layerNames.filter { options.simulateMissing.contains($0.1) }.reduce(UInt32(0)) { $0 | $1.0 }
var limits = lskel_sandbox_limits(address_space_bytes: options.memoryMiB << 20, cpu_seconds: options.cpuSeconds,
                                  file_size_bytes: 16 << 20, open_files: 32, simulate_missing: simulated,
                                  fork_server: options.forkServer)
var report = lskel_sandbox_report()
if lskel_sandbox_apply(&limits, &report) != 0 {
    fail("sandbox failed", status: .sandboxFailed)
}
let failures = withUnsafeBytes(of: &report.failures) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
let sandbox = SandboxReport(layers: layerNames.filter { report.layers & $0.0 != 0 }.map(\.1), failures: failures)
let readyJSON = (try? encoder.encode(WorkerReady(sandbox: sandbox))).map(Array.init) ?? []
if options.forkServer {
    // One datagram on the control socket, then jobs: this returns in each forked job.
    let ready = WorkerFrame.encode(type: WorkerFrame.ready, parts: [readyJSON])
    guard ready.withUnsafeBytes({ write(0, $0.baseAddress, $0.count) }) == ready.count else {
        fail("cannot send the ready message: errno \(errno)", status: .readyFailed)
    }
    guard lskel_fork_server_serve(0, &limits, report.layers) == 0 else { fail("fork server failed", status: .forkServerFailed) }
} else {
    writeAll(1, WorkerFrame.encode(type: WorkerFrame.ready, parts: [readyJSON]))
}

phase("reading the request")
let frameBytes = readRequest(limit: options.maxRequestBytes)
guard let frame = try? WorkerFrame.decode(frameBytes, maxBytes: options.maxRequestBytes),
      frame.type == WorkerFrame.request, frame.parts.count == 2,
      let request = try? decoder.decode(WorkerRequest.self, from: Data(frame.parts[0]))
else {
    fail("malformed request frame", status: .badRequest)
}
let object = frame.parts[1]

func answer(_ answer: WorkerAnswer, insns: [UInt8] = [], data: [UInt8] = []) -> Never {
    let json = (try? encoder.encode(answer)).map(Array.init) ?? []
    writeAll(1, answer.frame(insns: insns, data: data, json: json))
    exit(WorkerExit.ok.rawValue)
}

if let action = request.hostileAction {
    guard options.allowHostile else { fail("hostile test actions are disabled", status: .hostileDisabled) }
    phase("running the test action \(action)")
    var text = [CChar](repeating: 0, count: 512)
    switch action {
    case "read-passwd": _ = lskel_hostile_read_file("/etc/passwd", &text, text.count)
    case "socket": _ = lskel_hostile_socket(&text, text.count)
    case "bpf": _ = lskel_hostile_bpf(&text, text.count)
    case "fork": _ = lskel_hostile_fork(&text, text.count)
    case "exec": _ = lskel_hostile_exec(&text, text.count)
    case "kill-server": _ = lskel_hostile_kill_server(&text, text.count)
    case "starve-server": _ = lskel_hostile_limit_server(3, &text, text.count)
    case "end-server": _ = lskel_hostile_limit_server(0, &text, text.count)
    case "signal-owner": _ = lskel_hostile_signal_owner(&text, text.count)
    case "async-stdout": _ = lskel_hostile_async_stdout(&text, text.count)
    case "renice-server": _ = lskel_hostile_renice_server(&text, text.count)
    case "pin-server": _ = lskel_hostile_pin_server(&text, text.count)
    case "peek-server": _ = lskel_hostile_peek_server(&text, text.count)
    case "alloc-4g":
        if lskel_hostile_alloc(4 << 30, &text, text.count) != 0 {
            fail("out of memory: " + String(cString: text), status: .outOfMemory)
        }
    case "spin": lskel_hostile_spin()
    case "flood-stdout":
        let block = [UInt8](repeating: 0x41, count: 1 << 20)
        for _ in 0..<1024 { writeAll(1, block) }
    case "segv": lskel_hostile_segv()
    default: fail("unknown test action \(action)", status: .unknownAction)
    }
    answer(WorkerAnswer(hostileOutcome: String(cString: text)))
}

do {
    phase("reading the object")
    let summary = try ObjectReader.summary(object)
    phase("generating the loader with libbpf")
    let loader = try LoaderGenerator.generate(object: object, name: request.name, profile: request.profile)
    phase("building the manifest")
    let manifest = try ManifestBuilder.build(objectName: request.objectName, object: object, loader: loader,
                                             profile: request.profile, summary: summary)
    let manifestText = String(decoding: try ManifestJSON.encode(manifest), as: UTF8.self)
    phase("answering")
    answer(WorkerAnswer(header: loader.header, manifest: manifestText,
                        libbpfLog: loader.libbpfLog.filter { $0.level != .debug }.map(\.text)),
           insns: loader.insns, data: loader.data)
} catch let error as GenerationError {
    answer(WorkerAnswer(error: error, libbpfLog: error.libbpfLog))
} catch {
    answer(WorkerAnswer(error: GenerationError(.generationFailed, "\(error)")))
}
