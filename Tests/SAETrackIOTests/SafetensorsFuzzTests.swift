import Foundation
import Testing
import SAETrackCore
@testable import SAETrackIO

/// Seeded structure-aware mutations of valid files: the parser must reject or accept each
/// variant without crashing, and whatever it accepts must be readable and self-consistent.
enum SafetensorsMutator {
    static let interesting: [UInt8] = Array("{}[]\",:-0123456789eE. \\u".utf8) + [0, 0x7F, 0x80, 0xC0, 0xFF]

    /// One mutated copy of `base`.
    static func mutate(_ base: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var b = base
        let rounds = 1 + rng.int(below: 4)
        for _ in 0..<rounds {
            guard !b.isEmpty else { break }
            let headerEnd = min(b.count, 8 + Int(min(UInt64(b.count), b.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })))
            // Most mutations target the header, where the parser's decisions are.
            let target = headerEnd > 8 && rng.int(below: 4) != 0 ? 8 + rng.int(below: headerEnd - 8) : rng.int(below: b.count)
            switch rng.int(below: 9) {
            case 0: b[target] ^= UInt8(1 << rng.int(below: 8))                                   // bit flip
            case 1: b[target] = interesting[rng.int(below: interesting.count)]                     // JSON-significant byte
            case 2: b.removeSubrange(rng.int(below: b.count)...)                                   // truncation
            case 3: b.insert(interesting[rng.int(below: interesting.count)], at: target)           // insertion
            case 4: b.remove(at: target)                                                           // deletion
            case 5:                                                                                // header length field
                let n = b.count >= 8 ? b.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } : 0
                let choices: [UInt64] = [0, 1, n &+ 1, n &- 1, n &+ 8, UInt64(b.count), UInt64.max, 1 << 63, 100_000_001]
                let v = choices[rng.int(below: choices.count)]
                if b.count >= 8 { withUnsafeBytes(of: v.littleEndian) { for k in 0..<8 { b[k] = $0[k] } } }
            case 6:                                                                                // digit run: numbers in shapes/offsets
                let digits = Array(String(rng.int(below: 5) == 0 ? "99999999999999999999" : "\(rng.int(below: 70000))").utf8)
                b.replaceSubrange(target..<min(b.count, target + 1 + rng.int(below: 3)), with: digits)
            case 7:                                                                                // duplicate a header span
                let len = min(b.count - target, 1 + rng.int(below: 24))
                b.insert(contentsOf: b[target..<(target + len)], at: min(b.count, target + len))
            default:                                                                               // random byte
                b[target] = UInt8(truncatingIfNeeded: rng.int(below: 256))
            }
        }
        return b
    }

    /// Parses `bytes`; on success reads every tensor and checks its size. Returns whether it was accepted.
    @discardableResult
    static func exercise(_ bytes: [UInt8]) -> Bool {
        guard let f = try? SafetensorsFile(bytes: Data(bytes)) else { return false }
        var total = 0
        for t in f.tensors {
            guard let v = try? f.floats(t.name), v.count == t.elementCount else {
                preconditionFailure("accepted file has an unreadable tensor \(t.name)")
            }
            total += t.dataOffsets.count
            _ = try? f.int32s(t.name)
        }
        precondition(8 + total <= bytes.count, "accepted tensors exceed the file")
        return true
    }
}

@Test("200,000 seeded mutations and truncations of valid files never crash the reader")
func mutationFuzz() throws {
    let seeds = try ["safetensors/all-dtypes.safetensors", "safetensors/all-dtypes-multi-metadata.safetensors",
                     "safetensors/no-tensors.safetensors", "safetensors/malformed/hole.safetensors"]
        .map { [UInt8](try Data(contentsOf: IOFixtures.url($0))) }
    var rng = SeededRandom(seed: 0x5AFE7E45)
    var accepted = 0
    let variants = 200_000
    let start = Date()
    for i in 0..<variants {
        let m = SafetensorsMutator.mutate(seeds[i % seeds.count], &rng)
        if SafetensorsMutator.exercise(m) { accepted += 1 }
    }
    let seconds = Date().timeIntervalSince(start)
    // Both outcomes must occur, or the mutator is too weak or too destructive to test anything.
    #expect(accepted > 1000 && accepted < variants - 1000, "accepted \(accepted) of \(variants)")
    #expect(seconds < 60, "fuzzing took \(seconds) s")
}
