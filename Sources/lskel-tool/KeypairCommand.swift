import ArgumentParser
import Foundation
import LskelSign

/// `lskel keypair NAME`: a fresh key and self-signed certificate to try signing with.
struct KeypairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keypair",
        abstract: "Print a fresh RSA-2048 key and a self-signed code-signing certificate (PEM) for trying signed loaders.",
        discussion: """
            With --out-dir, writes NAME.key (mode 600) and NAME.crt there instead. Load the certificate \
            where a signed loader will run with: keyctl padd asymmetric NAME @s < NAME.der \
            (openssl x509 -in NAME.crt -outform DER -out NAME.der).
            """
    )

    @Argument(help: "The certificate's common name (and the files' stem).")
    var name: String

    @Option(name: .customLong("out-dir"), help: "Write NAME.key and NAME.crt into this directory.")
    var outDir: String?

    @Option(name: .customLong("days"), help: "Validity of the certificate.")
    var days: UInt32 = 3650

    func validate() throws {
        guard !name.isEmpty, !name.contains("/"), name.utf8.count <= 64 else {
            throw ValidationError("NAME is 1 to 64 characters without '/'")
        }
    }

    func run() throws {
        let pair = try SigningKey.makeKeypair(commonName: name, days: days)
        guard let outDir else {
            FileHandle.standardOutput.write(Data((pair.key + pair.certificate).utf8))
            return
        }
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let keyPath = (outDir as NSString).appendingPathComponent(name + ".key")
        let fd = open(keyPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ValidationError("cannot create \(keyPath): \(String(cString: strerror(errno)))") }
        let bytes = Array(pair.key.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { throw ValidationError("cannot write \(keyPath)") }
        try Data(pair.certificate.utf8).write(to: URL(fileURLWithPath: (outDir as NSString).appendingPathComponent(name + ".crt")))
    }
}
