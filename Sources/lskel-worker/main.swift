import CLskelSandbox
import FoundationEssentials
import Glibc
import BPFObject
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
/// Options: WorkerOptions.swift; test-only hostile actions: HostileActions.swift.
lskel_worker_tune_malloc()
let options = WorkerOptions(arguments: CommandLine.arguments)
if !options.simulateMissing.isEmpty && !options.allowHostile {
    fail("--simulate-missing-layer is for tests and needs --allow-test-hostile", status: .usage)
}
let encoder = JSONEncoder()
let decoder = JSONDecoder()

/// One whole job on a bundled object, its results dropped: the runtime's caches
/// filled and its code and heap paged in, so a request does not pay for that.
/// It takes a job's path: the request framed as the service frames it and read
/// back as a job reads it, the generation, the answer framed and written (to
/// /dev/null). Each generic type the runtime instantiates for the first time
/// costs a scan of every conformance record: a job inherits the ones made here.
/// A job (`--job-warm-up`) leaves out the answer's write: it may not open /dev/null.
func warmUp(writesAnswer: Bool = true) {
    let requestJSON = (try? encoder.encode(WorkerRequest(name: "warm_bpf", objectName: "warm.bpf.o", profile: TargetProfile())))
        .map(Array.init) ?? []
    let frame = WorkerFrame.encode(type: WorkerFrame.request, parts: [requestJSON, warmUpObject])
    let request = (try? WorkerFrame.partRanges(frame, maxBytes: options.maxRequestBytes)).flatMap { ranges in
        ranges.parts.count == 2 ? try? decoder.decode(WorkerRequest.self, from: Data(frame[ranges.parts[0]])) : nil
    }
    let profile = request?.profile ?? TargetProfile()
    guard let summary = try? ObjectReader.summary(warmUpObject),
          let loader = try? LoaderGenerator.generate(object: warmUpObject, name: "warm_bpf", profile: profile),
          let manifest = try? ManifestBuilder.build(objectName: "warm.bpf.o", object: warmUpObject, loader: loader,
                                                    profile: profile, summary: summary),
          let manifestJSON = try? ManifestJSON.encode(manifest)
    else {
        _ = try? encoder.encode(WorkerAnswer())
        return
    }
    let json = (try? encoder.encode(WorkerAnswer(header: loader.header, manifest: "",
                                                 libbpfLog: loader.libbpfLog.filter { $0.level != .debug }.map(\.text))))
        .map(Array.init) ?? []
    guard writesAnswer else { return }
    let sink = open("/dev/null", O_WRONLY | O_CLOEXEC)
    guard sink >= 0 else { return }
    var header = loader.header
    json.withUnsafeBytes { json in
        loader.insns.withUnsafeBytes { insns in
            loader.data.withUnsafeBytes { data in
                header.withUTF8 { header in
                    manifestJSON.withUnsafeBytes { manifest in
                        writeFrame(sink, type: WorkerFrame.answer, parts: [json, insns, data, UnsafeRawBufferPointer(header), manifest])
                    }
                }
            }
        }
    }
    close(sink)
}

/// A forked job's first request decode and answer encode, made while it waits: a
/// job's first JSON decode took 0.23-0.28 ms on the request's path, a second one
/// in the same job 0.015 ms.
func warmUpCoding() {
    let sample = WorkerRequest(name: "warm_bpf", objectName: "warm.bpf.o", profile: TargetProfile(),
                               objectSha256: String(repeating: "0", count: 64), lateExit: true)
    if let json = try? encoder.encode(sample) { _ = try? decoder.decode(WorkerRequest.self, from: json) }
    _ = try? encoder.encode(WorkerAnswer(header: "", manifest: "", libbpfLog: []))
}

// Before the warm-up pages code in: a fork server's jobs start with its code
// mapped (text.c). A failure leaves the file mapping, which works the same.
if options.forkServer && !options.noTextCopy {
    _ = lskel_worker_copy_text_to_huge_pages()
}
// Before the sandbox and before saying ready.
warmUp()

let simulated = SandboxReport.bits(ofLayers: options.simulateMissing)
var limits = lskel_sandbox_limits(address_space_bytes: options.memoryMiB << 20, cpu_seconds: options.cpuSeconds,
                                  file_size_bytes: 16 << 20, open_files: 32, simulate_missing: simulated,
                                  fork_server: options.forkServer)
var report = lskel_sandbox_report()
if lskel_sandbox_apply(&limits, &report) != 0 {
    fail("sandbox failed", status: .sandboxFailed)
}
let failures = withUnsafeBytes(of: &report.failures) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
let sandbox = SandboxReport(layers: SandboxReport.layers(inBits: report.layers), failures: failures)
let readyJSON = (try? encoder.encode(WorkerReady(sandbox: sandbox))).map(Array.init) ?? []
if options.forkServer {
    // One datagram on the control socket, then jobs: this returns in each forked job.
    let ready = WorkerFrame.encode(type: WorkerFrame.ready, parts: [readyJSON])
    guard ready.withUnsafeBytes({ write(0, $0.baseAddress, $0.count) }) == ready.count else {
        fail("cannot send the ready message: errno \(errno)", status: .readyFailed)
    }
    // Its free heap back before any job is forked from it: measured per job, a
    // 700 KB object's CPU 4.2-4.9 -> 3.5-4.2 ms (fewer page-table entries to copy
    // at fork and to unmap at exit).
    lskel_worker_release_free_heap()
    guard lskel_fork_server_serve(0, &limits, report.layers) == 0 else { fail("fork server failed", status: .forkServerFailed) }
    // A forked job shares the server's pages until it writes them: it does so
    // now, on the bundled object, while it waits to be handed a request.
    if options.jobWarmUp { warmUp(writesAnswer: false) } else if !options.noCodingWarmUp { warmUpCoding() }
    if options.prefaultKiB > 0 { lskel_worker_prefault_heap(options.prefaultKiB << 10) }
} else {
    writeAll(1, WorkerFrame.encode(type: WorkerFrame.ready, parts: [readyJSON]))
}

phase("reading the request")
// The object is the frame's last part, read where it lies in the frame: not copied.
let requestFrame = readRequest(limit: options.maxRequestBytes)
guard let frame = try? WorkerFrame.partRanges(requestFrame.buffer, maxBytes: options.maxRequestBytes),
      frame.type == WorkerFrame.request || frame.type == WorkerFrame.requestInMemory, frame.parts.count == 2,
      let request = try? decoder.decode(WorkerRequest.self, from: Data(requestFrame.buffer[frame.parts[0]]))
else {
    fail("malformed request frame", status: .badRequest)
}
// `M`: the object is the sealed memory file on descriptor 3, mapped where it lies.
let object = frame.type == WorkerFrame.request
    ? ObjectBytes(requestFrame, range: frame.parts[1])
    : mapRequestMemory(length: WorkerFrame.length64(UnsafeBufferPointer(rebasing: requestFrame.buffer[frame.parts[1]]),
                                                    limit: options.maxRequestBytes))

/// The answer frame (the parts of ``WorkerAnswer/frame(insns:data:json:)``), written part by part.
/// `manifest` is the manifest's JSON when the answer has a loader (its own
/// `manifest` text is then not used).
func answer(_ answer: WorkerAnswer, insns: [UInt8] = [], data: [UInt8] = [], manifest: [UInt8] = []) -> Never {
    let json = (try? encoder.encode(answer)).map(Array.init) ?? []
    var header = answer.header ?? ""
    let manifest = answer.manifest == nil ? [] : manifest
    json.withUnsafeBytes { json in
        insns.withUnsafeBytes { insns in
            data.withUnsafeBytes { data in
                header.withUTF8 { header in
                    manifest.withUnsafeBytes { manifest in
                        writeFrame(1, type: WorkerFrame.answer,
                                   parts: [json, insns, data, UnsafeRawBufferPointer(header), manifest])
                    }
                }
            }
        }
    }
    // The service has the whole answer and does not wait for this exit.
    if request.lateExit == true { lowerPriority() }
    finish(.ok)
}

if let action = request.hostileAction {
    guard options.allowHostile else { fail("hostile test actions are disabled", status: .hostileDisabled) }
    answer(WorkerAnswer(hostileOutcome: runHostileAction(action, lateExit: request.lateExit)))
}

do {
    phase("reading the object")
    let summary = try ObjectReader.summary(object)
    phase("generating the loader with libbpf")
    let loader = try LoaderGenerator.generate(object: object, name: request.name, profile: request.profile,
                                              elf: summary.elf)
    phase("building the manifest")
    let manifest = try ManifestBuilder.build(objectName: request.objectName, object: object, loader: loader,
                                             profile: request.profile, summary: summary,
                                             objectDigest: request.wellFormedObjectSha256)
    let manifestJSON = try ManifestJSON.encode(manifest)
    phase("answering")
    answer(WorkerAnswer(header: loader.header, manifest: "",
                        libbpfLog: loader.libbpfLog.filter { $0.level != .debug }.map(\.text)),
           insns: loader.insns, data: loader.data, manifest: manifestJSON)
} catch let error as GenerationError {
    answer(WorkerAnswer(error: error, libbpfLog: error.libbpfLog))
} catch {
    answer(WorkerAnswer(error: GenerationError(.generationFailed, "\(error)")))
}
