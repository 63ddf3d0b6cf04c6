import Testing
@testable import BPFObject

@Suite("BPF object reader")
struct BPFObjectReaderTests {}
