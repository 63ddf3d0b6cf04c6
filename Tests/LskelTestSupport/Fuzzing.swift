import Foundation

/// Seeded, replayable random inputs for the property and mutation tests:
/// bounded by default, longer on demand.
///
///     LSKEL_FUZZ_ITERATIONS=100000 LSKEL_FUZZ_SEED=7 swift test --filter Parser
public enum Fuzzing {
    /// Cases per parser: `LSKEL_FUZZ_ITERATIONS`, else `standard`.
    public static func iterations(_ standard: Int) -> Int {
        ProcessInfo.processInfo.environment["LSKEL_FUZZ_ITERATIONS"].flatMap(Int.init) ?? standard
    }

    /// The seed for one test: `LSKEL_FUZZ_SEED`, else `standard`; printed so a failure can be replayed.
    public static func generator(_ test: String, standard: UInt64) -> SplitMix64 {
        let seed = ProcessInfo.processInfo.environment["LSKEL_FUZZ_SEED"].flatMap { UInt64($0) } ?? standard
        print("\(test): seed \(seed) (LSKEL_FUZZ_SEED), \(iterations(0) == 0 ? "default" : "\(iterations(0))") iterations")
        return SplitMix64(state: seed)
    }
}

/// SplitMix64: a fixed sequence for a seed.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A string of `count` characters drawn from `alphabet`.
    public mutating func string(from alphabet: [String], count: Int) -> String {
        (0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &self)] }.joined()
    }

    /// Random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// `base` with 1 to `edits` random edits: byte changes, cuts, random or chosen insertions.
    public mutating func mutate(_ base: [UInt8], edits: Int = 8, inserts: [[UInt8]] = []) -> [UInt8] {
        var body = base
        for _ in 0..<Int.random(in: 1...max(1, edits), using: &self) {
            if body.isEmpty { body = base }
            if body.isEmpty { return body }
            let position = Int.random(in: 0..<body.count, using: &self)
            switch Int.random(in: 0..<(inserts.isEmpty ? 3 : 4), using: &self) {
            case 0: body[position] = UInt8.random(in: 0...255, using: &self)
            case 1: body.removeSubrange(position..<min(body.count, position + Int.random(in: 1...20, using: &self)))
            case 2: body.insert(contentsOf: bytes(Int.random(in: 1...10, using: &self)), at: position)
            default: body.insert(contentsOf: inserts[Int.random(in: 0..<inserts.count, using: &self)], at: position)
            }
        }
        return body
    }
}
