import Foundation
import Glibc
import LskelModel
import LskelTestSupport
import NIOCore
import Testing
@testable import LskelPool

/// The worker's exit statuses and answer frames, as the pool reads them.
@Suite("Worker exits and frames")
struct WorkerExitTests {
    @Test("WorkerExit and the C header's enum lskel_worker_exit name the same statuses")
    func exitEnumMatchesHeader() throws {
        let header = try String(contentsOfFile: "\(Fixtures.packageRoot)/Sources/CLskelSandbox/include/lskel_sandbox.h", encoding: .utf8)
        var fromHeader: [String: Int32] = [:]
        for line in header.split(separator: "\n") where line.contains("LSKEL_EXIT_") && line.contains("=") {
            let parts = line.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: ",\t"))) }
            guard parts.count == 2, let value = Int32(parts[1]) else { continue }
            let words = parts[0].dropFirst("LSKEL_EXIT_".count).lowercased().split(separator: "_")
            let name = words.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.capitalized }.joined()
            fromHeader[name] = value
        }
        let fromSwift = Dictionary(uniqueKeysWithValues: WorkerExit.allCases.map { ("\($0)", $0.rawValue) })
        #expect(fromHeader == fromSwift)
        let sandbox = try String(contentsOfFile: "\(Fixtures.packageRoot)/Sources/CLskelSandbox/sandbox.c", encoding: .utf8)
        #expect(sandbox.contains("\"\\n\(WorkerExit.forbiddenSyscallLine)%d\\n\""), "the seccomp handler's line and the pool's parser differ")
    }

    @Test("sandbox layer names follow the bits of the C header's enum lskel_sandbox_layer")
    func layerBits() throws {
        let header = try String(contentsOfFile: "\(Fixtures.packageRoot)/Sources/CLskelSandbox/include/lskel_sandbox.h", encoding: .utf8)
        let shifts = header.split(separator: "\n").compactMap { line -> Int? in
            guard line.contains("LSKEL_LAYER_"), !line.contains("LSKEL_LAYER_ALL"), let range = line.range(of: "1 << ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(shifts == Array(0..<SandboxReport.allLayers.count))
        #expect(SandboxReport.layers(inBits: SandboxReport.bits(ofLayers: ["seccomp", "pid_namespace"])) == ["pid_namespace", "seccomp"])
    }

    static let pool = WorkerPool(configuration: WorkerPoolConfiguration(workerPath: "/nonexistent"))

    static func outcome(status: Int32, stderr: String = "", stdout: [UInt8] = []) -> ForkedJob.Outcome {
        ForkedJob.Outcome(stdout: ByteBuffer(bytes: stdout), stderr: Array(stderr.utf8), status: status, timedOut: false, outputExceeded: false,
                          serverGone: false, elapsed: 0.01)
    }

    static func interpreted(_ outcome: ForkedJob.Outcome) async -> Result<WorkerResult, WorkerError> {
        await pool.interpretForTests(outcome)
    }

    @Test("each way a job ends maps to its precise error")
    func exitMapping() async throws {
        let exited = { (code: WorkerExit) in code.rawValue << 8 }
        func error(_ outcome: ForkedJob.Outcome) async -> WorkerError? {
            if case .failure(let error) = await Self.interpreted(outcome) { return error }
            return nil
        }
        let forbidden = await error(Self.outcome(status: exited(.forbiddenSyscall), stderr: "phase: reading the object\n\nforbidden system call 41\n"))
        #expect(forbidden == .forbiddenSyscall(name: "socket", phase: "reading the object"))
        let unknown = await error(Self.outcome(status: exited(.forbiddenSyscall), stderr: "forbidden system call 999\n"))
        #expect(unknown == .forbiddenSyscall(name: "system call 999", phase: nil))
        #expect(await error(Self.outcome(status: exited(.outOfMemory))) == .memoryLimit(mebibytes: 256, phase: nil))
        #expect(await error(Self.outcome(status: SIGXCPU)) == .cpuLimit(seconds: 5, phase: nil))
        #expect(await error(Self.outcome(status: SIGSEGV, stderr: "phase: generating the loader with libbpf\n"))
                == .crashed(signal: "SIGSEGV", phase: "generating the loader with libbpf"))
        #expect(await error(Self.outcome(status: exited(.badRequest), stderr: "lskel-worker: malformed request frame\n"))
                == .failed(status: WorkerExit.badRequest.rawValue, detail: "lskel-worker: malformed request frame"))
        #expect(await error(Self.outcome(status: 0, stdout: Array("not a frame".utf8))) == .failed(status: 0, detail: "the worker's answer is malformed"))
        var timedOut = Self.outcome(status: -1)
        timedOut.timedOut = true
        #expect(await error(timedOut) == .timedOut(seconds: 5, phase: nil))
    }

    @Test("an answer's files are its frame's parts as they were read; a header that is not UTF-8 is repaired as text is")
    func answerParts() async throws {
        func answer(header: [UInt8], manifest: [UInt8] = Array("{}".utf8), parts: Int = 5) -> ForkedJob.Outcome {
            let json = Array(#"{"libbpfLog":["note"],"hasLoader":true}"#.utf8)
            let all = [json, [1, 2, 3, 4, 5, 6, 7, 8], [9, 9], header, manifest]
            // A byte in front: the parts are found relative to the buffer's reader index.
            var buffer = ByteBuffer(bytes: [0xee] + WorkerFrame.encode(type: WorkerFrame.answer, parts: Array(all.prefix(parts))))
            buffer.moveReaderIndex(forwardBy: 1)
            var outcome = Self.outcome(status: 0)
            outcome.stdout = buffer
            return outcome
        }
        let header = Array(String(repeating: "struct x { int y; };\n", count: 5000).utf8)
        let result = try await Self.interpreted(answer(header: header)).get()
        let files = try #require(result.loader)
        #expect(Array(files.header.readableBytesView) == header && Array(files.manifest.readableBytesView) == Array("{}".utf8))
        #expect(result.insns == [1, 2, 3, 4, 5, 6, 7, 8] && result.data == [9, 9] && result.answer.libbpfLog == ["note"])
        #expect(result.answer.header == nil && result.answer.manifest == nil)

        let broken: [UInt8] = Array("/* caf".utf8) + [0xc3] + Array(" */ \u{e9}".utf8) + [0xff, 0xfe, 0x41]
        let repaired = try await Self.interpreted(answer(header: broken)).get()
        #expect(repaired.headerText == String(decoding: broken, as: UTF8.self))
        #expect(Array(try #require(repaired.loader).header.readableBytesView) == Array(String(decoding: broken, as: UTF8.self).utf8))

        if case .success = await Self.interpreted(answer(header: header, parts: 4)) {
            Issue.record("an answer of four parts was taken")
        }
    }

    @Test("the worker is position-independent: the process that parses untrusted objects has a randomised layout")
    func workerIsPIE() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.workerPath)))
        #expect(bytes.count > 64 && bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46])
        let type = Int(bytes[16]) | Int(bytes[17]) << 8
        #expect(type == 3, "e_type \(type): ET_DYN (3) expected, ET_EXEC (2) has a fixed address")
    }

    @Test("frames: round trip, incomplete, bad magic, too many parts, over the limit")
    func frames() throws {
        let parts: [[UInt8]] = [Array("json".utf8), [], [UInt8](repeating: 7, count: 1000)]
        let frame = WorkerFrame.encode(type: WorkerFrame.answer, parts: parts)
        // A frame's head and its last part, written one after the other, are the frame.
        #expect(WorkerFrame.head(type: WorkerFrame.answer, parts: Array(parts.dropLast()), lastPartLength: 1000) + parts[2] == frame)
        #expect(WorkerFrame.head(type: WorkerFrame.request, parts: [], lastPartLength: 0) == WorkerFrame.encode(type: WorkerFrame.request, parts: [[]]))
        let decoded = try WorkerFrame.decode(frame + [1, 2, 3], maxBytes: 1 << 20)
        #expect(decoded.type == WorkerFrame.answer && decoded.parts == parts && decoded.length == frame.count)
        #expect(WorkerFrame.completeLength(frame, maxBytes: 1 << 20) == frame.count)
        for cut in [0, 3, 5, 8, 12, frame.count - 1] {
            #expect(WorkerFrame.completeLength(Array(frame.prefix(cut)), maxBytes: 1 << 20) == 0, "cut at \(cut)")
            #expect(throws: WorkerFrameError.self) { try WorkerFrame.decode(Array(frame.prefix(cut)), maxBytes: 1 << 20) }
        }
        var badMagic = frame
        badMagic[1] = 0
        #expect(WorkerFrame.completeLength(badMagic, maxBytes: 1 << 20) == -1)
        #expect(throws: WorkerFrameError.badMagic) { try WorkerFrame.decode(badMagic, maxBytes: 1 << 20) }
        let many = WorkerFrame.encode(type: WorkerFrame.answer, parts: Array(repeating: [1], count: WorkerFrame.maxParts + 1))
        #expect(WorkerFrame.completeLength(many, maxBytes: 1 << 20) == -1)
        #expect(throws: WorkerFrameError.tooManyParts(WorkerFrame.maxParts + 1)) { try WorkerFrame.decode(many, maxBytes: 1 << 20) }
        #expect(WorkerFrame.completeLength(frame, maxBytes: 100) == -1)
        #expect(throws: WorkerFrameError.self) { try WorkerFrame.decode(frame, maxBytes: 100) }
        // A part length that claims more than there is, far beyond the buffer: no trap.
        var huge = Array(frame.prefix(9))
        huge += [0xff, 0xff, 0xff, 0xff]
        #expect(WorkerFrame.completeLength(huge, maxBytes: Int(UInt32.max) + 100) == 0)
    }
}
