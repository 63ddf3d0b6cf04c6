import Testing
@testable import LskelServer

/// The caches' least-recently-used order, against a plain list kept in order of use.
@Suite("Recency order")
struct RecencyOrderTests {
    @Test("random uses, removals and evictions: always the key a list in order of use gives")
    func againstList() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var recency = RecencyOrder<Int>()
            var list: [Int] = []  // least recently used first
            for _ in 0..<2_000 {
                let key = Int.random(in: 0..<40, using: &generator)
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<6:
                    recency.use(key)
                    list.removeAll { $0 == key }
                    list.append(key)
                case 6..<8:
                    recency.remove(key)
                    list.removeAll { $0 == key }
                default:
                    let oldest = recency.removeOldest()
                    #expect(oldest == list.first)
                    if !list.isEmpty { list.removeFirst() }
                }
                #expect(recency.count == list.count)
            }
            while let oldest = recency.removeOldest() {
                #expect(oldest == list.removeFirst())
            }
            #expect(list.isEmpty && recency.count == 0)
        }
    }
}
