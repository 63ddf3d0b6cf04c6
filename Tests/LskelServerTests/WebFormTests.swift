import Foundation
import LskelEngine
import LskelSign
import LskelTestSupport
import Testing

/// The web form in a real browser: Debian's chromium and chromium-driver,
/// driven by selenium (webform_test.py) against the live service.
@Suite("Web form", .serialized)
struct WebFormTests {
    static let browserMissing: String? = {
        for path in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: path) {
            return "\(path) is not installed (apt-get install chromium chromium-driver)"
        }
        if (try? Shell.run("/usr/bin/python3", ["-c", "import selenium"]).status) != 0 {
            return "python3-selenium is not installed"
        }
        return nil
    }()

    @Test("upload, tables, relocation filter, header download equal to the CLI's, a signed loader, error text, 360 px",
          .enabled(if: browserMissing == nil, "a browser is needed: \(browserMissing ?? "")"))
    func browser() async throws {
        let object = try Fixtures.object("maps")
        let dir = NSTemporaryDirectory() + "lskel-webform-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let notELF = "\(dir)/notes.bpf.o"
        try "these are notes, not an object".write(toFile: notELF, atomically: true, encoding: .utf8)
        // What the page must show, from the manifest of the same request.
        let (_, manifest) = try LoaderGenerator.generateWithManifest(
            object: try Fixtures.bytes("maps"), objectName: "maps.bpf.o", name: "maps_bpf", profile: TargetProfile(possibleCPUs: 8))
        let cli = try TestServer.cliOutputs("maps", flags: ["--cpus", "8"])
        try cli.header.write(to: URL(fileURLWithPath: "\(dir)/cli.lskel.h"))
        let expected: [String: Any] = [
            "programs": Dictionary(uniqueKeysWithValues: manifest.programs.map { ($0.name, $0.relocations.count) }),
            "maps": manifest.maps.map(\.name),
            "header_file": "maps.lskel.h",
        ]
        try JSONSerialization.data(withJSONObject: expected).write(to: URL(fileURLWithPath: "\(dir)/expected.json"))
        let script = Fixtures.packageRoot + "/Tests/LskelServerTests/webform_test.py"
        let pair = try SigningKey.makeKeypair(commonName: "lskel web form")
        let key = try SigningKey(name: "webform", key: Array(pair.key.utf8), certificate: Array(pair.certificate.utf8))
        try await TestServer.run(TestServer.configuration { $0.signingKeys = ["webform": key] }) { _, port in
            let result = try await Shell.runDetached("/usr/bin/python3", [script, "http://127.0.0.1:\(port)", object, notELF,
                                                                          "\(dir)/expected.json", "\(dir)/cli.lskel.h", dir])
            print(result.stdoutText)
            #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText.suffix(3000))")
            #expect(FileManager.default.fileExists(atPath: "\(dir)/result.png") && FileManager.default.fileExists(atPath: "\(dir)/error.png"))
        }
    }
}
